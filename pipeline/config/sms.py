"""SMS templates as the providers approve them, and the rules a variable must keep.

A Chinese SMS is sent from a template approved by the provider: fixed text
with variables. Neither Aliyun nor Tencent lets a variable carry a link, so
the console's address is fixed in the approved text (``…详见https://<domain>/a/{code}``)
and only the 8-character short id travels as a variable; a variable has a
length limit, and two variables may not touch.

* Aliyun (通知短信模板规范, help.aliyun.com/document_detail/463270; 链接规范: a
  link must be fixed text of the template; 变量规范: a notification variable
  of the "other" kind holds 1–35 characters since 2018-01-10,
  developer.aliyun.com/ask/220871): a value over the limit is refused with
  ``isv.PARAM_LENGTH_LIMIT``, a link in a value with ``isv.TEMPLATE_PARAMS_ILLEGAL``,
  an unknown template with ``isv.SMS_TEMPLATE_ILLEGAL`` (API 错误码,
  help.aliyun.com/document_detail/101346).
* Tencent Cloud (正文模板审核标准, cloud.tencent.com/document/product/382/39023):
  "变量内不支持传入链接（包含短链接）", links only as constant text; two variables
  may not be adjacent; a variable of an individually verified account holds
  at most 12 characters (tencentcloud.com/zh/document/product/382/40659),
  an enterprise's what its console's template page says. Errors:
  ``InvalidParameterValue.ProhibitedUseUrlInTemplateParameter``,
  ``InvalidParameterValue.TemplateParameterLengthLimit``,
  ``FailedOperation.TemplateIncorrectOrUnapproved``.

Both count every character as one (汉字, letter, digit, punctuation, space).
In settings.yaml a template's ``text`` is the approved text with each
variable written ``{name}`` (our field names; Aliyun's approved text says
``${name}``, Tencent's ``{1}``, ``{2}``… in the same order).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import field_validator, model_validator

from contracts.sanitize import one_line
from pipeline.config.base import Strict
from sentiment.matching import ascii_word_char

PARAM_MAX = {"aliyun": 35, "tencent": 12}  # documented per-variable limits (see above)
_VAR = re.compile(r"\{([a-z_]+)\}")
# What reads as a web address inside a value (the providers refuse one): a scheme, www., or a
# host name ending in a common top-level domain.
_URL_CHARS = r"[A-Za-z0-9./:%?#&=+~_@-]"
_URLISH = re.compile(rf"(?ai)(?:https?://|www\.){_URL_CHARS}*|[a-z0-9-]+(?:\.[a-z0-9-]+)*"
                     rf"\.(?:com|cn|net|org|gov|edu|top|xyz|info|cc)\b(?:/{_URL_CHARS}*)?")
_TRAILING = " ，、,.;；：:（(【《“‘-—…"


def placeholders(text: str) -> list[str]:
    return _VAR.findall(text)


def render(text: str, values: dict[str, str]) -> str:
    return _VAR.sub(lambda m: values.get(m.group(1), ""), text)


def trim(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut with … at the end (never after a comma or an open bracket,
    nor inside an English word when a space in the second half of the cut allows).
    The one truncator of the messages (SMS values, e-mail subjects, robot cards, bundles)."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:max(limit, 0)]
    cut = text[: limit - 1]
    if ascii_word_char(cut[-1:]) and ascii_word_char(text[limit - 1]):  # mid-word: back to the last space
        space = cut.rfind(" ")
        if space >= len(cut) // 2:
            cut = cut[:space]
    return cut.rstrip(_TRAILING) + "…"


def without_links(text: str) -> str:
    """A variable's value with whatever looks like a web address taken out (a crawled title may carry one)."""
    return re.sub(r"\s{2,}", " ", _URLISH.sub("", text)).strip()


def fit_variable(text: str, limit: int) -> str:
    """A template variable's value as the providers take it: one line, no web address, within ``limit``."""
    return trim(without_links(one_line(text)), limit)


class SmsTemplate(Strict):
    """One approved template: the provider's code (Aliyun TemplateCode, Tencent TemplateId) and its text."""

    code: str
    text: str

    @field_validator("text")
    @classmethod
    def _approvable(cls, v: str) -> str:
        if not placeholders(v):
            raise ValueError("an SMS template needs its variables written {name}")
        if re.search(r"\}\{", v):
            raise ValueError(f"two variables touch in {v!r}: the providers approve no adjacent variables")
        if "【" in v or "】" in v:
            raise ValueError("【】 is the signature's: not in a template's text")
        for url in re.findall(r"https?://\S+", v):
            if _VAR.search(url.split("/a/{code}")[0]):
                raise ValueError(f"a variable inside the link {url!r}: the domain must be fixed in the approved text")
        return v


class SmsTemplates(Strict):
    """The approved templates of one provider: ``alert`` (one alert; the link's short id is its only part
    that varies: ``…/a/{code}``) and ``notice`` (the monitoring system's own alerts; a fixed link)."""

    alert: SmsTemplate
    notice: SmsTemplate

    @model_validator(mode="after")
    def _links(self) -> SmsTemplates:
        if "/a/{code}" not in self.alert.text:
            raise ValueError("templates.alert.text must end its link in /a/{code} (the short ack id)")
        if "{code}" in self.notice.text:
            raise ValueError("templates.notice.text has no short id ({code}): its link is fixed")
        return self

    def link_base(self) -> str:
        """The console's address fixed in the alert template (``https://<domain>``)."""
        head = self.alert.text.split("/a/{code}")[0]
        match = re.search(r"https?://\S+$", head)
        return match.group(0) if match else ""


def default_templates(base_url: str) -> SmsTemplates:
    """The demo's templates for ``base_url`` (what settings.yaml spells out; used when SMS is off)."""
    base = base_url.rstrip("/")
    return SmsTemplates(alert=SmsTemplate(code="SMS_480125001", text=f"{{unit}}舆情{{level}}：{{risk}}，{{title}}。详见{base}/a/{{code}}"),
                        notice=SmsTemplate(code="SMS_480125002", text=f"{{unit}}运行{{level}}：{{title}}（{{source}}）。详见{base}/ops"))


@dataclass(frozen=True)
class SmsForm:
    """What an SMS is rendered with: the active provider's approved templates and its per-variable limit."""

    templates: SmsTemplates
    param_max: int
