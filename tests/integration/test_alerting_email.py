"""Router + outbox + notifier against a real local SMTP server, on a fake clock."""
from datetime import timedelta

import pytest

from alerting.router import Decision
from contracts.clock import FakeClock
from contracts.messages import AlertStatus, Document
from tests.kit import SmtpRecorder, build_test_app

NEG_TITLE = "市民投诉中国人寿吉林省分公司拖延理赔长达半年"
NEG_TEXT = "长春市民张女士反映，向中国人寿吉林省分公司申请理赔后，公司迟迟不赔，至今已拖延半年。张女士已向监管部门投诉。"
UNIT_CONTACT = "sunwei@chinalife-jl.example.cn"
DUTY = "duty@jiaxh.example.cn"


def scored(app, title=NEG_TITLE, text=NEG_TEXT, url="http://news.example.cn/a/1.html"):
    doc = Document.create(url=url, source_id="demo-news", channel="news", site="news.example.cn",
                          title=title, text=text, crawled_at=app.clock.now())
    return app.scorer.score(doc, now=app.clock.now())


def test_first_negative_doc_emails_unit_contact_and_duty_officer_once(app, smtp):
    doc = scored(app)
    [routed] = app.router.handle(doc)
    assert routed.decision is Decision.FIRST
    assert app.notifier.run_once() == 2
    [mail] = smtp.to(UNIT_CONTACT)
    assert len(smtp.to(DUTY)) == 1
    assert mail.subject.startswith("【舆情预警·")
    assert "中国人寿保险股份有限公司吉林省分公司" in mail.subject
    assert NEG_TITLE in mail.body and doc.url in mail.body and routed.alert.id in mail.body
    # The unit is addressed as 贵单位; the association's duty officer is not the unit: told which unit it is.
    assert "涉及贵单位的负面舆情" in mail.body
    [duty] = smtp.to(DUTY)
    assert "贵单位" not in duty.body and "涉及中国人寿保险股份有限公司吉林省分公司的负面舆情" in duty.body
    alert = app.alert_store.get(routed.alert.id)
    assert alert.status is AlertStatus.notified
    assert {n.state for n in alert.notifications} == {"accepted"}

    # Replaying the same scored document (a crash before the bus commit) changes nothing.
    [again] = app.router.handle(doc)
    assert again.decision is Decision.ALREADY_RECORDED
    assert app.notifier.run_once() == 0
    assert len(smtp.messages) == 2


def test_repost_joins_the_alert_without_a_new_email(app, smtp):
    app.router.handle(scored(app))
    app.notifier.run_once()
    [routed] = app.router.handle(scored(app, title="【转载】" + NEG_TITLE, url="http://bbs.example.cn/t/9.html"))
    assert routed.decision is Decision.NEW_DOC_IN_STORY
    assert routed.alert.doc_count == 2
    assert app.notifier.run_once() == 0
    assert len(smtp.messages) == 2
    trail = app.alert_store.audit_trail(routed.alert.id)
    assert [t["decision"] for t in trail if t["event"] == "routed"] == ["FIRST", "NEW_DOC_IN_STORY"]


def test_neutral_doc_routes_nothing(app, smtp):
    assert app.router.handle(scored(app, title="中国人寿吉林省分公司开展金融知识宣传周活动",
                                    text="活动走进社区，向居民普及保险知识。")) == []
    assert app.notifier.run_once() == 0


def test_transient_smtp_failure_is_retried_with_backoff(tmp_path):
    clock = FakeClock()
    with SmtpRecorder() as smtp:
        down_port = smtp.port
    app = build_test_app(tmp_path, smtp_port=down_port, clock=clock)  # nothing listens there now
    try:
        [routed] = app.router.handle(scored(app))
        assert app.notifier.run_once() == 2
        rows = app.alert_store.outbox(routed.alert.id)
        assert {r["state"] for r in rows} == {"pending"}
        assert all("unreachable" in r["last_error"] for r in rows)
        assert app.notifier.run_once() == 0  # not due yet
        with SmtpRecorder() as smtp:
            app.config.settings.smtp.port = smtp.port
            clock.advance(timedelta(minutes=1).total_seconds())
            assert app.notifier.run_once() == 2
            assert len(smtp.messages) == 2
        assert {r["state"] for r in app.alert_store.outbox(routed.alert.id)} == {"accepted"}
    finally:
        app.close()


def test_refused_recipient_fails_permanently_and_is_audited(tmp_path):
    with SmtpRecorder(refuse={UNIT_CONTACT}) as smtp:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock())
        try:
            [routed] = app.router.handle(scored(app))
            app.notifier.run_once()
            states = {(r["recipient"], r["kind"]): r["state"] for r in app.alert_store.outbox(routed.alert.id)}
            # SMS is off here, so the contact has no other channel: the duty officer is told.
            assert states == {(UNIT_CONTACT, "alert"): "failed", (DUTY, "alert"): "accepted",
                              (DUTY, "notice"): "pending"}
            failed = [t for t in app.alert_store.audit_trail(routed.alert.id) if t["event"] == "notification.failed"]
            assert "550" in failed[0]["error"]
            assert app.notifier.run_once() == 1  # the notice; the refused one is not retried
            assert "【投递失败】" in smtp.to(DUTY)[-1].subject
            assert app.notifier.run_once() == 0
        finally:
            app.close()


def test_in_flight_notification_is_resent_only_after_its_lease_expired(app, smtp):
    app.router.handle(scored(app))
    # Another notifier claims one row and "crashes" right after claiming.
    claimed = app.alert_store.claim_due(app.clock.now(), limit=1, owner="crashed", lease=timedelta(seconds=60))
    assert len(claimed) == 1
    assert app.notifier.run_once() == 1  # its row is not touched while the lease runs
    app.clock.advance(59)
    assert app.notifier.run_once() == 0
    app.clock.advance(1)
    assert app.notifier.run_once() == 1  # lease expired: retaken and sent
    assert len(smtp.messages) == 2
    assert len({m.message["Message-ID"] for m in smtp.messages}) == 2
    [retaken] = [t for t in app.alert_store.audit_trail(claimed[0].alert_id) if t["event"] == "notification.retaken"]
    assert retaken["previous_owner"] == "crashed" and retaken["notification_id"] == claimed[0].id
    # The late outcome of the crashed claim cannot overwrite the row another notifier settled.
    assert app.alert_store.settle(claimed[0], "failed", app.clock.now(), error="late") is False
    assert {r["state"] for r in app.alert_store.outbox()} == {"accepted"}


def test_acknowledge_is_audited_and_a_double_ack_is_harmless(app, smtp):
    [routed] = app.router.handle(scored(app))
    app.notifier.run_once()
    store, now = app.alert_store, app.clock.now()
    acked = store.change_status(routed.alert.id, AlertStatus.acknowledged, now, actor="孙伟", via="ack-link")
    assert acked.status is AlertStatus.acknowledged
    again = store.change_status(routed.alert.id, AlertStatus.acknowledged, now, actor="孙伟", via="console")
    assert again.status is AlertStatus.acknowledged
    with pytest.raises(ValueError):
        store.change_status(routed.alert.id, AlertStatus.notified, now, actor="x", via="api")
    events = [t["event"] for t in store.audit_trail(routed.alert.id)]
    assert events[-3:] == ["status.acknowledged", "escalation.cancelled", "status.acknowledged.repeat"]
