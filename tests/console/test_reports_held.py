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
