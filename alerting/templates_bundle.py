"""Chinese templates for messages that are not one alert to one person:
bundles (several queued messages to one phone or robot sent as one, to stay
inside provider rate limits), the morning digest, operational alerts from
the crawlers, and the delivery-failure notice for the duty officer.

A bundle names every message it stands for: nothing is dropped silently.
"""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import unquote

from alerting.channels.wecom import fit
from alerting.templates import FOOTER, local, sms_message
from contracts.messages import CHANNEL_LABELS, Level, OpsAlert
from contracts.sanitize import markdown_text, one_line
from pipeline.config.sms import SmsForm, fit_variable, trim

CHANNEL_TEXT = {c.value: label for c, label in CHANNEL_LABELS.items()}
MAX_LISTED = 15  # items written out in full in one bundle; the rest are counted


def _severity(payload: dict) -> int:
    return Level(payload.get("level", "blue")).rank


def bundle(channel: str, payloads: list[dict], now: datetime) -> dict:
    """One payload standing for ``payloads`` (most severe first)."""
    items = sorted(payloads, key=_severity)
    n = len(items)
    more = f"\n另有{n - MAX_LISTED}条，请登录控制台查看。" if n > MAX_LISTED else ""
    if channel == "sms":
        # The most severe message's values in the alert template (its link acknowledges that one); the
        # client fits every value to the provider's limit, cutting the title before 「等N条」, never the count
        # (Tencent's variables hold 12 characters: keep_end, alerting/channels/_sms.py).
        top = items[0]["sms"]["params"]
        units = {p.get("unit_name") for p in items}
        ends = {"unit": "等单位" if len(units) > 1 else "", "title": f"等{n}条"}
        params = {**top, "unit": top["unit"] + ends["unit"], "title": trim(top["title"].rstrip("…"), 15) + ends["title"]}
        return {"sms": {"template": "alert", "params": params, "keep_end": {k: v for k, v in ends.items() if v}},
                "level": items[0].get("level")}
    if channel in ("dingtalk", "wecom"):
        lines = [f"### 舆情预警汇总（{n}条，{local(now)}）"]
        # summaries carry crawled titles: literal text in markdown (the 确认 links are ours)
        lines += [f"{i}. {markdown_text(p['summary'])} [确认]({p['ack_url']})"
                  for i, p in enumerate(items[:MAX_LISTED], 1)]
        mentions = sorted({m for p in items for m in p.get("robot", {}).get("mentions", [])})
        if mentions:
            lines.append(" ".join(f"@{m}" for m in mentions) + " 请及时处置")
        text = fit("\n\n".join(lines) + more, 4000)
        return {"robot": {"title": f"舆情预警汇总（{n}条）", "markdown": text, "mentions": mentions},
                "level": items[0].get("level")}
    # email: the morning digest (or any held batch of emails to one address)
    name = items[0].get("recipient_name", "")
    body = "\n\n".join(f"{i}. {one_line(p['summary'])}\n   确认收到：{p['ack_url']}"
                       for i, p in enumerate(items[:MAX_LISTED], 1))
    return {"email": {"subject": f"【舆情摘要】{local(now)[:10]} 共{n}条预警",
                      "body": f"{name}，您好：\n\n以下为汇总的舆情预警，请逐条核实：\n\n{body}{more}\n\n{FOOTER}\n"},
            "level": items[0].get("level")}


OPS_PROBLEMS = {"source_failing": "信息源采集失败", "source_silent": "信息源长时间无新内容",
                "channel_down": "通知渠道不可用"}
_OPS_FIELDS = {"source": "信息源", "channel": "渠道", "spider": "采集方式", "since": "起始时间", "reason": "原因"}


def ops_detail(detail: str) -> str:
    """The ops alert's detail (JSON from the health monitor) as Chinese lines; other text as it is."""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return detail
    lines = []
    for key, value in data.items():
        if value in (None, ""):
            continue
        if key == "since":
            value = local(value)
        elif key == "channel":
            value = CHANNEL_TEXT.get(str(value), value)
        elif key == "reason":
            value = unquote(str(value))
        lines.append(f"{_OPS_FIELDS.get(key, key)}：{value}")
    return "\n".join(lines)


def _markdown_lines(text: str) -> str:
    """Each line shown literally (a failing site's text may carry markdown), one paragraph per line."""
    return "\n\n".join(markdown_text(line) for line in text.splitlines() if line.strip())


def ops_message(ops: OpsAlert, console_url: str, name: str, form: SmsForm) -> dict:
    """An operational alert (a source failing or silent) for the duty officers, all channels."""
    state = "恢复" if ops.resolved else "告警"
    headline = one_line(f"【运行{state}·{ops.severity.label}】{ops.summary}")
    detail = (f"{name}，您好：\n\n监测系统运行{state}：{ops.summary}\n问题类型：{OPS_PROBLEMS.get(ops.problem, ops.problem)}\n"
              f"对象：{ops.subject}\n首次发现：{local(ops.first_seen)}\n最近一次：{local(ops.last_seen)}\n\n"
              f"{ops_detail(ops.detail)}\n\n"
              f"{'已恢复正常，无需处理。' if ops.resolved else '该渠道暂时无法监测，无消息不代表无舆情，请及时处理。'}\n"
              f"控制台：{console_url}\n\n{FOOTER}\n")
    params = {"unit": "舆情监测系统", "level": f"{ops.severity.label}{state}",
              "title": fit_variable(ops.summary, min(20, form.param_max)),
              "source": fit_variable(ops.subject, min(20, form.param_max))}
    return {"email": {"subject": headline, "body": detail},
            "sms": sms_message(params, form, "notice"),
            "robot": {"title": headline, "markdown": f"### {markdown_text(headline)}\n\n"
                                                      f"{_markdown_lines(trim(ops_detail(ops.detail), 300))}\n\n"
                                                      f"[控制台]({console_url})", "mentions": []},
            "summary": headline, "ack_url": console_url, "level": ops.severity.value}


def failure_notice(row: dict, error: str, unit_name: str, ack_url: str, name: str) -> dict:
    """Tell the duty officer that someone could not be reached about an alert."""
    who, level = row["who"], Level(row.get("level") or "blue")
    subject = one_line(f"【投递失败】{trim(who, 20)} 未收到{unit_name}的{level.label}预警")
    body = (f"{name}，您好：\n\n以下预警未能送达，备用渠道也未送达或不可用，请电话联系：\n\n"
            f"收件人：{who}\n渠道：{row['channel']}（{row['recipient_masked']}）\n涉及单位：{unit_name}\n"
            f"预警：{row.get('summary', '')}\n原因：{trim(error, 300)}\n\n"
            f"确认收到：{ack_url}\n\n{FOOTER}\n")
    return {"email": {"subject": subject, "body": body}, "summary": subject, "ack_url": ack_url,
            "level": level.value}
