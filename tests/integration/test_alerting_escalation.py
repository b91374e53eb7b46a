"""Acknowledgement and escalation on a fake clock: unacknowledged → backup →
duty officer; an ack (by the one-click link) stops it; timers survive a
restart; quiet hours and the morning digest hold messages, red bypasses."""
import re
from datetime import timedelta

import pytest

from alerting.acklinks import InvalidAckLink
from contracts.clock import FakeClock
from contracts.messages import AlertStatus
from pipeline.config import load_config
from tests.kit import build_test_app, make_scored
from yuqing.bootstrap import App

PRIMARY = "sunwei@chinalife-jl.example.cn"
BACKUP = "zhoujing@chinalife-jl.example.cn"
DUTY = "duty@jiaxh.example.cn"


def route(app, unit="chinalife-jl", level="orange", story="s1"):
    [routed] = app.router.handle(make_scored({unit: level}, story=story, url=f"http://news.example.cn/{story}",
                                             at=app.clock.now()))
    app.notifier.run_once()
    return routed.alert


def tick(app, minutes: float) -> None:
    app.clock.advance(minutes * 60)
    app.notifier.run_once()


def ack_link(mail) -> str:
    found = re.search(r"http://127\.0\.0\.1:8080/ack/(\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def test_unacknowledged_alert_escalates_to_backup_then_duty_officer(app, smtp):
    alert = route(app)  # orange: escalate every 30 min
    assert (len(smtp.to(PRIMARY)), len(smtp.to(BACKUP)), len(smtp.to(DUTY))) == (1, 0, 1)
    tick(app, 29)
    assert smtp.to(BACKUP) == []
    tick(app, 1)
    [backup] = smtp.to(BACKUP)
    assert "【舆情升级·橙色】" in backup.subject and "主要联系人超过30分钟未确认" in backup.body
    tick(app, 29)
    assert len(smtp.to(DUTY)) == 1
    tick(app, 1)
    assert len(smtp.to(DUTY)) == 2 and "上报协会值班员" in smtp.to(DUTY)[1].body
    tick(app, 600)
    assert (len(smtp.to(PRIMARY)), len(smtp.to(BACKUP)), len(smtp.to(DUTY))) == (1, 1, 2)  # the last step
    trail = app.alert_store.audit_trail(alert.id)
    assert [(t["step"], t["to"]) for t in trail if t["event"] == "escalated"] == [
        (1, ["周静 <13900000022>"]), (2, ["值班员王宁 <13800000001>"])]


def test_ack_link_stops_escalation_and_a_double_ack_is_harmless(app, smtp):
    alert = route(app, level="red")  # red: escalate after 15 min
    token = ack_link(smtp.to(PRIMARY)[0])
    claim = app.ack_signer.verify(token, app.clock.now())
    assert claim.alert_id == alert.id and claim.recipient == "孙伟 <13900000021>"
    tick(app, 5)
    # What the console's /ack/{token} page does when opened (it posts itself):
    store = app.alert_store
    store.change_status(claim.alert_id, AlertStatus.acknowledged, app.clock.now(), actor=claim.recipient, via="ack-link")
    store.change_status(claim.alert_id, AlertStatus.acknowledged, app.clock.now(), actor=claim.recipient, via="ack-link")
    tick(app, 120)
    assert smtp.to(BACKUP) == [] and len(smtp.to(DUTY)) == 1
    events = [t["event"] for t in store.audit_trail(alert.id)]
    assert "escalation.cancelled" in events and "escalated" not in events
    assert events.count("status.acknowledged") == 1 and events.count("status.acknowledged.repeat") == 1
    assert [r["state"] for r in store.timers(alert.id)] == ["cancelled"]
    app.clock.advance(timedelta(days=4).total_seconds())
    with pytest.raises(InvalidAckLink):
        app.ack_signer.verify(token, app.clock.now())


def test_ack_after_escalation_was_queued_cancels_the_pending_messages(app, smtp, tmp_path):
    alert = route(app, level="red")
    app.clock.advance(15 * 60)
    app.escalator.run_once()  # the step-1 messages are queued, not yet sent
    app.alert_store.change_status(alert.id, AlertStatus.acknowledged, app.clock.now(), actor="孙伟", via="console")
    app.notifier.run_once()
    assert smtp.to(BACKUP) == []
    assert {r["state"] for r in app.alert_store.outbox(alert.id) if r["kind"] == "escalation"} == {"cancelled"}


def test_escalation_timers_survive_a_restart(tmp_path, smtp):
    clock = FakeClock()
    first = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock)
    alert = route(first)
    first.close()  # the notify role stops; the timer is a row in the alert store
    clock.advance(31 * 60)
    second = App(load_config(tmp_path / "config"), clock=clock)
    try:
        second.notifier.run_once()
        assert len(smtp.to(BACKUP)) == 1
        assert [r["step"] for r in second.alert_store.timers(alert.id)] == [2]
    finally:
        second.close()


