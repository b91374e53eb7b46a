"""The console in a real headless browser (Debian chromium + chromedriver,
driven by Selenium): logging in through the form as each role, the live
feed showing a new alert without a reload, acknowledging it from the feed
(with the audit naming who), search with highlighted hits, a unit lead's
scope, and screenshots of the main pages.

One browser and one console serve the whole module (start-up is most of
the cost); the tests only add alerts, never remove or rename what the
others read. Screenshots go to ``$YUQING_SCREENSHOTS``, else
``build/screenshots/`` at the repository root (ignored by git).
"""
from __future__ import annotations

import os
import re
import struct
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from crawlers.health_store import HealthStore, RunOutcome
from tests.console.conftest import PASSWORD, UNIT_A, UNIT_B, start_console, stop_console
from tests.kit import CHROMEDRIVER, CHROMIUM, chromium_session, click_to_new_page, seed_doc

# selenium is a declared test dependency (missing it is an error); the browser is a Debian package.
pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")

NAV = {"feed": "实时预警", "emergencies": "应急事件", "search": "检索分析", "raise": "人工预警", "reports": "舆情报告", "sources": "信息源状态", "users": "用户管理",
       "wall": "大屏", "api": "API"}
ROLES = {  # user → (role label, nav entries, a page the role may not open); the API page is for admins only
    "duty": ("值班员", ["feed", "emergencies", "search", "raise", "reports", "sources", "wall"], "/admin/users"),
    "analyst": ("分析员", ["feed", "emergencies", "search", "raise", "reports", "sources", "wall"], "/admin/users"),
    "lead_a": ("单位宣传负责人", ["feed", "emergencies", "search", "reports"], "/wall"),
    "admin": ("管理员", ["feed", "emergencies", "search", "raise", "reports", "sources", "users", "wall", "api"], None),
}
PNG = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(app, alerts, server): one console for the module."""
    app, alerts, server = start_console(tmp_path_factory.mktemp("browser-console"))
    yield app, alerts, server
    stop_console(app, server)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from chromium_session(tmp_path_factory, "chromium-profile")


def wait(driver, timeout: float = 30.0) -> WebDriverWait:
    # The live feed re-renders a row whenever its alert changes (e.g. the notifier's sends): an
    # element found a moment ago may be gone, so conditions re-find it instead of failing.
    # A deadline, generous for a loaded machine (two test workers and more, load average 20-40):
    # a condition that holds at once returns at once. Waits that assert a latency pass their own.
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,))


def on_row(driver, row, check) -> None:
    """Wait until ``check(tr)`` holds for the feed row at ``row``, found afresh on every try."""
    wait(driver).until(lambda d: check(d.find_element(*row)))


def login(driver, base: str, username: str) -> None:
    """Log in through the form, as a person would (a fresh browser session first)."""
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    click_to_new_page(driver, (By.ID, "login"))
    # A deadline, not a delay: the first login of a module also waits for the console's first page
    # (templates, the feed's first query), which took over 10 s once on a VM at half speed.
    wait(driver, 30.0).until(EC.presence_of_element_located((By.ID, "who")))


def open_feed(driver, base: str) -> None:
    """The feed page with its live stream connected (the server sent ``hello``)."""
    driver.get(base + "/")
    wait(driver).until(EC.text_to_be_present_in_element_attribute((By.ID, "live-status"), "data-state", "live"))


def feed_ids(driver) -> set[str]:
    return {tr.get_attribute("data-id") for tr in driver.find_elements(By.CSS_SELECTOR, "#feed-body tr")}


def nav_labels(driver) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")]


def publish(app, unit: str, n: int) -> str:
    """A new negative story for ``unit`` through the real index and router (as the
    route role would), in the test's own App; returns the alert id."""
    now = app.clock.now()
    doc = seed_doc({unit: "red"}, title=f"浏览器测试{n}：车主投诉理赔被拒", text="车主称保险公司拒赔，已向监管部门投诉。",
                   url=f"http://news.example.cn/browser/{n}.html", at=now, story=f"browser-{n}")
    app.index.upsert([doc])
    return app.router.handle(doc)[0].alert.id


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG, f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    assert width >= 800 and height >= 400 and len(data) > 10_000, f"{path}: {width}x{height}, {len(data)} bytes"


# ---------------------------------------------------------------- roles

