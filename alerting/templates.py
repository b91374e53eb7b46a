"""Chinese message templates for one alert, per channel. Rendered when a
notification is queued, so the outbox keeps exactly what was sent (the audit
trail needs it). Every message carries the recipient's own signed ack link.

``brief`` is what the router kept of the story for later messages
(escalations and updates are rendered without the scored document at hand):
title, url, site, channel, published_at, negativity, reasons, summary.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from alerting.templates_grounds import is_policy_reason, plain_grounds
from contracts.language import has_han
from contracts.messages import CHANNEL_LABELS, MODEL_EVIDENCE, Alert, Channel, Document, Reason, ScoredDocument
from contracts.sanitize import markdown_text, markdown_url, multiline, one_line
from pipeline.config.sms import SmsForm, fit_variable, render, trim

TZ = ZoneInfo("Asia/Shanghai")
FOOTER = "—— 吉林省保险行业协会舆情监测中心（本消息由系统自动发送）"
KIND_LABEL = {"alert": "舆情预警", "update": "舆情更新", "escalation": "舆情升级", "review": "舆情预警·待复核"}
AUTO_FORWARDED = "超时未复核，已自动转发"
# Notification channels as people call them (the console and the dry run).
NOTIFY_CHANNELS = {"sms": "短信", "email": "邮件", "robot": "群机器人", "dingtalk": "钉钉群", "wecom": "企业微信群"}


def local(dt: datetime | str | None) -> str:
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M") if dt else "未知"


def channel_label(value: str) -> str:
    try:
        return CHANNEL_LABELS[Channel(value)]
    except ValueError:
        return value


# Channels where who posted is the source a reader knows: a Weibo user, a Douyin account, a WeChat public
# account — not our keyword search or feed aggregator that found it (微博·吉林保险关键词).
AUTHORED = (Channel.weibo, Channel.douyin, Channel.wechat)


def post_author(doc: Document) -> str:
    """The author of a Weibo, Douyin or WeChat item (AUTHORED), who is its source as readers know it; else ""."""
    return (doc.author or "") if doc.channel in AUTHORED else ""


def source_label(doc: Document) -> str:
    """Where a document came from, as a reader knows it: the source's name
    and its host (吉林新闻网（www.jl.example.cn）), or the host alone; for a
    post, its author (四平的老刘（weibo.com）)."""
    name = post_author(doc) or doc.source_name
    return f"{name}（{doc.site}）" if name and doc.site and doc.site not in name else name or doc.site


def by_sentence(reasons: Sequence[Reason]) -> list[dict]:
    """The matched terms grouped by the sentence they were found in (first seen first): one entry per
    sentence — its terms, their risk types, and the sentence cut into ``parts`` ({text, hit}) so a
    reader sees the terms highlighted. A long sentence matched by four terms is shown once, not four times.
    ``by_model`` is MODEL_EVIDENCE for a sentence the model found negative (no term), else empty."""
    groups: dict[str, dict] = {}
    for r in reasons:
        g = groups.setdefault(r.sentence, {"sentence": r.sentence, "phrases": [], "risk_types": [],
                                           "by_model": ""})
        if r.by_model:  # no term to mark: the sentence is quoted whole (reason_line, the console's pages)
            g["by_model"] = MODEL_EVIDENCE
            continue
        if r.phrase not in g["phrases"]:
            g["phrases"].append(r.phrase)
        risk = r.risk_type or "负面表述"
        if risk not in g["risk_types"]:
            g["risk_types"].append(risk)
    for g in groups.values():
        g["parts"] = _highlight(g["sentence"], g["phrases"])
    return list(groups.values())


def _highlight(sentence: str, phrases: list[str]) -> list[dict]:
    """``sentence`` cut into plain and matched parts (the longest term wins where terms overlap)."""
    terms = sorted((p for p in phrases if p), key=len, reverse=True)
    parts: list[dict] = []
    i = plain = 0
    while i < len(sentence):
        hit = next((p for p in terms if sentence.startswith(p, i)), None)
        if hit is None:
            i += 1
            continue
        if plain < i:
            parts.append({"text": sentence[plain:i], "hit": False})
        parts.append({"text": hit, "hit": True})
        i = plain = i + len(hit)
    if plain < len(sentence):
        parts.append({"text": sentence[plain:], "hit": False})
    return parts


def reason_line(group: dict) -> str:
    """One 判定依据 line: the terms, their risk types, then the sentence with the terms in 【】; a
    sentence the model found negative (no term) in plain words, the sentence quoted."""
    if group.get("by_model") and not group["phrases"]:
        return f"{MODEL_EVIDENCE}：「{group['sentence']}」"
    terms = "、".join(group["phrases"])
    marked = "".join(f"【{p['text']}】" if p["hit"] else p["text"] for p in group["parts"])
    return f"{terms}（{'、'.join(group['risk_types'])}）" + (f"：{marked}" if marked else "")


def brief_of(doc: ScoredDocument, unit_id: str) -> dict:
    """What later messages need to know about the document that triggered them."""
    reasons = [r for r in doc.reasons if getattr(r, "unit_id", None) in (None, unit_id)]
    return {
        "title": doc.title, "url": doc.url, "site": source_label(doc), "source_name": doc.source_name or doc.site,
        "channel": doc.channel.value,
        "published_at": (doc.published_at or doc.crawled_at).isoformat(),
        "negativity": round(doc.unit_negativity.get(unit_id, doc.negativity), 2),
        "reasons": [reason_line(g) for g in by_sentence(reasons)[:5]],
        "risk_types": list(dict.fromkeys(r.risk_type for r in reasons if r.risk_type)),
        "summary": trim(doc.text, SUMMARY),  # an English text cut between words, not in one
    }


def spread(alert: Alert) -> str:
    chans = "、".join(CHANNEL_LABELS.get(c, str(c)) for c in alert.channels)
    return f"共{alert.doc_count}篇，来源{len(alert.sites)}个（{chans}）"


def email_subject(alert: Alert, kind: str = "alert", reason: str = "") -> str:
    tail = (f"（{reason}）" if kind == "update" and reason else "（未确认）" if kind == "escalation"
            else "（待复核后转发单位）" if kind == "review" else "")
    # A header: one line, whatever the crawled title carries (U+2028 made smtplib raise).
    title = one_line(alert.representative.title)
    cue = FOREIGN_TITLE if title and not has_han(title) else ""  # as the SMS says it: the reader knows before opening
    return one_line(f"【{KIND_LABEL[kind]}·{alert.level.label}】{alert.unit_name}：{cue}{trim(title, 40)}{tail}")


def email_body(alert: Alert, brief: dict, recipient_name: str, ack_url: str, kind: str = "alert",
               reason: str = "", role: str = "") -> str:
    """``role``: the recipient's (alerting/routing.py Target.role); the association's duty officer is not
    the unit, so the opening line names the unit instead of saying 贵单位."""
    reasons = "\n".join(f"  · {line}" for line in brief.get("reasons", [])) or "  · 模型判定为负面"
    lead = {
        "alert": (f"监测到涉及{alert.unit_name}的负面舆情，请关注并督促该单位及时核实处置，防止舆情升级。"
                  if role.startswith("duty") else "监测到涉及贵单位的负面舆情，请及时核实处置，防止舆情升级。"),
        "update": f"您关注的负面舆情有新进展：{reason}。请及时跟进处置。",
        "escalation": f"以下负面舆情尚未得到确认：{reason}。请立即核实处置并点击下方链接确认。",
        "review": f"监测到涉及{alert.unit_name}的负面舆情，本级预警须经协会值班员复核后转发单位：{reason}。",
    }[kind]
    return multiline(f"""{recipient_name}，您好：

