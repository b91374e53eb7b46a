"""Search, statistics, export, reports, source health and user admin, through the HTTP API."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from docx import Document as Docx
from openpyxl import load_workbook

from console.reports.service import ReportScheduler
from crawlers.health_store import HealthStore, RunOutcome
from tests.console.conftest import UNIT_A, UNIT_B, Api


def test_search_highlights_filters_sorts_and_pages(shared_console):
    app, _, server = shared_console
    analyst = Api(server.url, "analyst")
    r = analyst.get("/api/search", params={"q": "理赔"}).json()
    assert r["total"] >= 3
    assert all("<em>理赔</em>" in (h["title_html"] or "") + "".join(h["fragments"]) for h in r["hits"])
    only_a = analyst.get("/api/search", params={"q": "理赔", "unit": UNIT_A}).json()
    assert only_a["total"] and all(app.config.unit(UNIT_A).name in h["units"] for h in only_a["hits"])
    forum = analyst.get("/api/search", params={"channel": "forum"}).json()
    assert forum["total"] and {h["channel"] for h in forum["hits"]} == {"论坛"}
    red = analyst.get("/api/search", params={"level": ["red"], "min_negativity": 0.8}).json()
    assert red["total"] and all(h["level"] == "red" and h["negativity"] >= 0.8 for h in red["hits"])
    by_neg = analyst.get("/api/search", params={"sort": "negativity_desc", "size": 50}).json()["hits"]
    assert [h["negativity"] for h in by_neg] == sorted((h["negativity"] for h in by_neg), reverse=True)
    oldest = analyst.get("/api/search", params={"sort": "time_asc"}).json()["hits"]
    assert oldest[0]["published_at"] <= oldest[-1]["published_at"]
    page1 = analyst.get("/api/search", params={"size": 5, "page": 1}).json()
    page2 = analyst.get("/api/search", params={"size": 5, "page": 2}).json()
    assert page1["pages"] >= 2 and not {h["id"] for h in page1["hits"]} & {h["id"] for h in page2["hits"]}
    # A date range excluding everything, and unknown filter values, are not errors.
    assert analyst.get("/api/search", params={"end": "2000-01-01"}).json()["total"] == 0
    assert analyst.get("/api/search", params={"channel": "fax", "level": "purple"}).status_code == 200
    assert analyst.get("/api/search", params={"start": "yesterday"}).status_code == 422


def test_search_page_escapes_user_text(shared_console):
    _, _, server = shared_console
    page = Api(server.url, "analyst").get("/search", params={"q": "<script>alert(1)</script>理赔"})
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.text
    assert "/static/vendor/echarts/echarts.min.js" in page.text


def test_search_dates_read_yyyy_mm_dd_whatever_the_browser_and_filters_fold_into_one_line(shared_console):
    """Date fields are text fields holding 2026-11-28 (type=date showed mm/dd/yyyy in an English browser);
    a date typed as people write it is read; the folded filters are said in one line."""
    _, _, server = shared_console
    analyst = Api(server.url, "analyst")
    page = analyst.get("/search", params={"q": "理赔", "start": "2026/11/28", "end": "2026年12月1日", "channel": "forum",
                                           "level": "red", "sort": "negativity_desc"})
    assert page.status_code == 200 and 'type="date" name=' not in page.text
    assert 'name="start" id="start" value="2026-11-28" class="date-text"' in page.text
    assert 'name="end" id="end" value="2026-12-01"' in page.text
    assert '<span id="active-filters">渠道：论坛 · 等级：红色 · 排序：负面程度</span>' in page.text
    assert '<span id="active-filters">未设（全部单位、渠道、等级）' in analyst.get("/search", params={"q": "理赔"}).text
    # A unit's lead searches its own unit only: the line does not offer 全部单位.
    lead = Api(server.url, "lead_a").get("/search", params={"q": "理赔"}).text
    assert '<span id="active-filters">未设（全部渠道、等级）</span>' in lead
    assert analyst.get("/api/search", params={"start": "2026.11.28"}).status_code == 200
    assert analyst.get("/api/search", params={"start": "yesterday"}).status_code == 422


def test_stats_give_trend_and_breakdowns(shared_console):
    _, _, server = shared_console
    today = datetime.now().date()
    s = Api(server.url, "analyst").get("/api/search/stats",
                                       params={"start": (today - timedelta(days=6)).isoformat(),
                                               "end": today.isoformat()}).json()
    t = s["trend"]
    assert len(t["days"]) == 7 and len(t["volume"]) == len(t["negative"]) == len(t["share"]) == 7
    assert sum(t["volume"]) == s["total"] and all(n <= v for n, v in zip(t["negative"], t["volume"]))
    assert all(0 <= x <= 1 for x in t["share"]) and 0 < s["negative_total"] < s["total"]
    assert {b["name"] for b in s["by_channel"]} == {"新闻网站", "论坛", "博客"}
    assert all(b["name"] and b["count"] for b in s["by_unit"] + s["by_source"])
    # Units carry their short name for the chart's labels (the full names are cut off there).
    shorts = {u.name: u.short for u in server.app.config.members.units}
    assert s["by_unit"] and all(b["short"] == shorts[b["name"]] for b in s["by_unit"])


def test_export_csv_and_excel(shared_console):
    _, _, server = shared_console
    analyst = Api(server.url, "analyst")
    total = analyst.get("/api/search", params={"q": "理赔"}).json()["total"]
    r = analyst.get("/api/search/export", params={"q": "理赔", "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv") and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["发布时间", "标题", "摘要", "站点"] and len(rows) == total + 1
    risk = rows[0].index("风险类型")  # the weekly report's analyst groups by it
    assert any(row[risk] for row in rows[1:]) and all(row[risk] != "None" for row in rows[1:])
    r = analyst.get("/search/export.xlsx", params={"q": "理赔"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.max_row == total + 1 and sheet["B1"].value == "标题"
    # A lead exports its own unit only.
    table = list(csv.reader(Api(server.url, "lead_a").get("/api/search/export").content.decode("utf-8-sig").splitlines()))
    col = table[0].index("涉及单位")
    assert len(table) > 1 and all("中国人民财产保险股份有限公司吉林省分公司" in row[col] for row in table[1:])


def test_reports_on_demand_in_html_and_word(console):
    app, alerts, server = console
    analyst = Api(server.url, "analyst")
    today = app.clock.now().astimezone(server.web.state.ports.tz).date()
    r = analyst.post("/api/reports", json={"kind": "weekly", "day": today.isoformat()}, headers={})
    assert r.status_code == 200, r.text
    entry = r.json()
    assert entry["html"] == f"weekly-{today}.html" and entry["docx"] == f"weekly-{today}.docx"
    html = analyst.get(f"/api/reports/{entry['html']}").text
    assert "舆情监测周报" in html and "本周典型案例与研判" in html and "各单位预警处置情况" in html and "第1期" in html
    assert "data:image/png;base64," in html  # charts inside: the file stands alone
    assert app.config.unit(UNIT_A).name in html
    word = Docx(io.BytesIO(analyst.get(f"/reports/files/{entry['docx']}").content))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "舆情监测周报" in text and "一、综述" in text and len(word.inline_shapes) == 3
    cells = {c.text for t in word.tables for row in t.rows for c in row.cells}
    assert app.config.unit(UNIT_A).name in cells
    assert (app.data_dir / "reports" / entry["docx"]).exists()
    assert analyst.get("/api/reports").json()[0]["name"] == f"weekly-{today}"
    # File names are checked, not joined blindly onto the reports folder.
    assert analyst.get("/api/reports/..%2F..%2Fconsole.db").status_code == 404
    assert analyst.get("/api/reports/daily-1999-01-01.html").status_code == 404
    assert analyst.post("/api/reports", json={"kind": "daily", "day": "tomorrow"}).status_code == 409
    refused = Api(server.url, "lead_a").post("/api/reports", json={"kind": "daily", "unit": UNIT_B})
    assert refused.status_code == 403 and "本单位" in refused.json()["detail"]  # a lead reports on its own unit only


def test_reports_are_scheduled_daily_and_on_mondays_at_eight(shared_console):
    _, _, server = shared_console
    scheduler = ReportScheduler(server.web.state.reports)
    scheduler.scheduler.start(paused=True)
    try:
        jobs = {j.id: j for j in scheduler.scheduler.get_jobs()}
        daily = jobs["report-daily"].trigger.get_next_fire_time(None, datetime(2026, 1, 6, 9, 0, tzinfo=server.web.state.ports.tz))
        weekly = jobs["report-weekly"].trigger.get_next_fire_time(None, datetime(2026, 1, 6, 9, 0, tzinfo=server.web.state.ports.tz))
        assert (daily.date(), daily.hour, daily.minute) == (date(2026, 1, 7), 8, 0)
        assert (weekly.date(), weekly.weekday(), weekly.hour) == (date(2026, 1, 12), 0, 8)
        assert str(daily.tzinfo) == "Asia/Shanghai"
    finally:
        scheduler.stop()


def test_source_health_puts_a_blind_channel_first(console):
    app, _, server = console
    with HealthStore.in_data_dir(app.data_dir) as store:
        store.record_run(RunOutcome("demo-news", "ok", items=5, pages=2))
        store.record_run(RunOutcome("demo-forum", "blind", pages=1, error="登录墙：页面要求登录"))
    duty = Api(server.url, "duty")
    body = duty.get("/api/sources").json()
    assert body["note"] is None
    first = body["sources"][0]
    assert first["source_id"] == "demo-forum" and first["state"] == "blind" and first["bad"]
    assert "登录墙" in first["last_error"]
    news = next(s for s in body["sources"] if s["source_id"] == "demo-news")
    assert news["state"] == "ok" and news["last_success_at"] and news["items_last_run"] == 5
    page = duty.get("/sources").text
    assert 'id="blind-banner"' in page and "长春社区" in page.split('id="blind-banner"')[1].split("</div>")[0]


def test_admin_manages_users(console):
    _, _, server = console
    admin = Api(server.url, "admin")
    r = admin.post("/api/users", json={"username": "lead-x", "password": "short", "role": "lead", "unit_id": UNIT_A})
    assert r.status_code == 409 and "12" in r.json()["detail"]
    r = admin.post("/api/users", json={"username": "lead-x", "password": "long-enough-pw", "role": "lead"})
    assert r.status_code == 409  # a lead needs a unit
    r = admin.post("/api/users", json={"username": "lead-x", "password": "long-enough-pw", "role": "lead",
                                       "unit_id": UNIT_A, "display_name": "新负责人"})
    assert r.status_code == 200 and r.json()["unit_id"] == UNIT_A
    assert "lead-x" in {u["username"] for u in admin.get("/api/users").json()}
    assert admin.patch("/api/users/lead-x", json={"disabled": True}).json()["disabled"]
    locked = admin.http.post(server.url + "/api/session", json={"username": "lead-x", "password": "long-enough-pw"})
    assert locked.status_code == 401
    assert Api(server.url, "duty").post("/api/users", json={"username": "y", "password": "long-enough-pw",
                                                            "role": "admin"}).status_code == 403