@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_logs_in_and_sees_its_pages(site, driver, username):
    app, alerts, server = site
    role_label, nav, forbidden = ROLES[username]
    login(driver, server.url, username)
    assert driver.current_url.rstrip("/") == server.url  # landed on the feed
    assert role_label in driver.find_element(By.ID, "who").text
    assert nav_labels(driver) == [NAV[k] for k in nav]
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#feed-body tr"))
    acks = driver.find_elements(By.CSS_SELECTOR, "#feed-body button.ack")
    if username == "analyst":
        assert not acks  # analysts read alerts; they do not act on them
    else:
        assert acks
    if username == "lead_a":  # its own unit's alerts, and nothing else
        shown = feed_ids(driver)
        assert shown >= {a.id for a in alerts if a.unit_id == UNIT_A}
        assert {app.alert_store.get(i).unit_id for i in shown} == {UNIT_A}
    else:
        assert feed_ids(driver) >= {a.id for a in alerts}
    if forbidden:
        driver.get(server.url + forbidden)
        assert "无权访问" in driver.find_element(By.TAG_NAME, "h1").text
    else:
        driver.get(server.url + "/admin/users")
        assert "lead_a" in driver.find_element(By.TAG_NAME, "main").text


def test_wrong_password_and_logout(site, driver):
    _, _, server = site
    driver.delete_all_cookies()
    driver.get(server.url + "/login")
    driver.find_element(By.ID, "username").send_keys("duty")
    driver.find_element(By.ID, "password").send_keys("not-the-password")
    driver.find_element(By.ID, "login").click()
    assert "用户名或密码错误" in wait(driver).until(EC.presence_of_element_located((By.ID, "login-error"))).text
    login(driver, server.url, "duty")
    driver.find_element(By.ID, "logout").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "username")))
    assert "您已退出登录" in driver.find_element(By.TAG_NAME, "main").text
    driver.get(server.url + "/")  # the session really ended: back to the login page
    assert "/login" in driver.current_url


# ---------------------------------------------------------------- live feed and acknowledgement

def test_new_alert_appears_live_and_is_acknowledged_in_the_browser(site, driver):
    app, _, server = site
    login(driver, server.url, "duty")
    open_feed(driver, server.url)
    driver.execute_script("window.__sameDocument = true;")  # gone if the page reloads
    written = time.monotonic()
    alert_id = publish(app, UNIT_A, 1)
    row = (By.CSS_SELECTOR, f'#feed-body tr[data-id="{alert_id}"]')
    # The feed promises a new alert within 2 s; 3 s from the write leaves room for a busy machine.
    wait(driver, max(0.1, 3.0 - (time.monotonic() - written))).until(EC.presence_of_element_located(row))
    shown_after = time.monotonic() - written
    assert driver.execute_script("return window.__sameDocument === true;"), "the page was reloaded"
    status = wait(driver).until(lambda d: d.find_element(*row).get_attribute("data-status"))
    assert status == "new", f"shown after {shown_after:.2f}s"
    on_row(driver, row, lambda tr: "浏览器测试1" in tr.text
           and tr.find_element(By.CSS_SELECTOR, "td.timer").text.endswith("秒"))  # the unacknowledged timer runs

    on_row(driver, row, lambda tr: tr.find_element(By.CSS_SELECTOR, "button.ack").click() or True)
    wait(driver).until(EC.text_to_be_present_in_element_attribute(row, "data-status", "acknowledged"))
    on_row(driver, row, lambda tr: "已确认" in tr.find_element(By.CSS_SELECTOR, "td.status").text
           and not tr.find_elements(By.CSS_SELECTOR, "button.ack"))
    assert app.alert_store.get(alert_id).status.value == "acknowledged"

    # The row may be re-rendered again after the acknowledgement: find it afresh on each try.
    on_row(driver, row, lambda tr: tr.find_element(By.LINK_TEXT, "详情").click() or True)
    wait(driver).until(EC.presence_of_element_located((By.ID, "trail")))
    assert driver.find_element(By.ID, "alert-status").text == "已确认"
    trail = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#trail tbody tr")]
    ack = next(r for r in trail if "状态变更：已确认" in r)
    assert "测试duty <console:duty>" in ack and "途径：接口" in ack
    # The detail page's own forms (CSRF field included) work too.
    driver.find_element(By.ID, "do-handling").click()
    assert "已开始处置" in wait(driver).until(EC.presence_of_element_located((By.ID, "flash"))).text
    assert driver.find_element(By.ID, "alert-status").text == "处置中"
    assert any("状态变更：处置中" in r.text and "途径：控制台" in r.text
               for r in driver.find_elements(By.CSS_SELECTOR, "#trail tbody tr"))


