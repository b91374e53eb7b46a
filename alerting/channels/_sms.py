"""What both SMS clients send: the approved template a row names and its variables' values.

The values were fitted when the row was rendered (alerting/templates.py); they are fitted again here
(single line, nothing that reads as a link, within ``param_max``) so a row queued under other limits,
or a bundle, never makes the provider refuse the message. A bundle names the ends to keep
(``keep_end``: 「等N条」, 「等单位」): the text before them is cut, never the count. A row queued before the templates fixed the
console's address carries ``link`` instead of ``code``: its short id is taken from it.
"""
from __future__ import annotations

from pipeline.config.sms import SmsTemplate, SmsTemplates, fit_variable, placeholders


def template_values(templates: SmsTemplates, param_max: int, sms: dict) -> tuple[SmsTemplate, list[tuple[str, str]]]:
    """(the approved template, [(variable, value)] in the order of its text)."""
    template: SmsTemplate = getattr(templates, sms.get("template") or "alert")
    values = dict(sms.get("params") or {})
    if "code" not in values and "/a/" in values.get("link", ""):
        values["code"] = values["link"].rsplit("/a/", 1)[1]
    keep = sms.get("keep_end") or {}
    out = [(name, _fit(values.get(name, ""), param_max, keep.get(name, "")) or "-")
           for name in placeholders(template.text)]
    return template, out


def _fit(value: str, limit: int, end: str) -> str:
    """``value`` fitted to ``limit``; a bundle's count (``end``: 等3条, 等单位) is kept whole, the text before
    it cut instead (the count is what tells the reader there is more than the one alert named)."""
    if end and value.endswith(end) and len(end) < limit:
        return fit_variable(value[: -len(end)], limit - len(end)) + end
    return fit_variable(value, limit)
