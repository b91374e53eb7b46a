"""A story's level rises as it spreads (router LEVEL_RAISED with the reason),
and an insurer's own clarification never raises it; real composition root,
demo rules (red needs spread 2), fake clock, real SMTP."""
import logging

from alerting.assessment import card_for
from alerting.router import Decision
from tests.kit import make_scored

UNIT = "chinalife-jl"
PRIMARY = "sunwei@chinalife-jl.example.cn"


def scored(app, n, *, level="orange", site="bbs.example.cn", channel="forum", source="demo-forum", authority="",
           own=False, title="中国人寿吉林省分公司理赔拖了三个月，谁能管管？", engagement=None, story="story-x"):
    doc = make_scored({UNIT: level}, story=story, url=f"http://{site}/t/{n}", site=site, channel=channel,
                      source_id=source, at=app.clock.now(), negativity=0.98, title=title)
    doc = doc.model_copy(update={"unit_relevance": {UNIT: 1.0}, "authority": authority,
                                 "own_response_units": [UNIT] if own else [], "engagement": engagement or {},
                                 "unit_level_reasons": {UNIT: f"第{n}篇的定级依据"}})
    return doc


def post(app, n, **options):
    [routed] = app.router.handle(scored(app, n, **options))
    app.notifier.run_once()
    return routed


def test_mainstream_pickup_of_a_forum_complaint_raises_the_story_to_red_with_the_reason(app, smtp):
    first = post(app, 1)
    assert first.decision is Decision.FIRST and first.alert.level.value == "orange"
    assert first.alert.level_reason == "第1篇的定级依据"
    [mail] = smtp.to(PRIMARY)  # the 研判 (risk type, stage, deadline) and every step in the first e-mail
    assert "研判建议：理赔纠纷·萌芽" in mail.body and "，24小时内回应：\n  1. 核实案件进度与拒赔/拖延原因" in mail.body
    assert "\n  4. " in mail.body and "\n  5. " not in mail.body and "详见预警详情" not in mail.body
    app.clock.advance(600)
    # The news report itself scored orange; the story (forum + mainstream news) is red.
    raised = post(app, 2, site="news.example.cn", channel="news", source="demo-news", authority="mainstream")
    assert raised.decision is Decision.LEVEL_RAISED and raised.alert.level.value == "red"
    reason = app.alert_store.get(first.alert.id).level_reason
    assert reason.startswith("预警等级由橙色升至红色：")
    assert "主流媒体 +2" in reason and "报道 2 篇 +1" in reason and "渠道 2 个 +1" in reason
    mails = smtp.to(PRIMARY)
    assert len(mails) == 2 and "升至红色" in mails[1].subject and "定级依据：预警等级由橙色升至红色" in mails[1].body


def test_reposts_in_the_same_channel_alone_stay_below_red_and_a_clarification_raises_nothing(app, smtp):
    first = post(app, 1)
    app.clock.advance(60)
    assert post(app, 2).decision is Decision.NEW_DOC_IN_STORY  # spread 1: a second forum post
    app.clock.advance(60)
    own = post(app, 3, site="news.example.cn", channel="news", source="demo-news", authority="mainstream", own=True,
               title="中国人寿吉林省分公司关于客户理赔投诉的情况说明")
    # The unit's own reply is news of the alert, not its spread: no 主流媒体已转载 / 已扩散至新闻网站 message.
    assert own.decision is Decision.OWN_REPLY and own.alert.level.value == "orange"
    assert app.alert_store.get(first.alert.id).level.value == "orange"
    assert len(smtp.to(PRIMARY)) == 1


def test_a_units_own_clarification_in_a_story_of_its_own_joins_its_open_alert_and_tells_no_one(app, smtp):
    """The demo's 情况说明 (吉林日报) raised a yellow alert of its own against the unit that wrote it: its words
    (经核查…仍在审核中) share no key terms with the complaint, so the event matcher could not join them."""
    first = post(app, 1)
    app.clock.advance(600)
    own = post(app, 2, level="yellow", site="news.example.cn", channel="news", source="demo-news",
               authority="mainstream", own=True, title="中国人寿吉林省分公司关于客户理赔投诉的情况说明", story="story-y")
    assert own.alert.id == first.alert.id and own.decision is Decision.OWN_REPLY
    assert [a.id for a in app.alert_store.list_alerts(unit_id=UNIT)] == [first.alert.id]
    joined = app.alert_store.get(first.alert.id)  # in its timeline, not counted as the complaint's spread
    assert (joined.doc_count, [c.value for c in joined.channels], joined.sites) == (1, ["forum"], ["bbs.example.cn"])
    assert len(app.alert_store.alert_doc_ids(first.alert.id)) == 2
    assert any(t["event"] == "joined_event" and "自身的回应" in t["reason"]
               for t in app.alert_store.audit_trail(first.alert.id))
    assert len(smtp.to(PRIMARY)) == 1  # the first alert's e-mail only
    # Nor is the reply the story's carrier in its 研判 (主流媒体·news.example.cn carried the forum's complaint).
    docs = [scored(app, 1), scored(app, 2, site="news.example.cn", channel="news", source="demo-news",
                                   authority="mainstream", own=True, story="story-y")]
    card = card_for(joined, docs, app.config.rules, app.clock.now(), app.clock.now())
    assert card.carriers == ["bbs.example.cn"]


def test_a_units_own_reply_is_routed_as_own_reply_with_its_reason_audited_and_logged(app, smtp, caplog):
    first = post(app, 1)
    app.clock.advance(60)
    with caplog.at_level(logging.INFO, logger="alerting.router"):
        own = post(app, 2, site="news.example.cn", channel="news", source="demo-news", own=True,
                   title="中国人寿吉林省分公司关于客户理赔投诉的情况说明")
    assert own.decision is Decision.OWN_REPLY and own.alert.id == first.alert.id
    [routed] = [t for t in app.alert_store.audit_trail(first.alert.id)
                if t["event"] == "routed" and t.get("decision") == "OWN_REPLY"]
    assert routed["reason"] == "该单位自身的回应/澄清：中国人寿吉林省分公司关于客户理赔投诉的情况说明"
    [line] = [r.getMessage() for r in caplog.records if "decision=OWN_REPLY" in r.getMessage()]
    assert "reason=该单位自身的回应/澄清" in line
    assert len(smtp.to(PRIMARY)) == 1  # the first alert's e-mail only


def test_interactions_summed_over_the_story_count(app, smtp):
    post(app, 1, engagement={"comments": 60})
    app.clock.advance(60)
    raised = post(app, 2, engagement={"reposts": 50, "likes": 10})  # 120 interactions: +1, second post: +1
    assert raised.decision is Decision.LEVEL_RAISED
    assert "互动量 120 +1" in app.alert_store.get(raised.alert.id).level_reason