def test_change_made_elsewhere_updates_the_open_feed(site, driver):
    """An acknowledgement by ack link (another process) shows in an open feed."""
    app, _, server = site
    login(driver, server.url, "duty")
    alert_id = publish(app, UNIT_B, 2)
    open_feed(driver, server.url)
    row = (By.CSS_SELECTOR, f'#feed-body tr[data-id="{alert_id}"]')
    assert driver.find_element(*row).get_attribute("data-status") == "new"
    app.alert_store.change_status(alert_id, "acknowledged", app.clock.now(), actor="孙伟 <13900000021>",
                                  via="ack-link")
    wait(driver, 3).until(EC.text_to_be_present_in_element_attribute(row, "data-status", "acknowledged"))


def test_an_ack_link_opened_by_a_script_running_scanner_changes_nothing_and_the_button_acknowledges(site, driver):
    app, _, server = site
    alert_id = publish(app, UNIT_A, 17)
    before = app.alert_store.get(alert_id).status.value
    url = app.ack_url(alert_id, "孙伟 <13900000021>").replace(app.config.settings.console_base_url, server.url)
    driver.delete_all_cookies()  # from a phone's SMS: no console login
    # A link scanner in headless Chromium: opens the page, runs its scripts, lets it settle.
    driver.get(url)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    time.sleep(1.5)  # time for any script to post (the old page posted itself at once)
    assert app.alert_store.get(alert_id).status.value == before
    # A bolder bot submits the form by script: no button, no acknowledgement.
    driver.execute_script("document.getElementById('ack-form').submit()")
    wait(driver).until(EC.presence_of_element_located((By.ID, "do-ack")))
    assert app.alert_store.get(alert_id).status.value == before
    assert "escalation.cancelled" not in [t["event"] for t in app.alert_store.audit_trail(alert_id)]
    # The person taps the button: acknowledged.
    driver.find_element(By.ID, "do-ack").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "ack-message"), "已确认收到"))
    assert app.alert_store.get(alert_id).status.value == "acknowledged"
    ack = next(t for t in app.alert_store.audit_trail(alert_id) if t["event"] == "status.acknowledged")
    assert ack["actor"] == "孙伟 <13900000021>" and ack["via"] == "ack-link"


# ---------------------------------------------------------------- search

def test_search_shows_highlighted_hits(site, driver):
    app, _, server = site
    login(driver, server.url, "analyst")
    driver.get(server.url + "/search")
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys("理赔")
    driver.find_element(By.ID, "do-search").click()
    wait(driver).until(EC.url_contains("q="))
    hits = driver.find_elements(By.CSS_SELECTOR, "#hits li.hit")
    assert hits and "共" in driver.find_element(By.ID, "result-count").text
    marks = driver.find_elements(By.CSS_SELECTOR, "#hits em")
    assert marks and all(m.text == "理赔" for m in marks)
    assert not driver.find_elements(By.XPATH, "//*[@id='hits']//*[contains(text(), '<em>')]")  # markup, not text
    # Each hit names its units short (人保财险), the full names on hover: the meta line stays one line.
    units = app.config.members.units
    shown = driver.find_elements(By.CSS_SELECTOR, "#hits .hit-units")
    assert shown and all(set(u.text.split("、")) <= {x.short for x in units} for u in shown)
    assert all(set(u.get_attribute("title").split("、")) <= {x.name for x in units} for u in shown)
    # The charts were drawn by the vendored ECharts (a canvas inside each chart box).
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-trend canvas"))


