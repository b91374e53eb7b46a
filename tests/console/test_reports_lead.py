"""A unit's publicity lead reads 日报/周报 of their own unit: the unit comes from the
session (another unit, or the whole association, is refused in Chinese), the report
counts that unit only and names no other unit (HTML and Word text), and the lead
gets there on a phone (390×844, no horizontal scrolling) in headless Chromium."""
from __future__ import annotations

import io
import os
import re
import struct
from datetime import timedelta

import pytest
import requests
from docx import Document as Docx

from console.reports.service import ReportScheduler
from tests.console.conftest import UNIT_A, UNIT_B, Api, start_console, stop_console
from tests.kit import CHROMEDRIVER, CHROMIUM, chromium, click_to_new_page, seed_app, seed_doc

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
CO_TITLE = "国寿吉林退保纠纷引发关注"  # about UNIT_B; UNIT_A is matched too, as a neutral mention


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo data set (every demo unit's stories) plus one document about UNIT_B that also matches UNIT_A."""
    app, alerts, server = start_console(tmp_path_factory.mktemp("lead-reports"))
    names = {u.id: u.name for u in app.config.members.units}
    at = app.clock.now() - timedelta(hours=1)
    seed_app(app, [seed_doc({UNIT_B: "orange", UNIT_A: None}, title=CO_TITLE, text=CO_TITLE + "，多名客户投诉退保难。",
                            url="http://news.example.cn/lead/co.html", at=at, phrases=("退保难",), unit_names=names)])
    yield app, alerts, server
    stop_console(app, server)


def today(server) -> str:
    return server.web.state.reports.today().isoformat()


def html_text(html: str) -> str:
    """What a reader sees: no style sheet, no tags (the charts are data: images inside <img> tags)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", html, flags=re.S))


def docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_lead_reports_are_fixed_to_their_unit_and_other_units_are_refused(site):
    app, alerts, server = site
    lead = Api(server.url, "lead_b")
    entry = lead.post("/api/reports", json={"kind": "weekly", "day": today(server)})
    assert entry.status_code == 200, entry.text
    entry = entry.json()
    assert (entry["unit"], entry["title"], entry["issue"]) == (UNIT_B, "国寿吉林舆情周报", 1)
    assert [e["name"] for e in lead.get("/api/reports").json()] == [entry["name"]]
    assert lead.get(f"/api/reports/{entry['html']}").status_code == 200
    # Another unit, or the whole association by any name: refused in Chinese, nothing written.
    for unit in (UNIT_A, "all", "association"):
        for refused in (lead.post("/api/reports", json={"kind": "daily", "unit": unit}),
                        lead.get("/api/reports", params={"unit": unit}),
                        lead.get(f"/api/reports/{entry['html']}", params={"unit": unit})):
            assert refused.status_code == 403, (unit, refused.text)
            assert "只能查看和生成本单位（国寿吉林）的舆情报告" in refused.json()["detail"]
    assert not (app.data_dir / "reports" / "units" / UNIT_A).exists()
    # The other lead does not see it; the duty officer does, next to the association's.
    assert Api(server.url, "lead_a").get("/api/reports").json() == []
    duty = Api(server.url, "duty")
    assert entry["name"] in [e["name"] for e in duty.get("/api/reports").json() if e["unit"] == UNIT_B]
    assert duty.get(f"/api/reports/{entry['docx']}", params={"unit": UNIT_B}).status_code == 200
    assert duty.get(f"/api/reports/{entry['docx']}", params={"unit": "nowhere"}).status_code == 404


def test_a_leads_weekly_names_no_other_unit_in_html_or_word(site):
    app, alerts, server = site
    lead = Api(server.url, "lead_b")
    entry = lead.post("/api/reports", json={"kind": "weekly", "day": today(server)}).json()
    html = html_text(lead.get(f"/api/reports/{entry['html']}").text)
    word = docx_text(lead.get(f"/api/reports/{entry['docx']}").content)
    own = app.config.unit(UNIT_B)
    for text in (html, word):
        assert "国寿吉林舆情周报" in text and CO_TITLE in text  # its own case is there...
        for unit in app.config.members.units:  # ...and no other unit by name or short name
            if unit.id != UNIT_B:
                assert unit.name not in text and unit.short not in text, unit.id
    # The numbers are the unit's: its alerts only (the association's weekly counts more).
    unit_alerts = [a for a in app.alert_store.list_alerts(unit_id=UNIT_B, limit=1000)]
    assert f"触发有效预警{len(unit_alerts)}起" in html and own.name in html
    duty = Api(server.url, "duty")
    whole = duty.post("/api/reports", json={"kind": "weekly", "day": today(server)}).json()
    everyone = html_text(duty.get(f"/api/reports/{whole['html']}").text)
    assert app.config.unit(UNIT_A).name in everyone and "触发有效预警" in everyone
    assert f"触发有效预警{len(unit_alerts)}起" not in everyone


def test_the_schedule_writes_each_led_units_own_report(site):
    app, alerts, server = site
    service = server.web.state.reports
    server.web.state.ports.users.add_user("lead_c", "another-long-pass", "lead", unit_id="pingan-pc-jl")
    server.web.state.ports.users.set_disabled("lead_c", True)  # a disabled lead gets none
    ReportScheduler(service).run("daily")
    yesterday = (service.today() - timedelta(days=1)).isoformat()
    assert f"daily-{yesterday}" in [e["name"] for e in service.list()]
    assert service.led_units() == sorted([UNIT_A, UNIT_B])
    for unit in (UNIT_A, UNIT_B):
        entry = next(e for e in service.list(unit) if e["kind"] == "daily")
        assert (entry["day"], entry["unit"], entry["issue"]) == (yesterday, unit, 1)
    assert not (service.dir / "units" / "pingan-pc-jl").exists()


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")
def test_lead_opens_reports_on_a_phone_and_reads_their_weekly(site, tmp_path, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from tests.console.test_console_browser import login
    app, alerts, server = site
    server.web.state.reports.generate("daily", server.web.state.reports.today(), UNIT_B)  # a short row: one day
    driver = chromium(tmp_path / "profile")
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        login(driver, server.url, "lead_b")
        driver.find_element(By.LINK_TEXT, "舆情报告").click()
        WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "report-scope")))
        # When the unit's reports come, and what to do before the first one (the page said only 尚无报告).
        assert "日报每天 08:00 自动生成" in driver.find_element(By.ID, "report-scope").text
        assert driver.find_elements(By.ID, "report-unit") == []  # no unit to choose: the session's
        Select(driver.find_element(By.ID, "report-kind")).select_by_value("weekly")
        driver.execute_script("document.getElementById('report-day').value = arguments[0]", today(server))
        # The module's other tests may have listed the report already: wait for the page after generating.
        click_to_new_page(driver, (By.ID, "do-report"), timeout=60)
        link = WebDriverWait(driver, 60).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"#report-list a.view[href*='weekly-{today(server)}.html']")))
        assert "国寿吉林舆情周报" in driver.find_element(By.ID, "report-list").text
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        # One card a report: 网页版 and Word are thumb-sized buttons on one line, not a column of characters.
        for a in (link, driver.find_element(By.CSS_SELECTOR, "#report-list a.word")):
            assert a.size["height"] >= 40 and a.size["width"] > a.size["height"]
        # Every row lays out the same: the buttons under its 时段, a daily's one-day 时段 as a weekly's long one.
        rows = driver.find_elements(By.CSS_SELECTOR, "#report-list tbody tr")
        assert {r.find_element(By.CSS_SELECTOR, "td:first-child").text for r in rows} >= {"国寿吉林舆情日报", "国寿吉林舆情周报"}
        for row in rows:
            period = row.find_element(By.CSS_SELECTOR, "td[data-label='时段']")
            below = period.location["y"] + period.size["height"]
            view, word = row.find_element(By.CSS_SELECTOR, "a.view"), row.find_element(By.CSS_SELECTOR, "a.word")
            assert view.location["y"] >= below and view.location["y"] == word.location["y"], row.text
            assert view.location["x"] == rows[0].find_element(By.CSS_SELECTOR, "a.view").location["x"]
        assert driver.save_screenshot(str(shots / "phone-lead-reports.png"))
        word = driver.find_element(By.CSS_SELECTOR, "#report-list a.word").get_attribute("href")
        cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
        download = requests.get(word, cookies=cookies, timeout=30)
        assert download.status_code == 200 and "国寿吉林舆情周报" in docx_text(download.content)
        driver.get(link.get_attribute("href"))
        masthead = WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "h1.masthead")))
        assert "国寿吉林舆情周报" in masthead.text and "国寿吉林舆情周报" in driver.title
        # On a phone the masthead breaks between the association and the report's name, never inside one
        # (it read 吉林省保险行业协会 国寿吉林舆情周 / 报): each part is one line high.
        size = driver.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", masthead)
        assert [part.size["height"] < 2 * size for part in masthead.find_elements(By.TAG_NAME, "span")] == [True, True]
        assert CO_TITLE in driver.find_element(By.ID, "cases").text
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        assert driver.save_screenshot(str(shots / "phone-lead-weekly.png"))
        assert png_size(shots / "phone-lead-weekly.png") == (780, 1688)  # 390×844 at device scale 2
    finally:
        driver.quit()