{lead}

预警级别：{alert.level.label}
预警编号：{alert.id}
涉及单位：{alert.unit_name}
标题：{one_line(brief.get('title', alert.representative.title))}
来源：{one_line(brief.get('site', alert.representative.site))}（{channel_label(brief.get('channel', ''))}）
发布时间：{local(brief.get('published_at'))}
原文链接：{one_line(brief.get('url', alert.representative.url))}
传播情况：{spread(alert)}
{grounds_lines(alert, brief, role)}判定依据：
{reasons}
{advice_lines(brief)}摘要：{brief.get('summary', '')}

确认收到（打开链接后点“确认收到”，无需登录）：{ack_url}

{FOOTER}
""")


def grounds_lines(alert: Alert, brief: dict, role: str) -> str:
    """The 定级依据 lines: why this level, in plain words (templates_grounds.py) for everyone; the duty
    officer (who tunes the rules) also gets the values and minimums that decided it."""
    if not alert.level_reason:
        return ""
    out = f"定级依据：{plain_grounds(alert, brief.get('risk_types') or ())}\n"
    if role.startswith("duty") and is_policy_reason(alert.level_reason):
        out += f"定级数值（供值班参考）：{one_line(alert.level_reason)}\n"
    return out


def advice_lines(brief: dict) -> str:
    """The 研判建议 lines of an e-mail: the card's short form, or what the duty officer made of it when
    forwarding after review (notes and edited advice), or that the review timed out."""
    review = brief.get("review") or {}
    out = []
    if review.get("advice"):
        out.append(f"研判建议（协会复核）：{one_line(review['advice'])}")
    elif (brief.get("card") or {}).get("steps"):
        card = brief["card"]
        out.append(f"研判建议：{one_line(card['head'])}，{card['hours']:g}小时内回应：")
        out += [f"  {i}. {one_line(step)}" for i, step in enumerate(card["steps"], 1)]
    elif brief.get("assessment"):  # an alert routed before the steps were kept in its brief
        out.append(f"研判建议：{brief['assessment']}（完整建议见确认链接页面）")
    if review.get("notes"):
        out.append(f"协会研判意见：{one_line(review['notes'])}")
    if review.get("auto"):
        out.append(f"协会复核：{AUTO_FORWARDED}")
    elif review.get("by"):
        out.append(f"协会复核：已由{one_line(review['by'])}复核转发")
    return "".join(line + "\n" for line in out)


SMS_MAX = 70  # one segment of a Chinese SMS (the provider adds the signature 【…】 on top)
SMS_KIND = {"alert": "预警", "update": "续报", "escalation": "未确认", "review": "待复核"}
SMS_UNIT = 8  # the unit's short name (国寿吉林) as an SMS shows it
SMS_RISK = 12  # the risk types an SMS names (监管处罚、销售误导), whole ones only
FOREIGN_TITLE = "英文报道："  # before an SMS title with no Chinese in it
SUMMARY = 201  # an e-mail's 摘要: the text's first 200 characters and …
FOREIGN_SHORT = "英文："  # the same, where the full cue leaves no room for the title's first word


def sms_risk(brief: dict) -> str:
    """What happened, in the risk types of the alert's reasons (理赔纠纷、业绩下滑), else 负面舆情."""
    out = ""
    for risk in brief.get("risk_types") or []:  # whole types only: 理赔纠纷, never a cut 理赔
        joined = f"{out}、{risk}" if out else risk
        if len(joined) > SMS_RISK:
            break
        out = joined
    return out or trim(next(iter(brief.get("risk_types") or []), ""), SMS_RISK) or "负面舆情"


