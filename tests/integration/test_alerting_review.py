"""forward: review — association first, then the unit (issue 14 item 4), against a real local SMTP
server on a fake clock, with the alert store on SQLite and on PostgreSQL.

The duty officer hears of a red alert at once; the unit hears nothing until a duty officer forwards it
(with their notes and edited advice), then exactly once; if nobody does within review_timeout, the
review timer forwards it and says so; a false alarm never reaches the unit."""
import threading

import pytest

from alerting.forwarding import NotHeld
from contracts.clock import FakeClock
from contracts.messages import AlertStatus
from pipeline import metrics
from pipeline.config import load_config
from tests.kit import build_test_app, make_scored
from yuqing.bootstrap import App

PRIMARY = "sunwei@chinalife-jl.example.cn"
BACKUP = "zhoujing@chinalife-jl.example.cn"
DUTY = "duty@jiaxh.example.cn"
REVIEW = {"alerting": {"routes": {"red": {"forward": "review", "review_timeout": "10m"},
                                  "orange": {"forward": "auto"}}}}


@pytest.fixture
def app_rules():
    """conftest's ``app`` (SQLite, then PostgreSQL) with red held for review."""
    return REVIEW


def route(app, level="red", story="s1", url=None):
    [routed] = app.router.handle(make_scored({"chinalife-jl": level}, story=story,
                                             url=url or f"http://news.example.cn/{story}", at=app.clock.now()))
    app.notifier.run_once()
    return routed.alert


def tick(app, minutes: float) -> None:
    app.clock.advance(minutes * 60)
    app.notifier.run_once()


def events(app, alert_id: str) -> list[str]:
    return [t["event"] for t in app.alert_store.audit_trail(alert_id)]


def test_the_unit_hears_nothing_until_a_duty_officer_forwards_then_exactly_once(app, smtp):
    forwarded_before = metrics.REVIEWS_FORWARDED.labels("duty")._value.get()
    alert = route(app)
    [duty] = smtp.to(DUTY)
    assert "待复核" in duty.subject and f"/alerts/{alert.id}" in duty.body and "逾时系统将自动转发" in duty.body
    assert smtp.to(PRIMARY) == []
    assert {r["state"] for r in app.alert_store.outbox(alert.id) if r["recipient"] == PRIMARY} == {"held"}
    assert app.alert_store.review(alert.id)["state"] == "pending" and app.alert_store.pending_reviews() == 1
    assert app.alert_store.get(alert.id).status is AlertStatus.new  # the unit has not been told
    tick(app, 5)
    assert smtp.to(PRIMARY) == [] and app.alert_store.timers(alert.id)[0]["kind"] == "review"

    out = app.forwarder.forward(alert.id, actor="值班员王宁", via="console", notes="已核实，当事人已向监管投诉",
                                advice="24小时内联系当事人并报送处置进展")
    assert out["forwarded"] and out["released"]
    again = app.forwarder.forward(alert.id, actor="值班员李雷", via="api")  # a second click: nothing
    assert not again["forwarded"] and again["review"]["forwarded_by"] == "值班员王宁"
    app.notifier.run_once()
    app.notifier.run_once()
    assert app.alert_store.get(alert.id).status is AlertStatus.notified
    [mail] = smtp.to(PRIMARY)
    assert "研判建议（协会复核）：24小时内联系当事人并报送处置进展" in mail.body
    assert "协会研判意见：已核实，当事人已向监管投诉" in mail.body and "已由值班员王宁复核转发" in mail.body
    review = app.alert_store.review(alert.id)
    assert (review["state"], review["via"], review["advice"]) == ("forwarded", "console", "24小时内联系当事人并报送处置进展")
    trail = app.alert_store.audit_trail(alert.id)
    [fwd] = [t for t in trail if t["event"] == "review.forwarded"]
    assert fwd["actor"] == "值班员王宁" and fwd["notes"] == "已核实，当事人已向监管投诉" and not fwd["auto"]
    assert "review.forward.repeat" in events(app, alert.id)
    assert metrics.REVIEWS_FORWARDED.labels("duty")._value.get() == forwarded_before + 1
    # The review timer is moot; escalation runs from the forwarding (red: 15 min), not from the holding.
    tick(app, 14)
    assert smtp.to(BACKUP) == [] and len(smtp.to(PRIMARY)) == 1
    tick(app, 1)
    assert len(smtp.to(BACKUP)) == 1 and len(smtp.to(PRIMARY)) == 1
    assert "review.forwarded" in events(app, alert.id) and app.alert_store.pending_reviews() == 0


