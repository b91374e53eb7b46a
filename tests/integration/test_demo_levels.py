"""The demo's items, scored and routed in their order through the real
composition root (scorer, story store, router; fake clock): the alerts
spread over at least three levels, and the insurer's own clarification is
not red. Items are built from demo/site/script.yaml as the crawlers would
see them (weibo interactions as the demo site serves them)."""
from datetime import timedelta

from contracts.messages import Document, Level
from demo.site.pages import weibo_cards
from demo.site.site import Store

SECTIONS = {"news": ("demo-news", "news"), "blog": ("demo-blog-rss", "blog"), "forum": ("demo-forum", "forum"),
            "world": ("demo-world", "overseas"), "weibo": ("demo-weibo", "weibo")}


def _count(v) -> int:
    return int(float(v[:-1]) * 10000) if isinstance(v, str) and v.endswith("万") else int(v)


def _document(item, at) -> Document:
    source, channel = SECTIONS[item.section]
    engagement = {"replies": len(item.replies)} if item.replies else {}
    if item.section == "weibo":
        blog = weibo_cards([item], 0)["data"]["cards"][0]["mblog"]
        engagement = {"reposts": _count(blog["reposts_count"]), "comments": _count(blog["comments_count"]),
                      "likes": _count(blog["attitudes_count"])}
    return Document.create(url=f"http://127.0.0.1:8765/{item.section}/{item.id}", source_id=source, channel=channel,
                           site="127.0.0.1", title=item.title or item.text[:40], text=item.text, author=item.author,
                           published_at=at, crawled_at=at, engagement=engagement,
                           language="en" if item.section == "world" else "zh")


def test_demo_alerts_cover_three_levels_and_the_clarification_is_not_red(app):
    items = sorted(Store(script=True).items, key=lambda it: it.published_at)
    alerts = {}
    base, start = items[0].published_at, app.clock.now()
    for item in items:
        at = start + (item.published_at - base)  # the script's timing on the fake clock
        app.clock.advance((at + timedelta(minutes=1) - app.clock.now()).total_seconds())
        scored = app.story_store.assign(app.scorer.score(_document(item, at), now=app.clock.now()))
        for routed in app.router.handle(scored):
            alerts[routed.alert.id] = routed.alert
        if item.title.endswith("情况说明"):
            clarification = scored
    levels = {a.level for a in alerts.values()}
    assert len(levels) >= 3, {a.representative.title: a.level.value for a in alerts.values()}
    assert Level.red in levels
    assert clarification.own_response_units == ["chinalife-jl"]
    assert clarification.unit_levels.get("chinalife-jl") is not Level.red
    # The unit's own 情况说明 joins its open alert for the complaint: no alert of its own against its author.
    assert not [a for a in alerts.values() if a.representative.title.endswith("情况说明")]
    assert all(a.level_reason for a in alerts.values())


def test_the_weibo_complaint_and_its_news_follow_up_are_one_alert_with_one_first_sms(app):
    items = sorted(Store(script=True).items, key=lambda it: it.published_at)
    base, start = items[0].published_at, app.clock.now()
    for item in items:
        at = start + (item.published_at - base)
        app.clock.advance((at + timedelta(minutes=1) - app.clock.now()).total_seconds())
        app.router.handle(app.story_store.assign(app.scorer.score(_document(item, at), now=app.clock.now())))
    [alert] = app.alert_store.list_alerts(unit_id="newchina-jl")
    assert alert.doc_count == 2 and {c.value for c in alert.channels} == {"weibo", "news"}
    trail = app.alert_store.audit_trail(alert.id)
    assert [t["event"] for t in trail].count("joined_event") == 1
    joined = next(t for t in trail if t["event"] == "joined_event")
    assert "同一事件" in joined["reason"] and "重疾险" in joined["reason"]
    firsts = [(r["recipient"], r["channel"]) for r in app.alert_store.outbox(alert.id) if r["kind"] == "alert"]
    assert firsts and len(set(firsts)) == len(firsts)  # one first message per person and channel
    assert len(app.alert_store.list_alerts()) == len({a.id for a in app.alert_store.list_alerts()})
    # No other demo alert joined a different event: the two 中国人寿 complaints stay apart.
    assert len(app.alert_store.list_alerts(unit_id="chinalife-jl")) >= 2