def sms_params(alert: Alert, code: str, kind: str, form: SmsForm, *, unit: str | None = None,
               risk: str = "", names: Sequence[str] = ()) -> dict[str, str]:
    """Values for the approved alert template (短信模板变量): unit (short name), level, risk (what happened:
    the reasons' risk types), title, code (the short ack id; the console's address is fixed in the
    approved text). Every value is single-line, free of anything that reads as a link (the providers
    refuse those) and within the provider's per-variable limit; the title gets what is left of one
    ``SMS_MAX`` segment, cut with … . The unit is said first, so a title that opens with one of its ``names``
    (中国人寿吉林省分公司理赔拖了三个月) gives that room to what happened (理赔拖了三个月，谁能管管) when it does not fit
    whole; a title's closing 。！？ gives way to the template's 。 ."""
    values = {"unit": trim(one_line(unit or alert.unit_name), SMS_UNIT), "level": f"{alert.level.label}{SMS_KIND[kind]}",
              "risk": risk or "负面舆情", "code": code}
    values = {k: fit_variable(v, form.param_max) for k, v in values.items()}
    room = max(4, min(SMS_MAX - len(render(form.templates.alert.text, {**values, "title": ""})), form.param_max))
    title = sms_title(alert.representative.title, names, room)
    # An overseas story's English title cut to a dozen letters ("Regulator…") tells a Chinese reader
    # nothing; the SMS says it is an English report and the link opens it.
    values["title"] = (foreign_title(title, room) if not has_han(title) else "") or fit_variable(title, room)
    return values


