"""Request and response models of the HTTP API (they make the OpenAPI schema).

Responses allow extra fields: the console passes through what the alerting
and crawler engineers add, and API clients must ignore what they do not know.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class LoginRequest(BaseModel):
    username: str
    password: str


class UserOut(Open):
    username: str
    display_name: str
    role: Literal["duty", "analyst", "lead", "admin"]
    role_label: str
    unit_id: str | None = None
    disabled: bool = False


class SessionOut(Open):
    token: str = Field(description="用于 Authorization: Bearer 的会话令牌")
    csrf: str = Field(description="以 Cookie 会话调用写接口时放入 X-CSRF-Token")
    expires_at: str
    user: UserOut


class MeOut(Open):
    user: UserOut
    permissions: list[str]
    csrf: str
    expires_at: str


class AlertSummary(Open):
    id: str
    unit_id: str
    unit_name: str
    level: str = Field(description="red | orange | yellow | blue")
    level_label: str
    status: str = Field(description="new | notified | acknowledged | handling | resolved | dismissed")
    status_label: str
    unacknowledged: bool
    title: str
    url: str
    site: str
    channels: list[str]
    doc_count: int
    negativity: float
    level_reason: str = Field("", description="为何是这一级（而非更高一级）：决定等级的各项数值，及随传播升级的原因")
    first_seen: str
    last_seen: str
    detected_at: str = Field(description="系统首次发现的时间（未确认计时的起点）")
    assignee: str | None = None
    awaiting_review: bool = Field(False, description="待复核：单位的通知暂存，等待协会值班员复核并转发（forward: review）")
    review: dict | None = Field(None, description="复核：state（pending 待复核 / forwarded 已转发 / dismissed 误报未转发 / "
                                "resolved 协会已处置完毕、未转发）、due_at（逾时自动转发的时间）、forwarded_by、forwarded_at"
                                "（转发或结束复核的人与时间）、via（console/api/timer）、notes（协会研判意见）、advice"
                                "（修改后的研判建议）、acked_by/acked_at（复核前值班员确认收到）、handling_by/handling_at"
                                "（复核前值班员开始处置，不代替单位确认）、received、label")


class AlertDetail(AlertSummary):
    documents: list[dict] = Field(description="报道时间线：来源、时间、负面要素、命中的单位别名")
    phrases: list[dict] = Field(description="驱动负面判断的短语及出现次数")
    notifications: list[dict] = Field(description="通知记录：渠道、接收人、状态（待发送/已提交/已送达/失败…）")
    trail: list[dict] = Field(description="审计轨迹：谁在何时做了什么")
    notes: list[dict] = Field(description="处置记录")
    assessment_notes: list[dict] = Field(default_factory=list, description="值班员的研判意见（修改后的建议与口径），最新在后")
    assessment: dict = Field(description="研判卡：风险类型、阶段与趋势、传播数据、传播主体、同单位既往预警、处置建议、回应时限、回应口径草稿")
    actions: list[dict] = Field(description="当前用户可执行的操作")
    emergency: dict | None = Field(None, description="已升级为应急事件时：事件编号（id）、状态（open/closed）、启动方式")
    assignees: list[dict] = Field(default_factory=list,
                                  description="可指派的处置人：key（user:用户名 或 contact:联系人姓名）与显示名 label")


class RaiseRequest(BaseModel):
    """人工预警: a collected document (doc_id, or its url) or a pasted one (url, title, text, channel)."""
    unit_id: str = Field(description="会员单位 id")
    level: Literal["red", "orange", "yellow", "blue"]
    note: str = Field(min_length=1, max_length=500, description="预警说明：为何需要预警、系统为何漏报")
    doc_id: str = Field("", description="已采集报道的 id（检索结果中的 id）")
    url: str = Field("", max_length=2000, description="原文链接（已采集的只需链接）")
    title: str = Field("", max_length=300, description="未采集报道的标题")
    text: str = Field("", max_length=20000, description="未采集报道的正文")
    channel: str = Field("news", description="未采集报道的渠道")


class RaiseOut(BaseModel):
    alert_id: str
    decision: str = Field(description="路由决策（FIRST：新预警）")
    queued: int = Field(description="已排队的通知条数")
    doc_id: str


class ActionRequest(BaseModel):
    action: Literal["acknowledge", "handling", "resolve", "note", "assign", "false_alarm", "reopen", "assess"]
    text: str = Field("", max_length=2000, description="处置记录 / 备注 / 误报原因")
    assignee: str = Field("", max_length=100, description="指派对象（action=assign）：详情 assignees 中的 key 或 label")


class ForwardRequest(BaseModel):
    notes: str = Field("", max_length=2000, description="协会研判意见（随通知发给单位，并记入审计）")
    advice: str = Field("", max_length=2000, description="修改后的研判建议（代替系统生成的一行建议）")


class SearchHit(Open):
    id: str
    title: str
    url: str
    site: str
    source_id: str
    channel: str
    published_at: str
    negativity: float
    level: str | None = None
    units: list[str]
    title_html: str | None = Field(None, description="标题高亮片段（已转义，命中词包在 <em> 中）")
    fragments: list[str] = Field(description="正文高亮片段（已转义，命中词包在 <em> 中）")


class SearchOut(Open):
    total: int
    page: int
    pages: int
    size: int
    hits: list[SearchHit]


class ReportRequest(BaseModel):
    kind: Literal["daily", "weekly"] = "daily"
    day: str | None = Field(None, description="报告的最后一天 YYYY-MM-DD；默认昨天")
    unit: str | None = Field(None, description="会员单位 id：只含该单位的报告（单位宣传负责人只能是本单位，默认即本单位）")


class UserCreate(BaseModel):
    username: str
    password: str
    role: Literal["duty", "analyst", "lead", "admin"]
    unit_id: str | None = None
    display_name: str = ""


class UserChange(BaseModel):
    password: str | None = None
    disabled: bool | None = None
