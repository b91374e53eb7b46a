"""开始处置 and 处置完毕 on an alert awaiting review (待复核), on SQLite and PostgreSQL with a real SMTP server.

The product owner's decision (like 确认收到, migration 050): acting on a held alert is the duty officers' act.
开始处置 records that the duty officers are handling it and does NOT stop the unit's escalation, which starts
when the alert is forwarded: the unit is still told and chased. 处置完毕 closes it as handled by the
association: it is never forwarded, the review timer stops, nobody is reminded, and later news of the story
does not reach the unit. Reopening it puts it back to review."""
from datetime import timedelta

import pytest

from contracts.messages import AlertStatus
from tests.integration.test_alerting_review import BACKUP, DUTY, PRIMARY, REVIEW, events, route, tick
from tests.kit import make_scored


@pytest.fixture
def app_rules():
    return REVIEW  # red: forward: review (10 min), escalation after 15 min; orange: auto


def act(app, alert_id: str, status: AlertStatus, actor: str = "值班员王宁", via: str = "console"):
    return app.alert_store.change_status(alert_id, status, app.clock.now(), actor=actor, via=via)


def unit_rows(app, alert_id: str) -> set[str]:
    return {r["state"] for r in app.alert_store.outbox(alert_id) if r["recipient"] == PRIMARY}


def test_handling_while_held_is_the_duty_officers_and_the_forward_starts_the_units_escalation(app, smtp):
    alert = route(app)
    app.clock.advance(60)
    after = act(app, alert.id, AlertStatus.handling)
    assert after.status is AlertStatus.new and app.alert_store.get(alert.id).status is AlertStatus.new
    review = app.alert_store.review(alert.id)
    assert review["state"] == "pending" and review["handling_by"] == "值班员王宁" and review["handling_via"] == "console"
    assert review["handling_at"] and review["acked_by"] is None
    assert "review.handling" in events(app, alert.id) and "status.handling" not in events(app, alert.id)
    act(app, alert.id, AlertStatus.handling, actor="值班员李雷")  # a second officer: a repeat, the first kept
    assert app.alert_store.review(alert.id)["handling_by"] == "值班员王宁"
    assert "review.handling.repeat" in events(app, alert.id)
    assert smtp.to(PRIMARY) == [] and unit_rows(app, alert.id) == {"held"}
    assert [t["kind"] for t in app.alert_store.timers(alert.id) if t["state"] == "pending"] == ["review"]

    app.clock.advance(3 * 60)
    app.forwarder.forward(alert.id, actor="值班员王宁", via="console", notes="协会已联系当事人")
    app.notifier.run_once()
    assert len(smtp.to(PRIMARY)) == 1 and app.alert_store.get(alert.id).status is AlertStatus.notified
    assert [t["kind"] for t in app.alert_store.timers(alert.id) if t["state"] == "pending"] == ["escalate"]
    tick(app, 14)
    assert smtp.to(BACKUP) == []
    tick(app, 1)  # the unit did not acknowledge within 15 minutes of being told: its backup is chased
    assert len(smtp.to(BACKUP)) == 1
    unit = act(app, alert.id, AlertStatus.handling, actor=PRIMARY, via="ack-link")  # now the unit's own
    assert unit.status is AlertStatus.handling and "status.handling" in events(app, alert.id)
    assert app.alert_store.review(alert.id)["handling_by"] == "值班员王宁"  # kept apart from the unit's
    tick(app, 60)
    assert len(smtp.to(BACKUP)) == 1


def test_handling_while_held_does_not_stop_the_review_deadline_nor_the_escalation_after_it(app, smtp):
    alert = route(app)
    act(app, alert.id, AlertStatus.handling)
    tick(app, 10)  # nobody forwarded: the timer does, and the unit is chased from then on
    assert len(smtp.to(PRIMARY)) == 1 and app.alert_store.review(alert.id)["state"] == "forwarded"
    tick(app, 15)
    assert len(smtp.to(BACKUP)) == 1


def test_handling_while_held_cancels_the_duty_officers_unsent_reminders(app, smtp):
    alert = route(app)
    with app.alert_store.transaction() as db:  # a 待复核 message not sent yet (a retry, a fallback)
        db.execute("UPDATE outbox SET state='pending' WHERE alert_id=? AND kind='review'", (alert.id,))
    act(app, alert.id, AlertStatus.handling)
    rows = [r for r in app.alert_store.outbox(alert.id) if r["kind"] == "review"]
    assert rows and {r["state"] for r in rows} == {"cancelled"}
    assert unit_rows(app, alert.id) == {"held"}


