"""Chinese message templates. Rendered when a notification is queued, so the
outbox keeps exactly what was sent (the audit trail needs it)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pipeline.messages import CHANNEL_LABELS, Alert, ScoredDocument

TZ = ZoneInfo("Asia/Shanghai")


def _local(dt: datetime | None) -> str:
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if dt else "未知"


def email_subject(alert: Alert) -> str:
    title = alert.representative.title
    if len(title) > 40:
        title = title[:39] + "…"
    return f"【舆情预警·{alert.level.label}】{alert.unit_name}：{title}"


def email_body(alert: Alert, doc: ScoredDocument, recipient_name: str, alert_url: str) -> str:
    reasons = [r for r in doc.reasons if getattr(r, "unit_id", None) in (None, alert.unit_id)]
    reason_lines = "\n".join(
        f"  · {r.phrase}（{r.risk_type or '负面表述'}）：{r.sentence}" for r in reasons[:5]
    ) or "  · 模型判定为负面"
    return f"""{recipient_name}，您好：

监测到涉及贵单位的负面舆情，请及时核实处置，防止舆情升级。

预警级别：{alert.level.label}
涉及单位：{alert.unit_name}
标题：{doc.title}
来源：{doc.site}（{CHANNEL_LABELS.get(doc.channel, doc.channel)}）
发布时间：{_local(doc.published_at)}
原文链接：{doc.url}
负面指数：{doc.unit_negativity.get(alert.unit_id, doc.negativity):.2f}
判定依据：
{reason_lines}

摘要：{doc.text[:200]}{'…' if len(doc.text) > 200 else ''}

确认收到并处置：{alert_url}

—— 吉林省保险行业协会舆情监测中心（本邮件由系统自动发送）
"""