def test_search_filters_are_check_box_lists(site, driver, shots):
    """Units and sources are ticked in lists (a three-row multiple <select> needed Ctrl-click): the filter box
    narrows a long list, the legend counts what is ticked, and the search keeps to the ticked units."""
    app, _, server = site
    login(driver, server.url, "analyst")
    driver.get(server.url + "/search?q=理赔")
    names = {u.id: u.short for u in app.config.members.units}
    box = driver.find_element(By.ID, "unit")
    options = box.find_elements(By.CSS_SELECTOR, ".pick-list label")
    assert len(options) == len(names) > 6
    typed = names[UNIT_B][:2]
    box.find_element(By.CSS_SELECTOR, "input.pick-filter").send_keys(typed)
    visible = [o for o in options if o.is_displayed()]
    assert names[UNIT_B] in [o.text for o in visible] and len(visible) < len(options)
    assert all(typed in o.text + o.get_attribute("title") for o in visible)
    box.find_element(By.CSS_SELECTOR, f'input[value="{UNIT_B}"]').click()
    assert box.find_element(By.CSS_SELECTOR, ".pick-count").text == "已选 1"
    driver.find_element(By.ID, "do-search").click()
    wait(driver).until(EC.url_contains("unit="))
    assert re.findall(r"[?&]unit=([^&]+)", driver.current_url) == [UNIT_B]
    assert "会员单位：" + names[UNIT_B] in driver.find_element(By.ID, "active-filters").text
    shown = driver.find_elements(By.CSS_SELECTOR, "#hits .hit-units")
    assert all(names[UNIT_B] in u.text.split("、") for u in shown)
    # The ticked unit comes first after the search, ticked, and the legend still counts it.
    box = driver.find_element(By.ID, "unit")
    first = box.find_element(By.CSS_SELECTOR, ".pick-list input")
    assert first.get_attribute("value") == UNIT_B and first.is_selected()
    assert box.find_element(By.CSS_SELECTOR, ".pick-count").text == "已选 1"
    assert driver.save_screenshot(str(shots / "search-filters.png"))


def test_search_charts_follow_a_dark_console(site, driver):
    """With the system dark, the charts use ECharts' dark theme (light text) on the dark panel."""
    _, _, server = site
    login(driver, server.url, "analyst")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        driver.get(server.url + "/search?q=理赔")
        wait(driver).until(lambda d: d.find_element(By.ID, "chart-trend").get_attribute("data-ready"))
        option = "return echarts.getInstanceByDom(document.getElementById(arguments[0])).getOption()"
        for chart in ("chart-trend", "chart-unit"):
            assert driver.execute_script(option + ".darkMode", chart) is True
            assert driver.execute_script(option + ".backgroundColor", chart) == "transparent"
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    driver.get(server.url + "/search?q=理赔")  # and light again without it
    wait(driver).until(lambda d: d.find_element(By.ID, "chart-trend").get_attribute("data-ready"))
    assert driver.execute_script(  # the default theme's "auto", not the dark theme's true
        "return echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption().darkMode") is not True


# ---------------------------------------------------------------- unit scope

def test_unit_lead_sees_only_its_unit(site, driver):
    app, alerts, server = site
    login(driver, server.url, "lead_b")
    open_feed(driver, server.url)
    others = [a.id for a in alerts if a.unit_id != UNIT_B]
    shown = feed_ids(driver)
    assert shown and not shown & set(others)
    # A new alert for another unit never reaches this lead's open feed…
    other_new = publish(app, UNIT_A, 3)
    own_new = publish(app, UNIT_B, 4)
    wait(driver, 3).until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#feed-body tr[data-id="{own_new}"]')))
    assert other_new not in feed_ids(driver)
    # …and its detail URL answers "not found", exactly like an alert that does not exist.
    driver.get(f"{server.url}/alerts/{others[0]}")
    assert driver.find_element(By.TAG_NAME, "h1").text == "未找到"
    assert "无权查看" in driver.find_element(By.ID, "error-message").text


# ---------------------------------------------------------------- screenshots