def test_resolved_while_held_is_never_forwarded_and_nobody_is_reminded(app, smtp):
    alert = route(app)
    duty_mails = len(smtp.to(DUTY))
    app.clock.advance(60)
    act(app, alert.id, AlertStatus.handling)
    closed = act(app, alert.id, AlertStatus.resolved)
    assert closed.status is AlertStatus.resolved
    review = app.alert_store.review(alert.id)
    assert review["state"] == "resolved" and review["forwarded_by"] == "值班员王宁" and review["forwarded_at"]
    assert app.alert_store.pending_reviews() == 0
    assert unit_rows(app, alert.id) == {"cancelled"}
    assert [t for t in app.alert_store.timers(alert.id) if t["state"] == "pending"] == []
    assert {"status.resolved", "review.resolved"} <= set(events(app, alert.id))
    out = app.forwarder.forward(alert.id, actor="值班员李雷", via="console")  # a stale page's 复核并转发
    assert not out["forwarded"] and app.alert_store.review(alert.id)["state"] == "resolved"
    tick(app, 60)
    assert smtp.to(PRIMARY) == [] and smtp.to(BACKUP) == [] and len(smtp.to(DUTY)) == duty_mails
    # Later news of the story does not reach the unit either (it was never told).
    [routed] = app.router.handle(make_scored({"chinalife-jl": "red"}, story="s1", url="http://weibo.example.cn/s1",
                                             at=app.clock.now()))
    app.notifier.run_once()
    tick(app, 60)
    assert routed.alert.status is AlertStatus.resolved
    assert smtp.to(PRIMARY) == [] and smtp.to(BACKUP) == []
    assert app.alert_store.review(alert.id)["state"] == "resolved"


def test_a_review_message_failing_after_the_review_closed_is_not_chased(app, smtp):
    [routed] = app.router.handle(make_scored({"chinalife-jl": "red"}, story="s9", url="http://news.example.cn/s9",
                                             at=app.clock.now()))
    claimed = [n for n in app.alert_store.claim_due(app.clock.now(), 50, owner="n1", lease=timedelta(seconds=60))
               if n.kind == "review"]
    assert claimed
    act(app, routed.alert.id, AlertStatus.resolved)
    app.notifier._failed(claimed, "550 mailbox unavailable")
    trail = app.alert_store.audit_trail(routed.alert.id)
    assert [t["reason"] for t in trail if t["event"] == "fallback.skipped"] == ["review resolved"] * len(claimed)
    assert "fallback" not in [t["event"] for t in trail]


def test_an_alert_resolved_while_held_and_reopened_goes_back_to_review_and_the_unit_is_chased(app, smtp):
    alert = route(app)
    act(app, alert.id, AlertStatus.resolved)
    tick(app, 30)
    reopened = act(app, alert.id, AlertStatus.handling, actor="值班员李雷")  # 重新打开
    assert reopened.status is AlertStatus.new  # the unit has still not been told
    review = app.alert_store.review(alert.id)
    assert review["state"] == "pending" and review["handling_by"] == "值班员李雷"
    assert "review.requeued" in events(app, alert.id) and unit_rows(app, alert.id) == {"held"}
    tick(app, 5)
    assert smtp.to(PRIMARY) == []
    app.forwarder.forward(alert.id, actor="值班员李雷", via="console", notes="重新研判后需单位处置")
    app.notifier.run_once()
    [mail] = smtp.to(PRIMARY)
    assert "协会研判意见：重新研判后需单位处置" in mail.body
    tick(app, 15)
    assert len(smtp.to(BACKUP)) == 1  # chased like any forwarded alert


def test_the_report_does_not_count_closing_a_held_alert_as_the_units_acknowledgement(app, smtp):
    """各单位预警处置情况: an alert the association closed while held was never the unit's to acknowledge
    nor to resolve."""
    from types import SimpleNamespace
    from typing import cast

    from console.ports import Ports
    from console.reports import build
    closed, told = route(app, story="s1"), route(app, story="s2")
    app.clock.advance(10 * 60)
    act(app, closed.id, AlertStatus.resolved)  # 10 minutes after it was raised, by the duty officers
    app.forwarder.forward(told.id, actor="值班员王宁", via="console")
    app.clock.advance(20 * 60)
    act(app, told.id, AlertStatus.acknowledged, actor=PRIMARY, via="ack-link")  # the unit, 30 minutes after
    store = app.alert_store
    ports = cast(Ports, SimpleNamespace(detected_at=store.detected_at, audit_trail=store.audit_trail,
                                        reviews=store.reviews, unit_names={}))
    [row] = build._handling(ports, [store.get(closed.id), store.get(told.id)], [])
    # nor as the unit's 已处置: counted apart (the report says so under the table)
    assert (row["alerts"], row["acknowledged"], row["ack_minutes"], row["resolved"]) == (2, 1, 30, 0)
    assert row["association_resolved"] == 1


def test_the_report_says_under_the_handling_table_how_many_the_association_closed_while_held():
    from console.reports import docx_layout, render
    row = {"unit": "国寿吉林", "alerts": 2, "levels": "红色2", "acknowledged": 1, "ack_time": "30分钟", "unacknowledged": 0,
           "handling": 0, "resolved": 0, "association_resolved": 1, "false_alarms": 0}
    doc = docx_layout.new_document()
    render._handling(doc, {"handling": [row]}, {})
    assert any("另有1条预警在复核阶段由协会处置完毕" in p.text for p in doc.paragraphs)
    doc = docx_layout.new_document()
    render._handling(doc, {"handling": [{**row, "association_resolved": 0}]}, {})
    assert not any("协会处置完毕" in p.text for p in doc.paragraphs)
