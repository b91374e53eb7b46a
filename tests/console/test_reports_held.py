"""A unit's own report (what its lead reads) follows the console's rule for the lead (alert_service.visible):
an alert held for the association's review (待复核) is not in it until the unit is told; a forwarded one is;
one the association closed while held (处置完毕, never forwarded) is only counted, as the note under
各单位预警处置情况 says, and never named. The association's own report lists them all."""
from __future__ import annotations

from contracts.messages import AlertStatus
from tests.console.conftest import UNIT_A, Api
from tests.console.test_console_review import publish, review_console  # noqa: F401 (fixture)
from tests.console.test_reports_lead import html_text

HELD, FORWARDED, CLOSED = "复核测试1：", "复核测试2：", "复核测试3："


def report(server, unit_id: str | None) -> tuple[dict, str]:
    from console.reports import build
    service = server.web.state.reports
    period = build.Period.ending("daily", service.today())
    entry = service.generate("daily", service.today(), unit_id=unit_id)
    html = (service.folder(unit_id) / entry["html"]).read_text(encoding="utf-8")
    return build.build(service.ports, period, unit_id=unit_id), html_text(html)


def test_a_units_report_leaves_out_what_its_lead_may_not_see_yet(review_console):  # noqa: F811
    app, server, smtp = review_console
    held, forwarded, closed = publish(app, 1), publish(app, 2), publish(app, 3)
    app.forwarder.forward(forwarded, actor="值班员王宁", via="console")
    app.alert_store.change_status(closed, AlertStatus.resolved, app.clock.now(), actor="值班员王宁", via="console")
    app.notifier.run_once()
    lead = Api(server.url, "lead_a")
    assert [a["id"] for a in lead.get("/api/alerts").json() if a["id"] in (held, forwarded, closed)] == [forwarded]

    r, html = report(server, UNIT_A)
    assert [c["id"] for c in r["cases"]] == [forwarded]  # the closed one is never named
    assert FORWARDED in html and HELD not in html and CLOSED not in html
    [row] = r["handling"]
    # counted as the note says: in 预警数, not as the unit's 已处置
    assert (row["alerts"], row["resolved"], row["association_resolved"]) == (2, 0, 1)
    assert "触发有效预警2起" in html and "另有1条预警在复核阶段由协会处置完毕、未转发单位" in html

    everyone, html = report(server, None)  # the association's report: every alert, held or not
    assert {held, forwarded, closed} <= {c["id"] for c in everyone["cases"]}
    assert HELD in html and FORWARDED in html and CLOSED in html

    app.forwarder.forward(held, actor="值班员王宁", via="console")  # told now: in the unit's report
    app.notifier.run_once()
    r, html = report(server, UNIT_A)
    assert {c["id"] for c in r["cases"]} == {held, forwarded} and HELD in html and "触发有效预警3起" in html


def test_an_alert_forwarded_after_the_morning_report_reaches_the_leads_report(review_console):  # noqa: F811
    from console.reports.service import ReportScheduler
    from tests.console.test_reports_lead import docx_text
    app, server, smtp = review_console
    held, _ = publish(app, 1), publish(app, 2, level="orange")  # held for review; told at once
    day = server.web.state.reports.today().isoformat()
    app.clock.advance(days=1)  # 08:00 the next morning: the schedule writes yesterday's 日报 for each led unit
    ReportScheduler(server.web.state.reports).run("daily")
    lead, duty = Api(server.url, "lead_a"), Api(server.url, "duty")
    name = f"daily-{day}"

    def listed() -> dict:
        return next(e for e in lead.get("/api/reports").json() if e["name"] == name)

    before = listed()
    assert not before["stale"] and before["issue"] == 1
    html = html_text(lead.get(f"/api/reports/{name}.html").text)
    assert FORWARDED in html and HELD not in html  # not told yet: not in the lead's report

    app.clock.advance(hours=2)  # 10:00: the association forwards it after review
    r = duty.post(f"/api/alerts/{held}/forward", json={"notes": "已核实"}, headers={"X-CSRF-Token": duty.csrf})
    assert r.status_code == 200, r.text
    assert listed()["stale"]
    assert "有新转发预警，打开时更新" in lead.get("/reports").text
    html = html_text(lead.get(f"/api/reports/{name}.html").text)  # opening it makes it again first
    assert HELD in html and FORWARDED in html and "触发有效预警2起" in html
    after = listed()
    assert not after["stale"] and after["issue"] == 1  # the same 期号
    word = lead.get(f"/api/reports/{name}.docx")
    assert word.status_code == 200 and HELD in docx_text(word.content)
    # The association's own report held it all along: never out of date.
    assert not any(e["stale"] for e in duty.get("/api/reports").json() if e["unit"] is None)