def test_screenshots_of_the_main_pages(site, driver, shots):
    app, alerts, server = site
    with HealthStore.in_data_dir(app.data_dir) as store:  # one healthy source, one blind one
        store.record_run(RunOutcome("demo-news", "ok", items=5, pages=2))
        store.record_run(RunOutcome("demo-forum", "blind", pages=1, error="登录墙：页面要求登录"))
    story = next(a for a in alerts if a.doc_count == 2)
    driver.delete_all_cookies()
    driver.get(server.url + "/login")
    assert driver.save_screenshot(str(shots / "login.png"))
    login(driver, server.url, "admin")
    pages = {"feed": ("/", "#feed-body tr"), "alert": (f"/alerts/{story.id}", "#timeline li"),
             "search": ("/search?q=理赔", "#chart-trend canvas"), "reports": ("/reports", "#report-list"),
             "sources": ("/sources", "#sources tbody tr"), "users": ("/admin/users", "main table")}
    for name, (path, ready) in pages.items():
        driver.get(server.url + path)
        wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ready)))
        if name == "search":
            time.sleep(1.2)  # let ECharts' entry animation finish: cosmetic, for a readable picture
        assert driver.save_screenshot(str(shots / f"{name}.png")), name
        if name == "alert":  # two reports: first / last, the last without its date on the same day
            seen = driver.find_element(By.ID, "alert-seen").text
            zone = ZoneInfo(app.config.settings.timezone)
            first, last = (t.astimezone(zone) for t in (story.first_seen, story.last_seen))
            tail = last.strftime("%H:%M" if first.date() == last.date() else "%Y-%m-%d %H:%M")
            assert seen == f"{first:%Y-%m-%d %H:%M} / {tail}", seen
        if name == "sources":  # a blind channel is shown prominently, first
            assert "长春社区" in driver.find_element(By.ID, "blind-banner").text
            assert driver.find_element(By.CSS_SELECTOR, "#sources tbody tr").get_attribute("data-state") == "blind"
    # A weekly report generated from the page, then opened as analysts read it.
    driver.get(server.url + "/reports")
    driver.find_element(By.CSS_SELECTOR, "#report-kind option[value=weekly]").click()
    driver.find_element(By.ID, "do-report").click()
    link = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#report-list a[href$='.html']")))
    assert driver.find_elements(By.CSS_SELECTOR, "#report-list a[href$='.docx']")
    driver.get(link.get_attribute("href"))
    assert "周报" in driver.title or "周报" in driver.find_element(By.TAG_NAME, "h1").text
    assert driver.save_screenshot(str(shots / "report.png"))
    for name in ("login", *pages, "report"):
        assert_png(shots / f"{name}.png")


def test_alert_detail_shows_the_assessment_card_and_the_duty_officer_edits_it(site, driver, shots):
    app, _, server = site
    alert_id = publish(app, UNIT_A, 9101)
    login(driver, server.url, "duty")
    driver.get(f"{server.url}/alerts/{alert_id}")
    card = wait(driver).until(EC.visibility_of_element_located((By.ID, "assessment")))
    assert "研判" in card.text and "处置建议" in card.text and "回应口径（草稿）" in card.text
    assert driver.find_element(By.ID, "assess-stage").text.startswith("萌芽")
    assert driver.find_element(By.ID, "assess-risk").text  # a risk type (or 负面舆情 when none was named)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#assess-steps li")) >= 3
    # To the minute, in whole hours: "2026-11-29 21:00 前（12 小时内）", not "…21:00:37前（12.0 小时内）".
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d 前（\d+ 小时内）", driver.find_element(By.ID, "assess-deadline").text)
    # Publication times to the minute, as sources give them (not "12:55:00"); one report's time said once.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", driver.find_element(By.ID, "alert-seen").text)
    box = driver.find_element(By.ID, "assess-text")  # the draft, for the duty officer to edit…
    draft = box.get_attribute("value")  # …naming the event (unit and risk type), not pasting the post's title
    assert draft.startswith(f"关于网传{app.config.unit(UNIT_A).name}") and "浏览器测试9101" not in draft
    assert not driver.find_elements(By.ID, "assess-statement")  # …shown once, not again above the box
    # The duty officer's moves come before the reading: 确认收到 above the 研判 card.
    assert driver.find_element(By.ID, "do-acknowledge").location["y"] < card.location["y"]
    box.clear()
    box.send_keys("研判意见：已联系当事人，口径改为已达成和解")
    click_to_new_page(driver, (By.ID, "do-assess"))  # a form post: wait for the new page before reading it
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "assessment"), "值班员研判意见"))
    assert "已达成和解" in driver.find_element(By.ID, "assessment").text
    # With an edited 研判意见 in the box, the system's draft stays readable beside it.
    assert draft in driver.find_element(By.ID, "assess-statement").text
    assert "研判意见" in driver.find_element(By.TAG_NAME, "body").text  # in the trail too
    driver.save_screenshot(str(shots / "alert-assessment.png"))