def test_unit_without_backup_escalates_straight_to_the_duty_officer(app, smtp):
    alert = route(app, unit="anhua", level="orange")
    tick(app, 30)
    assert len(smtp.to(DUTY)) == 2
    events = [t["event"] for t in app.alert_store.audit_trail(alert.id)]
    assert "escalation.skipped" in events


def test_quiet_hours_hold_sms_until_morning_but_red_goes_through(tmp_path, smtp, monkeypatch):
    from tests.kit import GATEWAY_ENV, gateway_settings, gateway_sim
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)
    # 2026-01-05 23:00 in Shanghai; 赵丽 (人保财险's backup) has SMS quiet hours 22:30–07:30.
    from datetime import datetime, timezone
    clock = FakeClock(datetime(2026, 1, 5, 15, 0, tzinfo=timezone.utc))
    with gateway_sim() as sim:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, settings=gateway_settings(sim))
        try:
            route(app, unit="picc-pc-jl", level="orange", story="night")
            tick(app, 30)  # escalates to the backup at 23:30
            assert sim.to("13900000012") == [] and len(smtp.to("zhaoli@picc-jl.example.cn")) == 1
            held = [t for t in app.alert_store.audit_trail(app.alert_store.list_alerts("picc-pc-jl")[0].id)
                    if t["event"] == "notification.held"]
            assert [h["reason"] for h in held] == ["QUIET_HOURS"]
            clock.advance((datetime(2026, 1, 5, 23, 30, tzinfo=timezone.utc) - clock.now()).total_seconds())
            app.notifier.run_once()
            assert len(sim.to("13900000012")) == 1  # 07:30 in Shanghai
            route(app, unit="picc-pc-jl", level="red", story="night-red")
            tick(app, 15)
            assert len(sim.to("13900000012")) == 2  # red bypasses quiet hours at once
        finally:
            app.close()


def test_blue_digest_collects_a_days_alerts_into_one_morning_email(tmp_path, smtp):
    from tests.kit import copy_config
    root = copy_config(tmp_path / "cfg")
    rules = (root / "rules.yaml").read_text(encoding="utf-8")
    (root / "rules.yaml").write_text(rules.replace("duty: true, digest: false", "duty: false, digest: true"),
                                     encoding="utf-8")
    from datetime import datetime, timezone
    clock = FakeClock(datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc))  # 10:00 in Shanghai
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, source=root)
    try:
        for i in range(3):
            route(app, level="blue", story=f"blue-{i}")
            tick(app, 60)
        assert smtp.to(PRIMARY) == []
        tick(app, 24 * 60)  # the next 08:30 in Shanghai has passed
        [digest] = smtp.to(PRIMARY)
        assert "【舆情摘要】" in digest.subject and "共3条" in digest.subject
        assert digest.body.count("/ack/") == 3
    finally:
        app.close()