def test_nobody_reviews_within_the_timeout_so_the_timer_forwards_and_says_so(app, smtp):
    timeouts = metrics.REVIEWS_FORWARDED.labels("timeout")._value.get()
    alert = route(app)
    tick(app, 9)
    assert smtp.to(PRIMARY) == [] and metrics.REVIEWS_PENDING._value.get() == 1
    tick(app, 1)
    assert metrics.REVIEWS_FORWARDED.labels("timeout")._value.get() == timeouts + 1
    assert metrics.REVIEWS_PENDING._value.get() == 0
    [mail] = smtp.to(PRIMARY)
    assert "超时未复核，已自动转发" in mail.body
    [fwd] = [t for t in app.alert_store.audit_trail(alert.id) if t["event"] == "review.forwarded"]
    assert fwd["auto"] and fwd["reason"] == "超时未复核，已自动转发" and fwd["actor"] == "系统" and fwd["via"] == "timer"
    assert app.alert_store.review(alert.id)["state"] == "forwarded"
    late = app.forwarder.forward(alert.id, actor="值班员王宁", via="console")  # too late: nothing more
    assert not late["forwarded"]
    tick(app, 60)
    assert len(smtp.to(PRIMARY)) == 1


def test_a_false_alarm_held_for_review_never_reaches_the_unit(app, smtp):
    alert = route(app)
    app.alert_store.change_status(alert.id, AlertStatus.dismissed, app.clock.now(), actor="值班员王宁", via="console")
    tick(app, 60)
    assert smtp.to(PRIMARY) == [] and smtp.to(BACKUP) == []
    assert {r["state"] for r in app.alert_store.outbox(alert.id) if r["recipient"] == PRIMARY} == {"cancelled"}
    assert app.alert_store.review(alert.id)["state"] == "dismissed" and "review.dismissed" in events(app, alert.id)


def test_news_while_held_goes_to_the_duty_officer_only_and_the_forward_carries_it(app, smtp):
    alert = route(app)
    app.clock.advance(20)
    route(app, url="http://weibo.example.cn/2", story="s1")  # a repost: same story
    app.clock.advance(5 * 60)
    app.forwarder.forward(alert.id, actor="值班员王宁", via="console")
    app.notifier.run_once()
    [mail] = smtp.to(PRIMARY)
    assert "共2篇" in mail.body  # rendered from the alert as it is when forwarded


def test_an_alert_that_forwards_at_once_has_no_review(app, smtp):
    alert = route(app, level="orange")
    assert len(smtp.to(PRIMARY)) == 1 and app.alert_store.review(alert.id) is None
    with pytest.raises(NotHeld):
        app.forwarder.forward(alert.id, actor="值班员王宁", via="console")


def test_forwarded_but_not_yet_sent_when_the_notifier_dies_is_sent_once_after_restart(tmp_path, smtp):
    clock = FakeClock()
    first = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, rules=REVIEW)
    alert = route(first)
    first.forwarder.forward(alert.id, actor="值班员王宁", via="console")
    first.close()  # gone before its notifier sent anything
    second = App(load_config(tmp_path / "config"), clock=clock)
    try:
        second.notifier.run_once()
        clock.advance(600)
        second.notifier.run_once()
        assert len(smtp.to(PRIMARY)) == 1
    finally:
        second.close()


def test_a_click_racing_the_timer_on_another_machine_forwards_once(app, smtp, tmp_path):
    alert = route(app)
    app.clock.advance(10 * 60)  # the review timer is due
    other = App(load_config(tmp_path / "config"), clock=app.clock)  # another notifier on the same store
    barrier, results = threading.Barrier(2), {}

    def click():
        barrier.wait()
        results["click"] = app.forwarder.forward(alert.id, actor="值班员王宁", via="console")["forwarded"]

    def timer():
        barrier.wait()
        results["timer"] = other.escalator.run_once()

    try:
        threads = [threading.Thread(target=click), threading.Thread(target=timer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        other.notifier.run_once()
        app.notifier.run_once()
    finally:
        other.close()
    assert len(smtp.to(PRIMARY)) == 1
    assert events(app, alert.id).count("review.forwarded") == 1
