"""Grouping per (story, unit) and re-notification timing, on a fake clock,
with exact message counts through a real SMTP server (SMS and robots are
off here: their people get email instead, so every message is countable)."""
from datetime import timedelta

from alerting.router import Decision
from contracts.messages import AlertStatus
from tests.kit import make_scored

PRIMARY = "sunwei@chinalife-jl.example.cn"
BACKUP = "zhoujing@chinalife-jl.example.cn"
DUTY = "duty@jiaxh.example.cn"
UNIT = "chinalife-jl"


class Story:
    """Publish documents of one story at fake-clock offsets (minutes)."""

    def __init__(self, app, level="orange", story="story-1"):
        self.app, self.level, self.story, self.n = app, level, story, 0
        self.start = app.clock.now()

    def at(self, minutes: float) -> None:
        self.app.clock.advance((self.start + timedelta(minutes=minutes) - self.app.clock.now()).total_seconds())
        self.app.notifier.run_once()

    def doc(self, minutes: float, *, site="news.example.cn", channel="news", level=None, source="demo-news"):
        self.at(minutes)
        self.n += 1
        doc = make_scored({UNIT: level or self.level}, story=self.story, url=f"http://{site}/a/{self.story}-{self.n}",
                          site=site, channel=channel, source_id=source, at=self.app.clock.now())
        [routed] = self.app.router.handle(doc)
        self.app.notifier.run_once()
        return routed


def decisions(app, alert_id):
    return [t["decision"] for t in app.alert_store.audit_trail(alert_id) if t["event"] == "routed"]


def ack(app, alert_id, who="孙伟"):
    app.alert_store.change_status(alert_id, AlertStatus.acknowledged, app.clock.now(), actor=who, via="console")


def test_reposts_join_one_alert_and_a_repeat_interval_sends_one_update(app, smtp):
    s = Story(app)
    first = s.doc(0)
    assert first.decision is Decision.FIRST
    assert (len(smtp.to(PRIMARY)), len(smtp.to(DUTY))) == (1, 1)
    ack(app, first.alert.id)  # no escalation in this test; updates still go to whoever handles it
    assert s.doc(10, site="bbs.example.cn").decision is Decision.NEW_DOC_IN_STORY
    assert s.doc(20, site="blog.example.cn").decision is Decision.NEW_DOC_IN_STORY
    s.at(119)
    assert len(smtp.to(PRIMARY)) == 1  # orange repeats every 2 h at most
    s.at(120)
    mails = smtp.to(PRIMARY)
    assert len(mails) == 2 and "【舆情更新" in mails[1].subject
    assert "新增2篇" in mails[1].body and "共3篇" in mails[1].body
    s.at(300)
    assert (len(smtp.to(PRIMARY)), len(smtp.to(DUTY))) == (2, 2)  # nothing new: no more messages
    alert = app.alert_store.get(first.alert.id)
    assert alert.doc_count == 3 and len(app.alert_store.list_alerts(unit_id=UNIT)) == 1
    assert decisions(app, first.alert.id) == ["FIRST", "NEW_DOC_IN_STORY", "NEW_DOC_IN_STORY", "REPEAT_DUE"]
    suppressed = [t for t in app.alert_store.audit_trail(first.alert.id) if t["event"] == "suppressed"]
    assert [t["reason"].split(" ")[0] for t in suppressed] == ["REPEAT_INTERVAL", "REPEAT_INTERVAL"]


def test_escalating_story_renotifies_with_named_reasons_but_not_more_than_the_gap_allows(app, smtp):
    s = Story(app)
    alert_id = s.doc(0).alert.id
    ack(app, alert_id)
    assert s.doc(5, site="weibo.com", channel="weibo").decision is Decision.NEW_CHANNEL  # inside the 15-min gap
    assert len(smtp.to(PRIMARY)) == 1
    s.at(15)
    assert len(smtp.to(PRIMARY)) == 2 and "微博" in smtp.to(PRIMARY)[1].subject  # the deferred update
    assert s.doc(40, site="jl.people.com.cn").decision is Decision.MAINSTREAM_PICKUP
    assert len(smtp.to(PRIMARY)) == 3 and "主流媒体jl.people.com.cn已转载" in smtp.to(PRIMARY)[2].subject
    assert s.doc(41).decision is Decision.NEW_DOC_IN_STORY  # 4 items in the last hour
    assert s.doc(45).decision is Decision.VOLUME_SPIKE  # the 5th: a spike, but 5 min after the last update
    assert len(smtp.to(PRIMARY)) == 3
    s.at(55)
    assert len(smtp.to(PRIMARY)) == 4
    raised = s.doc(60, level="red")
    assert raised.decision is Decision.LEVEL_RAISED  # a level rise never waits for the gap
    mails = smtp.to(PRIMARY)
    assert len(mails) == 5 and "红色" in mails[4].subject and "升至红色" in mails[4].subject
    assert s.doc(61, site="jl.people.com.cn").decision is Decision.NEW_DOC_IN_STORY  # mainstream only once
    s.at(24 * 60)
    assert len(smtp.to(PRIMARY)) == 6  # one repeat for the last repost
    assert decisions(app, alert_id) == ["FIRST", "NEW_CHANNEL", "REPEAT_DUE", "MAINSTREAM_PICKUP", "NEW_DOC_IN_STORY",
                                        "VOLUME_SPIKE", "REPEAT_DUE", "LEVEL_RAISED", "NEW_DOC_IN_STORY", "REPEAT_DUE"]
    assert len(smtp.to(DUTY)) == 6 and smtp.to(BACKUP) == []


def test_replays_and_dismissed_or_resolved_alerts(app, smtp):
    s = Story(app)
    first = s.doc(0)
    doc = make_scored({UNIT: "orange"}, story="story-1", url="http://news.example.cn/a/story-1-1",
                      at=app.clock.now())
    [again] = app.router.handle(doc)
    assert again.decision is Decision.ALREADY_RECORDED and again.queued == []
    store = app.alert_store
    store.change_status(first.alert.id, AlertStatus.resolved, app.clock.now(), actor="值班员王宁", via="console")
    assert s.doc(30).queued == []  # resolved: a plain repost stays quiet …
    assert s.doc(40, site="weibo.com", channel="weibo").queued  # … but spreading to a new channel does not
    store.change_status(first.alert.id, AlertStatus.handling, app.clock.now(), actor="孙伟", via="console")
    store.change_status(first.alert.id, AlertStatus.dismissed, app.clock.now(), actor="值班员王宁", via="console")
    before = len(smtp.messages)
    assert s.doc(100, level="red").queued == []  # dismissed: recorded, never re-notified
    s.at(24 * 60)
    assert len(smtp.messages) == before
    reasons = [t["reason"] for t in store.audit_trail(first.alert.id) if t["event"] == "suppressed"]
    assert reasons == ["RESOLVED", "DISMISSED"]


def test_two_units_in_one_story_are_two_alerts(app, smtp):
    doc = make_scored({UNIT: "orange", "picc-pc-jl": "yellow"}, at=app.clock.now())
    routed = app.router.handle(doc)
    assert {r.alert.unit_id for r in routed} == {UNIT, "picc-pc-jl"} and len({r.alert.id for r in routed}) == 2
    app.notifier.run_once()
    assert len(smtp.to(PRIMARY)) == 1 and len(smtp.to("liming@picc-jl.example.cn")) == 1
    assert len(smtp.to(DUTY)) == 2
