"""rules.yaml ``emergency:`` — 应急响应 (emergency response) for an alert raised to an 事件.

* ``bulletin_every``: while an 事件 is open, a 续报 (follow-up bulletin) goes
  to the unit's contacts and the association's leaders (members.yaml
  ``association.leaders``) this often, on the channels and under the quiet
  hours of the alert's level (``bulletin_channels`` narrows them; SMS at most
  once per ``bulletin_sms_gap`` per contact per alert);
* ``closing_steps``: checklist items every 事件 gets after its playbook's
  steps (``playbooks`` risk type × level);
* ``auto``: escalation rules that raise an alert to an 事件 by themselves,
  e.g. red and carried by a mainstream or central outlet.
See alerting/emergency.py and sentiment/emergency.py.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from contracts.messages import Level
from pipeline.config.base import Strict, _non_empty_terms, parse_duration

Authority = Literal["regulator", "central_media", "mainstream", "big_account"]


class EmergencyTrigger(Strict):
    """Raise an alert to an 事件 when every condition given here holds."""

    name: str = Field(min_length=1)  # shown in the timeline: why the 事件 was opened
    min_level: Level = Level.red  # the alert's level is at least this
    # carried by a mainstream outlet (rules.yaml alerting.mainstream) or by one of these carrier classes
    mainstream: bool = False
    authority: list[Authority] = Field(default_factory=list)
    min_documents: int = Field(1, ge=1)


class EmergencyRules(Strict):
    bulletin_every: float = 4 * 3600.0
    # None: the level's route (its sms/email, as the first alert); a list narrows that (alerting/bulletins.py)
    bulletin_channels: list[Literal["sms", "email"]] | None = None
    bulletin_sms_gap: float = 3600.0  # at most one SMS 续报 per contact per alert this often
    closing_steps: list[str] = Field(default_factory=lambda: ["向会员单位和协会领导报送处置结果", "事件关闭并形成复盘报告"])
    auto: list[EmergencyTrigger] = Field(default_factory=list)

    _every = field_validator("bulletin_every", "bulletin_sms_gap", mode="before")(lambda cls, v: parse_duration(v))
    _steps = field_validator("closing_steps")(lambda cls, v: _non_empty_terms(v))
