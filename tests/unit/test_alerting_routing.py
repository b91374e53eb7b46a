"""Duty rota and route resolution: pure functions of configuration and time."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from alerting.rota import DutyRoster
from alerting.routing import Routing
from contracts.messages import Level
from pipeline.config import DutyOfficer, DutyRota, MembersFile, Rules, load_config
from tests.kit import DEMO_CONFIG

SH = ZoneInfo("Asia/Shanghai")
OFFICERS = [DutyOfficer(id=k, name=k, phone=f"1380000000{i}") for i, k in enumerate(["wang", "liu", "zhao", "qian"])]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def keys(roster: DutyRoster, when: datetime) -> list[str]:
    return [o.key for o in roster.on_duty(when)]


@pytest.fixture
def roster():
    rota = DutyRota.model_validate({
        "anchor": "2026-01-05",
        "shifts": [
            {"name": "白班", "start": "08:30", "end": "17:30", "rotation": [["wang"], ["liu"]]},
            {"name": "夜班", "start": "17:30", "end": "08:30", "rotation": [["zhao"], ["qian"]], "every_days": 7},
        ],
        "overrides": [{"start": "2026-02-16 08:30", "end": "2026-02-18 08:30", "officers": ["qian", "wang"],
                       "note": "春节"}],
    })
    return DutyRoster(OFFICERS, rota)


def test_day_shift_rotates_daily_from_the_anchor(roster):
    assert keys(roster, at("2026-01-05 09:00")) == ["wang"]
    assert keys(roster, at("2026-01-06 09:00")) == ["liu"]
    assert keys(roster, at("2026-01-07 17:29")) == ["wang"]


def test_night_shift_after_midnight_belongs_to_the_day_it_started(roster):
    assert keys(roster, at("2026-01-05 23:00")) == ["zhao"]
    assert keys(roster, at("2026-01-06 03:00")) == ["zhao"]  # started on the 5th
    assert keys(roster, at("2026-01-11 23:59")) == ["zhao"]  # weekly turns
    assert keys(roster, at("2026-01-12 08:29")) == ["zhao"]  # still the night that started on the 11th
    assert keys(roster, at("2026-01-12 17:30")) == ["qian"]  # a week after the anchor: the next turn


def test_holiday_override_wins_and_utc_input_is_converted(roster):
    assert keys(roster, at("2026-02-17 03:00")) == ["qian", "wang"]
    # 2026-02-18 00:30 UTC is 08:30 in Shanghai: the override has ended, the day shift begins.
    day = (datetime(2026, 2, 18, tzinfo=SH).date() - datetime(2026, 1, 5).date()).days
    expected = ["wang", "liu"][day % 2]
    assert keys(roster, datetime(2026, 2, 18, 0, 30, tzinfo=timezone.utc)) == [expected]


def test_no_rota_means_every_officer_all_the_time():
    assert keys(DutyRoster(OFFICERS, None), at("2026-01-01 04:00")) == ["wang", "liu", "zhao", "qian"]


@pytest.fixture
def demo():
    return load_config(DEMO_CONFIG)


def test_unit_routes_override_the_association_field_by_field(demo):
    routing = Routing(demo.members, demo.rules, {"email", "sms", "dingtalk", "wecom"})
    picc = routing.route("picc-pc-jl", Level.yellow)
    assert picc.channels == ("sms", "email", "robot")  # the unit's override
    assert picc.escalate_after == 7200 and picc.duty  # inherited from rules.yaml
    assert routing.route("chinalife-jl", Level.yellow).channels == ("email", "robot")
    assert routing.route("chinalife-jl", Level.blue).escalate_after == 0  # "never"


def test_builtin_defaults_fill_what_rules_leave_out():
    rules = Rules.model_validate({"negative_lexicon": {"x": ["拒赔"]}, "levels": [{"level": "red", "min_negativity": 0.9}],
                                  "alerting": {"routes": {"red": {"channels": ["email"]}}}})
    red = rules.alerting.routes[Level.red]
    assert red.channels == ["email"] and red.escalate_after == 900  # built-in timing kept
    assert rules.alerting.routes[Level.blue].digest is True


def test_targets_per_step_and_channel_substitution(demo):
    now = at("2026-01-05 10:00")
    full = Routing(demo.members, demo.rules, {"email", "sms", "dingtalk", "wecom"})
    step0 = {(t.channel, t.address, t.role) for t in full.targets("chinalife-jl", Level.red, 0, now)}
    assert step0 == {("sms", "13900000021", "unit-primary"), ("email", "sunwei@chinalife-jl.example.cn", "unit-primary"),
                     ("dingtalk", "chinalife-group", "unit-robot"), ("sms", "13800000001", "duty-officer"),
                     ("email", "duty@jiaxh.example.cn", "duty-officer"), ("dingtalk", "duty-group", "duty-robot")}
    assert [t.address for t in full.targets("chinalife-jl", Level.red, 1, now)] == ["13900000022",
                                                                                  "zhoujing@chinalife-jl.example.cn"]
    assert full.targets("anhua", Level.red, 1, now) == []  # no backup contact
    # SMS switched off here: the SMS recipients get email instead, nobody drops out.
    email_only = Routing(demo.members, demo.rules, {"email"})
    got = [(t.channel, t.address) for t in email_only.targets("chinalife-jl", Level.red, 0, now)]
    assert got == [("email", "sunwei@chinalife-jl.example.cn"), ("email", "duty@jiaxh.example.cn")]


def test_robot_mentions_the_unit_contacts_and_sms_falls_back_to_email(demo):
    routing = Routing(demo.members, demo.rules, {"email", "sms", "dingtalk"})
    yellow = routing.targets("picc-pc-jl", Level.yellow, 0, at("2026-01-05 10:00"))
    assert "wecom" not in {t.channel for t in yellow}  # WeCom switched off here: the unit's robot is skipped
    sms_only = MembersFile.model_validate({**demo.members.model_dump(), "units": [
        {"id": "u1", "name": "某保险公司", "contacts": [{"name": "甲", "phone": "13900000001", "email": "a@b.cn"}],
         "routes": {"red": {"channels": ["sms", "robot"], "duty": False}}, "robots": ["duty-group"]}]})
    [sms, robot] = Routing(sms_only, demo.rules, {"email", "sms", "dingtalk"}).targets("u1", Level.red, 0,
                                                                                       at("2026-01-05 10:00"))
    assert sms.fallback == ("email", "a@b.cn")
    assert robot.mentions == (("甲", "13900000001"),)


def test_quiet_hours_hold_below_the_bypass_level_and_digest_waits_for_the_morning(demo):
    routing = Routing(demo.members, demo.rules, {"email", "sms", "wecom"})
    night = at("2026-01-05 23:00")
    backup_sms = next(t for t in routing.targets("picc-pc-jl", Level.orange, 1, night) if t.channel == "sms")
    until, why = routing.not_before(backup_sms, Level.orange, night, digest=False)
    assert why == "QUIET_HOURS" and until == at("2026-01-06 07:30")
    assert routing.not_before(backup_sms, Level.red, night, digest=False) == (None, "")  # red always goes through
    backup_email = next(t for t in routing.targets("picc-pc-jl", Level.orange, 1, night) if t.channel == "email")
    assert routing.not_before(backup_email, Level.orange, night, digest=False) == (None, "")  # only SMS is quiet
    assert routing.not_before(backup_sms, Level.orange, at("2026-01-06 12:00"), digest=False) == (None, "")
    assert routing.not_before(backup_email, Level.blue, at("2026-01-06 12:00"), digest=True) == \
        (at("2026-01-07 08:30"), "DIGEST")
