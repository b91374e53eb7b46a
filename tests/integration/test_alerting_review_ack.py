"""确认收到 on an alert awaiting review (待复核), on SQLite and PostgreSQL with a real SMTP server.

The product owner's decision: an acknowledgement while the alert waits for the association's review
records who received it (值班员已确认收到，待复核) and stops what was aimed at the duty officers, but is
NOT the unit's acknowledgement and does NOT stop the review path: the unit is told when a duty officer
forwards it or when the review deadline passes, and the unit's own escalation chain starts then. The
unit's own acknowledgement afterwards is recorded separately."""
from datetime import timedelta

import pytest

from contracts.messages import AlertStatus
from tests.integration.test_alerting_review import BACKUP, DUTY, PRIMARY, REVIEW, events, route, tick
from tests.kit import make_scored


@pytest.fixture
def app_rules():
    return REVIEW  # red: forward: review (10 min), escalation after 15 min; orange: auto


def ack(app, alert_id: str, actor: str = "值班员王宁", via: str = "ack-link"):
    return app.alert_store.change_status(alert_id, AlertStatus.acknowledged, app.clock.now(), actor=actor, via=via)


def test_a_duty_officers_ack_while_held_is_not_the_units_and_the_forward_starts_the_units_escalation(app, smtp):
    alert = route(app)
    assert len(smtp.to(DUTY)) == 1
    app.clock.advance(60)
    after = ack(app, alert.id)
    assert after.status is AlertStatus.new  # the unit has not been told, so it has not acknowledged
    assert app.alert_store.get(alert.id).status is AlertStatus.new
    review = app.alert_store.review(alert.id)
    assert review["state"] == "pending" and review["acked_by"] == "值班员王宁" and review["acked_via"] == "ack-link"
    assert review["acked_at"]
    assert "review.acknowledged" in events(app, alert.id) and "status.acknowledged" not in events(app, alert.id)
    ack(app, alert.id)  # a second click: harmless, the first receipt kept
    assert app.alert_store.review(alert.id)["acked_by"] == "值班员王宁"
    assert "review.acknowledged.repeat" in events(app, alert.id)
    assert smtp.to(PRIMARY) == []

    app.clock.advance(4 * 60)
    app.forwarder.forward(alert.id, actor="值班员王宁", via="console", notes="已核实")
    app.notifier.run_once()
    assert len(smtp.to(PRIMARY)) == 1 and app.alert_store.get(alert.id).status is AlertStatus.notified
    tick(app, 14)
    assert smtp.to(BACKUP) == []
    tick(app, 1)  # the unit did not acknowledge within 15 minutes of being told: its backup is told
    assert len(smtp.to(BACKUP)) == 1

    unit = ack(app, alert.id, actor=PRIMARY, via="ack-link")  # now the unit's own acknowledgement
    assert unit.status is AlertStatus.acknowledged
    assert app.alert_store.review(alert.id)["acked_by"] == "值班员王宁"  # kept apart from the unit's
    assert "status.acknowledged" in events(app, alert.id)
    tick(app, 60)
    assert len(smtp.to(BACKUP)) == 1 and len([m for m in smtp.to(DUTY) if "未确认" in m.subject]) == 0


def test_a_duty_officers_ack_does_not_stop_the_review_deadline_forwarding(app, smtp):
    alert = route(app)
    ack(app, alert.id, via="console")
    tick(app, 9)
    assert smtp.to(PRIMARY) == []
    tick(app, 1)  # nobody reviewed: forwarded by itself, and the unit's escalation runs from now
    [mail] = smtp.to(PRIMARY)
    assert "超时未复核，已自动转发" in mail.body
    assert app.alert_store.review(alert.id)["state"] == "forwarded"
    assert app.alert_store.get(alert.id).status is AlertStatus.notified
    assert [t["kind"] for t in app.alert_store.timers(alert.id) if t["state"] == "pending"] == ["escalate"]
    tick(app, 15)
    assert len(smtp.to(BACKUP)) == 1


def test_a_duty_officers_ack_cancels_their_own_unsent_review_messages(app, smtp):
    alert = route(app)
    # A review message to the duty officers that has not gone yet (e.g. a retry or a fallback still queued).
    with app.alert_store.transaction() as db:
        db.execute("UPDATE outbox SET state='pending' WHERE alert_id=? AND kind='review'", (alert.id,))
    ack(app, alert.id)
    rows = [r for r in app.alert_store.outbox(alert.id) if r["kind"] == "review"]
    assert rows and {r["state"] for r in rows} == {"cancelled"}
    assert {r["state"] for r in app.alert_store.outbox(alert.id) if r["recipient"] == PRIMARY} == {"held"}


def test_other_status_changes_while_held_keep_their_meaning(app, smtp):
    alert = route(app)
    app.alert_store.change_status(alert.id, AlertStatus.dismissed, app.clock.now(), actor="值班员王宁", via="console")
    assert app.alert_store.review(alert.id)["state"] == "dismissed"
    assert app.alert_store.review(alert.id)["acked_by"] is None
    tick(app, 60)
    assert smtp.to(PRIMARY) == []


def test_a_review_message_that_fails_after_the_ack_is_not_chased(app, smtp):
    [routed] = app.router.handle(make_scored({"chinalife-jl": "red"}, story="s9", url="http://news.example.cn/s9",
                                             at=app.clock.now()))
    alert = routed.alert
    # The duty officer's 待复核 e-mail is in flight (claimed) when the ack comes, then fails for good.
    claimed = [n for n in app.alert_store.claim_due(app.clock.now(), 50, owner="n1", lease=timedelta(seconds=60))
               if n.kind == "review"]
    assert claimed
    ack(app, alert.id)
    app.notifier._failed(claimed, "550 mailbox unavailable")
    trail = app.alert_store.audit_trail(alert.id)
    assert [t["reason"] for t in trail if t["event"] == "fallback.skipped"] == ["review acknowledged"] * len(claimed)
    assert "fallback" not in [t["event"] for t in trail] and "delivery.unreached" not in [t["event"] for t in trail]
    tick(app, 5)
    assert smtp.to(PRIMARY) == [] and {r["state"] for r in app.alert_store.outbox(alert.id)
                                       if r["recipient"] == PRIMARY} == {"held"}
