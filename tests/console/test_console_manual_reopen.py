"""人工预警 on a 误报 (alert-gaps brief item 4): a hand-raised document that joins an alert someone had
marked 误报 reopens it and notifies as a hand-raised alert should — the unit at once, or, where its
level is reviewed, the duty officers at once and the unit after the review. Console API, real router,
real notifier, real SMTP server, fake clock."""
from datetime import datetime, timedelta, timezone

import pytest

from contracts.clock import FakeClock
from tests.console.conftest import UNIT_B, Api, start_console, stop_console
from tests.kit import SmtpRecorder, seed_doc

PRIMARY = "sunwei@chinalife-jl.example.cn"  # 国寿吉林's primary contact in the test members.yaml
DUTY = "duty@jiaxh.example.cn"
TITLE = "误报重开测试：国寿吉林理赔员推诿拖延"


@pytest.fixture
def smtp():
    with SmtpRecorder() as rec:
        yield rec


def console(tmp_path, smtp, rules=None):
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))  # 10:00 in Jilin
    app, _, server = start_console(tmp_path, clock=clock, rules=rules,
                                   settings={"smtp": {"host": "127.0.0.1", "port": smtp.port}})
    doc = seed_doc({UNIT_B: "orange"}, title=TITLE, text="车主反映中国人寿吉林分公司理赔员推诿拖延，已投诉。",
                   url="http://news.example.cn/reopen/1", at=clock.now(), story="reopen-story")
    app.index.upsert([doc])
    [routed] = app.router.handle(doc)
    return app, server, doc, routed.alert


def mine(smtp, address):
    return [m for m in smtp.to(address) if "理赔员推诿拖延" in m.subject]


def dismiss_then_raise(app, server, doc, level):
    duty = Api(server.url, "duty")
    alert_id = next(a.id for a in app.alert_store.list_alerts(unit_id=UNIT_B) if a.representative.id == doc.id)
    r = duty.post(f"/api/alerts/{alert_id}/actions", json={"action": "false_alarm", "text": "同名机构"})
    assert r.status_code == 200, r.text
    app.clock.advance(3600)
    app.notifier.run_once()
    r = duty.post("/api/alerts/raise", json={"unit_id": UNIT_B, "level": level, "doc_id": doc.id,
                                             "note": "确属本单位，误报标记有误"})
    assert r.status_code == 200, r.text
    return alert_id, r.json()


def test_a_hand_raised_document_on_a_false_alarm_reopens_it_and_tells_the_unit(tmp_path, smtp):
    app, server, doc, alert = console(tmp_path, smtp)
    try:
        app.notifier.run_once()
        assert len(mine(smtp, PRIMARY)) == 1
        alert_id, out = dismiss_then_raise(app, server, doc, "orange")
        assert out["alert_id"] == alert_id and out["decision"] == "REOPENED" and out["queued"] >= 1
        assert app.alert_store.get(alert_id).status.value == "new"
        app.notifier.run_once()
        mails = mine(smtp, PRIMARY)
        assert len(mails) == 2 and "人工预警" in mails[1].body and "确属本单位，误报标记有误" in mails[1].body
        trail = [t["event"] for t in app.alert_store.audit_trail(alert_id)]
        assert "reopened" in trail and "console.manual" in trail
        # Escalation runs again, as for any new alert: nobody acknowledges, the backup is told.
        app.clock.advance(timedelta(hours=2).total_seconds())
        app.notifier.run_once()
        app.notifier.run_once()
        assert any(t["event"] == "escalated" for t in app.alert_store.audit_trail(alert_id))
    finally:
        stop_console(app, server)


def test_on_a_reviewed_level_the_duty_officers_hear_first_and_the_unit_after_review(tmp_path, smtp):
    rules = {"alerting": {"routes": {"red": {"forward": "review", "review_timeout": "10m"}}}}
    app, server, doc, alert = console(tmp_path, smtp, rules=rules)
    try:
        app.notifier.run_once()
        before = len(mine(smtp, PRIMARY))
        alert_id, out = dismiss_then_raise(app, server, doc, "red")
        assert out["decision"] == "REOPENED_FOR_REVIEW"
        app.notifier.run_once()
        assert len(mine(smtp, PRIMARY)) == before  # not before the review
        assert any("待复核" in m.subject for m in mine(smtp, DUTY))
        assert app.alert_store.review(alert_id)["state"] == "pending"
        r = Api(server.url, "duty").post(f"/api/alerts/{alert_id}/forward", json={"notes": "已核实"})
        assert r.status_code == 200, r.text
        app.notifier.run_once()
        assert len(mine(smtp, PRIMARY)) == before + 1
    finally:
        stop_console(app, server)
