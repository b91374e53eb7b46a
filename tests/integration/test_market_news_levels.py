"""A holder's share sale is negative for the company (the score follows the
sources' labels) but the association does not alert on it: rules.yaml gives
股东减持 no level (risk_levels). Scored, stored and routed through the real
composition root; 违规减持 still alerts."""
from datetime import timedelta

from contracts.messages import Document


def _route(app, title: str, text: str):
    now = app.clock.now()
    doc = Document.create(url=f"http://news.example.cn/{abs(hash(title))}.html", source_id="demo-news",
                          channel="news", site="news.example.cn", title=title, text=text, published_at=now,
                          crawled_at=now)
    scored = app.story_store.assign(app.scorer.score(doc, now=now))
    routed = list(app.router.handle(scored))
    app.clock.advance(timedelta(minutes=5).total_seconds())
    return scored, routed


def test_a_share_sale_about_a_member_scores_negative_and_never_alerts(app):
    scored, routed = _route(app, "中国太保股东拟减持不超过1%股份",
                            "中国太保公告，持股5%以上股东计划在未来六个月内通过集中竞价减持不超过1%的公司股份。")
    assert scored.unit_negativity["cpic-pc-jl"] >= app.config.rules.negative_threshold
    assert "股东减持" in {r.risk_type for r in scored.reasons}
    assert not scored.unit_levels and not routed
    assert app.alert_store.list_alerts(unit_id="cpic-pc-jl") == []
    assert "不预警" in scored.unit_level_reasons["cpic-pc-jl"]


def test_an_illegal_share_sale_still_alerts(app):
    scored, routed = _route(app, "中国太保股东违规减持 被监管部门出具警示函",
                            "中国太保公告，持股5%以上股东违规减持公司股份，监管部门对其出具警示函。")
    assert {"股东减持", "监管处罚"} <= {r.risk_type for r in scored.reasons}
    assert scored.unit_levels.get("cpic-pc-jl") is not None
    assert routed and app.alert_store.list_alerts(unit_id="cpic-pc-jl")
