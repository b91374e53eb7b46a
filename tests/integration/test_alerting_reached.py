"""A failed SMS does not send the duty officers a 投递失败 notice when the same person is reached by
e-mail about the same alert — for the alert itself and for an 事件's 续报 (the check is per person,
whatever channel each message went on); a person reached by nothing still is reported."""
from datetime import datetime, timezone

from contracts.clock import FakeClock
from tests.integration.test_alerting_delivery import env, sim  # noqa: F401  (fixtures)
from tests.integration.test_emergency_bulletins import notified_orange_alert, raise_and_bulletin
from tests.kit import build_test_app, gateway_settings, make_scored

DUTY = "duty@jiaxh.example.cn"
SUNWEI_PHONE, SUNWEI = "13900000021", "sunwei@chinalife-jl.example.cn"  # 中国人寿's primary: SMS + e-mail
LIMING_PHONE, LIMING = "13900000011", "liming@picc-jl.example.cn"  # 人保财险's primary: SMS + e-mail


def notices(smtp) -> list:
    return [m for m in smtp.to(DUTY) if "投递失败" in m.subject]


def events(app, alert_id, kind=None) -> list[dict]:
    kinds = {r["id"]: r["kind"] for r in app.alert_store.outbox(alert_id)}
    return [e for e in app.alert_store.audit_trail(alert_id)
            if kind is None or kinds.get(e.get("notification_id") or "") == kind]


def test_an_alerts_failed_sms_is_not_reported_when_its_email_reached_the_person(tmp_path, smtp, sim):  # noqa: F811
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(), settings=gateway_settings(sim))
    try:
        sim.bad_numbers |= {SUNWEI_PHONE}
        [routed] = app.router.handle(make_scored({"chinalife-jl": "red"}, story="a1", at=app.clock.now()))
        app.notifier.run_once()
        app.notifier.run_once()
        rows = {(r["channel"], r["recipient"]): r for r in app.alert_store.outbox(routed.alert.id)}
        assert rows[("sms", SUNWEI_PHONE)]["state"] == "failed"
        assert rows[("email", SUNWEI)]["state"] == "accepted" and smtp.to(SUNWEI)
        trail = events(app, routed.alert.id)
        assert not [e for e in trail if e["event"] == "delivery.unreached"] and notices(smtp) == []
        assert [e for e in trail if e["event"] == "fallback.skipped"
                and e["notification_id"] == rows[("sms", SUNWEI_PHONE)]["id"]]
    finally:
        app.close()


def test_a_bulletins_failed_sms_is_not_reported_when_its_email_reached_the_person(tmp_path, smtp, sim):  # noqa: F811
    clock = FakeClock(datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc))  # 11:00 in Jilin: no quiet hours
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, settings=gateway_settings(sim))
    try:
        alert_id = notified_orange_alert(app, "b1")
        sim.bad_numbers |= {LIMING_PHONE}  # from the 续报 on, 李明's phone cannot be reached
        raise_and_bulletin(app, alert_id)
        app.notifier.run_once()  # the failed SMS's consequences (a notice, if any) go out
        rows = {(r["channel"], r["recipient"]): r for r in app.alert_store.outbox(alert_id) if r["kind"] == "bulletin"}
        assert rows[("sms", LIMING_PHONE)]["state"] == "failed"
        assert rows[("email", LIMING)]["state"] == "accepted"
        assert [m for m in smtp.to(LIMING) if "续报" in m.subject]
        trail = events(app, alert_id, "bulletin")
        assert not [e for e in trail if e["event"] == "delivery.unreached"] and notices(smtp) == []
        assert [e for e in trail if e["event"] == "fallback.skipped"]
        # 续报 name each person once, whatever channels carried it.
        [bulletin] = [e for e in app.alert_store.audit_trail(alert_id) if e["event"] == "emergency.bulletin"]
        assert len(bulletin["recipients"]) == len(set(bulletin["recipients"]))

    finally:
        app.close()
