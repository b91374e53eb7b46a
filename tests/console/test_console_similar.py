"""The 研判 card's similar past stories: found in the index by unit and risk type, each with how it was
handled (minutes to acknowledge and resolve, by whom, the handling notes) from the alert store."""
from __future__ import annotations

from contracts.clock import FakeClock
from contracts.messages import Reason
from tests.console.conftest import Api, start_console, stop_console
from tests.kit import seed_doc


def publish(app, unit: str, story: str, title: str, risk: str = "理赔纠纷", level: str = "orange") -> str:
    doc = seed_doc({unit: level}, title=title, text=title + "，当事人已向监管部门投诉。",
                   url=f"http://news.example.cn/similar/{story}.html", at=app.clock.now(), story=story)
    if risk != "理赔纠纷":
        doc = doc.model_copy(update={"reasons": [Reason(phrase="误导", sentence=title, risk_type=risk, weight=0.5)]})
    app.index.upsert([doc])
    return app.router.handle(doc)[0].alert.id


def test_the_card_shows_earlier_cases_of_the_unit_and_risk_type_and_how_they_were_handled(tmp_path):
    app, _, server = start_console(tmp_path, clock=FakeClock())
    try:
        unit = app.config.members.units[6].id  # no seeded stories: only this test's
        duty = Api(server.url, "duty")
        csrf = {"X-CSRF-Token": duty.csrf}
        old = publish(app, unit, "old-claim", "旧案：车主投诉理赔被拒")
        publish(app, unit, "old-sales", "旧案：老人被误导购买理财险", risk="销售误导")
        app.clock.advance(30 * 60)
        assert duty.post(f"/api/alerts/{old}/actions", json={"action": "acknowledge"}, headers=csrf).ok
        assert duty.post(f"/api/alerts/{old}/actions", json={"action": "note", "text": "已联系车主，当日达成和解"},
                         headers=csrf).ok
        app.clock.advance(150 * 60)
        assert duty.post(f"/api/alerts/{old}/actions", json={"action": "resolve"}, headers=csrf).ok
        app.clock.advance(10 * 86400)
        new = publish(app, unit, "new-claim", "新案：车主再次投诉理赔被拒")
        duty = Api(server.url, "duty")  # ten days later: a new session

        got = duty.get(f"/api/alerts/{new}")
        assert got.ok, got.text
        card = got.json()["assessment"]
        assert card["risk_type"] == "理赔纠纷"
        [case] = card["similar"]  # the 销售误导 story is another risk type
        assert (case["id"], case["match"], case["status"]) == (old, "同类", "resolved")
        assert (case["ack_minutes"], case["resolve_minutes"]) == (30, 180)
        assert case["acknowledged_by"] and "已联系车主，当日达成和解" in [n["text"] for n in case["notes"]]
        page = duty.get(f"/alerts/{new}").text
        assert "同单位同类既往事件（理赔纠纷）" in page and "30分钟确认" in page and "180分钟处置完毕" in page
        # The earlier alert's own card does not list the later one.
        assert duty.get(f"/api/alerts/{old}").json()["assessment"]["similar"] == []
    finally:
        stop_console(app, server)