SMS_AFTER_NAME = "：:，, 　"  # what may follow a unit's name that opens a title, dropped with it
SMS_NOT_AFTER_NAME = "的之"  # 平安产险的代理人…: the name is the sentence's subject, not a label to drop
SMS_TITLE_END = "。！？!?.；;"  # the template goes on with 。详见…


def sms_title(title: str, names: Sequence[str], room: int) -> str:
    """The title an SMS quotes: without its closing 。！？ (the template adds 。), and without a unit's name
    that opens it when the whole title does not fit ``room`` and enough is left (≥ 6 characters) to say what
    happened."""
    line = one_line(title)
    title = line.rstrip(SMS_TITLE_END) or line
    if len(title) <= room:
        return title
    for name in sorted((n for n in names if n), key=len, reverse=True):
        if title.startswith(name):
            rest = title[len(name):]
            if rest[:1] in SMS_NOT_AFTER_NAME:
                break
            rest = rest.lstrip(SMS_AFTER_NAME)
            return rest if len(rest) >= 6 else title
    return title


def foreign_title(title: str, room: int) -> str:
    """An English title for an SMS within ``room``: said to be an English report and cut between words
    (「英文报道：Regulator fines…」, else 「英文：Regulator…」 where the first word needs the room); "" when
    not even one word fits."""
    text = fit_variable(title, len(title))
    for cue in (FOREIGN_TITLE, FOREIGN_SHORT):
        limit = room - len(cue)
        if len(text) <= limit:
            return cue + text if text else ""
        cut = text[:limit - 1]
        if text[limit - 1] != " ":  # back to the last whole word
            cut = cut[:cut.rfind(" ") + 1] if " " in cut else ""
        cut = cut.rstrip(" ,.;:-(")
        if cut:
            return f"{cue}{cut}…"
    return ""


def sms_message(params: dict[str, str], form: SmsForm, template: str = "alert") -> dict:
    """The outbox row's ``sms``: which approved template, its values, and the text as a phone shows it."""
    return {"template": template, "params": params, "text": render(getattr(form.templates, template).text, params)}


def robot_message(alert: Alert, brief: dict, ack_url: str, kind: str = "alert", reason: str = "",
                  mention: Sequence[tuple[str, str]] = ()) -> dict:
    """Markdown for DingTalk/WeCom; ``mention`` is [(name, mobile)]: DingTalk @s them."""
    # Crawled text (title, site) is shown literally: no markdown link or HTML can come of it,
    # so the card's title link and its 确认收到 link are always ours.
    title = one_line(f"{KIND_LABEL[kind]}·{alert.level.label}·{alert.unit_name}")
    headline = markdown_text(trim(one_line(brief.get("title", alert.representative.title)), 60))
    url = markdown_url(brief.get("url", alert.representative.url))
    lines = [f"### 【{KIND_LABEL[kind]}·{alert.level.label}】{markdown_text(alert.unit_name)}",
             f"**标题**：[{headline}]({url})" if url else f"**标题**：{headline}",
             f"**来源**：{markdown_text(brief.get('site', ''))}（{channel_label(brief.get('channel', ''))}），"
             f"{local(brief.get('published_at'))}",
             f"**传播**：{markdown_text(spread(alert))}"]
    review = brief.get("review") or {}
    if kind in ("alert", "review") and (review.get("advice") or brief.get("assessment")):  # what the reviewer judges
        lines.append(f"**研判**：{markdown_text(one_line(review.get('advice') or brief['assessment']))}")
    if kind == "alert" and (review.get("notes") or review.get("auto")):
        lines.append(f"**协会复核**：{markdown_text(one_line(review.get('notes') or AUTO_FORWARDED))}")
    if reason:
        lines.append(f"**说明**：{markdown_text(reason)}")
    lines.append(f"[确认收到]({ack_url})")
    if mention:
        ask = "请及时复核" if kind == "review" else "请及时处置"
        lines.append(" ".join(f"@{mobile}" for _, mobile in mention) + f" {ask}")
    return {"title": title, "markdown": "\n\n".join(lines), "mentions": [m for _, m in mention]}


def summary_line(alert: Alert, reason: str = "") -> str:
    """One line for bundles and digests."""
    tail = f"；{reason}" if reason else ""
    return one_line(f"【{alert.level.label}】{alert.unit_name}：{trim(one_line(alert.representative.title), 40)}"
                    f"（{alert.representative.site}，{spread(alert)}{tail}）")
