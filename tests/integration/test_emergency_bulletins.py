"""事件 续报 follow the alert's level like its first messages (alert-gaps brief items 3b and 5), through
the composition root on a fake clock, with real SMTP and the SMS/robot gateway stand-in: SMS and e-mail
as the level's route says, quiet hours as for the first alert, at most one SMS 续报 per contact per alert
per bulletin_sms_gap; none to the unit while the alert waits for a duty officer's review."""
from datetime import datetime, timedelta, timezone

from contracts.clock import FakeClock
from tests.integration.test_alerting_delivery import env, sim  # noqa: F401  (fixtures)
from tests.integration.test_alerting_review import REVIEW
from tests.kit import build_test_app, gateway_settings, make_scored

LIMING = "13900000011"  # 人保财险's primary contact: no quiet hours
ZHAOLI = "13900000012"  # its backup: no SMS 22:30-07:30 below red
LEADER = "leader@jiaxh.example.cn"
SUNWEI = "sunwei@chinalife-jl.example.cn"


def bulletin_rows(app, alert_id, number, channel=None):
    return [r for r in app.alert_store.outbox(alert_id) if r["kind"] == "bulletin" and r["round"] == number
            and (channel is None or r["channel"] == channel)]


def notified_orange_alert(app, story: str) -> str:
    """An orange alert about 人保财险 (primary 李明, backup 赵丽), its first messages sent: its id."""
    [routed] = app.router.handle(make_scored({"picc-pc-jl": "orange"}, story=story, at=app.clock.now(),
                                             title="人保财险吉林分公司理赔拖延遭投诉"))
    app.notifier.run_once()
    return routed.alert.id


def raise_and_bulletin(app, alert_id):
    em = app.emergency.open(alert_id, actor="值班员王宁", via="console")
    app.emergency.bulletin_now(em["id"], actor="值班员王宁", via="console")
    app.notifier.run_once()
    return em


def test_bulletins_go_by_sms_and_email_under_quiet_hours_with_an_sms_rate_limit(tmp_path, smtp, sim):  # noqa: F811
    clock = FakeClock(datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc))  # 23:00 in Jilin
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, settings=gateway_settings(sim))
    try:
        alert_id = notified_orange_alert(app, "night")
        em = raise_and_bulletin(app, alert_id)
        sms = {r["recipient"]: r for r in bulletin_rows(app, alert_id, 1, "sms")}
        assert set(sms) >= {LIMING, ZHAOLI}
        assert any("续报" in m.text for m in sim.to(LIMING))  # at once: no quiet hours
        held_until = datetime.fromisoformat(sms[ZHAOLI]["next_attempt_at"])
        assert held_until == datetime(2026, 3, 2, 23, 30, tzinfo=timezone.utc)  # 07:30 in Jilin
        assert not any("续报" in m.text for m in sim.to(ZHAOLI))
        assert any(e["event"] == "notification.held" and e.get("reason") == "QUIET_HOURS"
                   for e in app.alert_store.audit_trail(alert_id))
        assert len([m for m in smtp.to("zhaoli@picc-jl.example.cn") if "续报" in m.subject]) == 1  # e-mail: not held
        assert len([m for m in smtp.to(LEADER) if "续报" in m.subject]) == 1

        clock.advance(10 * 60)  # 立即发送续报 again soon after: e-mail only, no second SMS
        app.emergency.bulletin_now(em["id"], actor="值班员王宁", via="console")
        app.notifier.run_once()
        assert bulletin_rows(app, alert_id, 2, "sms") == [] or LIMING not in {
            r["recipient"] for r in bulletin_rows(app, alert_id, 2, "sms")}
        assert {r["recipient"] for r in bulletin_rows(app, alert_id, 2, "email")} >= {"liming@picc-jl.example.cn"}
        skipped = [e for e in app.alert_store.audit_trail(alert_id) if e["event"] == "emergency.bulletin.skipped"]
        assert skipped and "SMS_RATE" in skipped[-1]["reason"]

        clock.advance(timedelta(hours=1).total_seconds())  # past bulletin_sms_gap: SMS again
        app.emergency.bulletin_now(em["id"], actor="值班员王宁", via="console")
        app.notifier.run_once()
        assert LIMING in {r["recipient"] for r in bulletin_rows(app, alert_id, 3, "sms")}
        clock.advance(timedelta(hours=8).total_seconds())  # morning: 赵丽's held SMS goes out
        app.notifier.run_once()
        assert any("续报" in m.text for m in sim.to(ZHAOLI))
    finally:
        app.close()


def test_no_bulletin_reaches_the_unit_while_its_alert_waits_for_review(tmp_path, smtp):
    clock = FakeClock()
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, rules=REVIEW)
    try:
        [routed] = app.router.handle(make_scored({"chinalife-jl": "red"}, story="held", at=app.clock.now()))
        app.notifier.run_once()
        alert_id = routed.alert.id
        assert app.alert_store.review(alert_id)["state"] == "pending"
        em = raise_and_bulletin(app, alert_id)
        assert [m for m in smtp.to(SUNWEI)] == []  # neither the alert nor its 续报
        assert len([m for m in smtp.to(LEADER) if "续报" in m.subject]) == 1  # the association hears
        [skipped] = [e for e in app.alert_store.audit_trail(alert_id) if e["event"] == "emergency.bulletin.skipped"]
        assert skipped["reason"] == ["REVIEW"]
        app.forwarder.forward(alert_id, actor="值班员王宁", via="console")
        clock.advance(60)
        app.emergency.bulletin_now(em["id"], actor="值班员王宁", via="console")
        app.notifier.run_once()
        subjects = [m.subject for m in smtp.to(SUNWEI)]
        assert len(subjects) == 2 and any("续报2" in s for s in subjects)  # the alert, then the next 续报
    finally:
        app.close()
