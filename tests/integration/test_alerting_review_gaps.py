"""forward: review, the gaps (alert-gaps brief item 3), on SQLite and PostgreSQL with a real SMTP server:
an alert raised to a reviewed level after it opened is held like a new one (unless already forwarded);
news of a held alert never reaches the unit before the review; a 误报 reopened goes back to review."""
import pytest

from contracts.messages import AlertStatus
from tests.integration.test_alerting_review import BACKUP, DUTY, PRIMARY, REVIEW, events, route, tick


@pytest.fixture
def app_rules():
    return REVIEW  # red: forward: review (10 min); orange: auto


def test_an_alert_raised_to_red_after_it_opened_is_held_for_review(app, smtp):
    alert = route(app, level="orange")
    [first] = smtp.to(PRIMARY)  # orange: the unit is told at once
    app.clock.advance(60)
    raised = route(app, level="red", url="http://weibo.example.cn/raised")  # same story, now red
    assert raised.level.value == "red" and app.alert_store.review(alert.id)["state"] == "pending"
    assert smtp.to(PRIMARY) == [first]  # the raise waits for the review
    review_mails = [m for m in smtp.to(DUTY) if "待复核" in m.subject]
    assert len(review_mails) == 1 and "预警等级由橙色升至红色" in review_mails[0].body
    assert "review.held" in events(app, alert.id)
    tick(app, 20)  # orange's escalation would have fired by now: it runs from the forwarding instead
    assert smtp.to(BACKUP) == []
    assert len(smtp.to(PRIMARY)) == 2 and "超时未复核，已自动转发" in "".join(
        e.get("reason") or "" for e in app.alert_store.audit_trail(alert.id) if e["event"] == "review.forwarded")
    raise_mail = smtp.to(PRIMARY)[1]
    assert "红色" in raise_mail.subject and "预警等级由橙色升至红色" in raise_mail.body
    assert "协会复核：超时未复核，已自动转发" in raise_mail.body  # rendered anew when forwarded, like a first alert


def test_a_raise_after_the_review_was_forwarded_goes_straight_to_the_unit(app, smtp):
    alert = route(app, level="red")
    app.forwarder.forward(alert.id, actor="值班员王宁", via="console")
    app.notifier.run_once()
    assert len(smtp.to(PRIMARY)) == 1
    app.alert_store.change_status(alert.id, AlertStatus.acknowledged, app.clock.now(), actor="孙伟", via="ack-link")
    app.clock.advance(60)
    route(app, level="red", url="http://weibo.example.cn/more")  # news of a forwarded alert: normal rules
    assert app.alert_store.review(alert.id)["state"] == "forwarded"
    assert events(app, alert.id).count("review.held") == 1


def test_a_false_alarm_reopened_goes_back_to_review(app, smtp):
    alert = route(app, level="red")
    app.alert_store.change_status(alert.id, AlertStatus.dismissed, app.clock.now(), actor="值班员王宁", via="console")
    tick(app, 30)
    assert app.alert_store.review(alert.id)["state"] == "dismissed" and smtp.to(PRIMARY) == []
    app.alert_store.change_status(alert.id, AlertStatus.handling, app.clock.now(), actor="值班员李雷", via="console")
    review = app.alert_store.review(alert.id)
    assert review["state"] == "pending" and "review.requeued" in events(app, alert.id)
    assert {r["state"] for r in app.alert_store.outbox(alert.id) if r["recipient"] == PRIMARY} == {"held"}
    tick(app, 5)
    assert smtp.to(PRIMARY) == []  # still waiting for a review
    app.forwarder.forward(alert.id, actor="值班员李雷", via="console", notes="复核后确认非误报")
    app.notifier.run_once()
    [mail] = smtp.to(PRIMARY)
    assert "协会研判意见：复核后确认非误报" in mail.body
