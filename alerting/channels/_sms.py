"""What both SMS clients send: the approved template a row names and its variables' values.

The values were fitted when the row was rendered (alerting/templates.py); they are fitted again here
(single line, nothing that reads as a link, within ``param_max``) so a row queued under other limits,
or a bundle, never makes the provider refuse the message. A row queued before the templates fixed the
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
    out = [(name, fit_variable(values.get(name, ""), param_max) or "-")
           for name in placeholders(template.text)]
    return template, out
