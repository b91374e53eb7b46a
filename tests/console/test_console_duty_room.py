"""The duty room and the phone, in headless Chromium (issue 16): a red alert
raising a notification and the title badge, an escalated alert sorted first
with its badge, the feed filtered by unit and driven by keyboard, the wall
screen's live counts, a unit lead's feed, detail and ack page at 375×812 (the narrowest phones in use)
without horizontal scrolling, and logging in over an open session.

Time is a FakeClock shared by the test's App and the console's; escalation
fires by advancing it and running the real escalator. Screenshots go where
test_console_browser.py puts them (``$YUQING_SCREENSHOTS`` or build/screenshots).
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from contracts.clock import FakeClock
from tests.console.conftest import UNIT_A, UNIT_B, start_console, stop_console
from tests.console.test_console_browser import assert_png, feed_ids, login, on_row, open_feed, publish, wait
from tests.kit import CHROMEDRIVER, CHROMIUM, chromium_session, click_to_new_page, mark_page, new_page

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")

PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
NARROW = PHONE["width"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))  # 10:00 in Jilin, a Monday
    app, alerts, server = start_console(tmp_path_factory.mktemp("duty-room"), clock=clock)
    yield app, alerts, server
    stop_console(app, server)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from chromium_session(tmp_path_factory, "chromium-duty", width=1366, height=900, notifications=True)


@pytest.fixture
def phone(driver):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def scroll_width(driver) -> int:
    return driver.execute_script("return document.documentElement.scrollWidth;")


def row(alert_id: str):
    return (By.CSS_SELECTOR, f'#feed-body tr[data-id="{alert_id}"]')


# ---------------------------------------------------------------- attention

def test_red_alert_raises_a_notification_and_the_title_badge(site, driver, shots):
    app, _, server = site
    login(driver, server.url, "duty")
    open_feed(driver, server.url)
    bell = driver.find_element(By.ID, "attention")
    assert bell.get_attribute("aria-pressed") == "false"  # opt-in: off until the user turns it on
    bell.click()
    wait(driver).until(lambda d: bell.get_attribute("aria-pressed") == "true")
    assert driver.execute_script("return Notification.permission;") == "granted"
    unack_before = int(driver.find_element(By.CSS_SELECTOR, "#unack-count b").text)
    alert_id = publish(app, UNIT_A, 101)
    wait(driver).until(EC.presence_of_element_located(row(alert_id)))
    shown = driver.execute_script("return window.yuqingAttention.shown;")
    raised = [s for s in shown if s["id"] == alert_id]
    assert raised and raised[0]["notified"], shown
    assert "红色" in raised[0]["title"] and "人保财险" in raised[0]["title"]
    assert driver.title.startswith(f"({unack_before + 1}) ")
    icon = driver.find_element(By.CSS_SELECTOR, "link[rel=icon]")
    assert icon.get_attribute("data-count") == str(unack_before + 1)
    assert icon.get_attribute("href").startswith("data:image/png")
    mark = wait(driver).until(lambda d: d.find_element(*row(alert_id)).find_element(By.CSS_SELECTOR, ".new-mark").text)
    assert mark == "新"
    # The spread says what it counts: 1篇 · 1个网站 · 新闻网站, and the whole sentence on hover.
    on_row(driver, row(alert_id), lambda tr: "1篇 · 1个网站 · " in tr.find_element(By.CSS_SELECTOR, "td.spread").text
           and tr.find_element(By.CSS_SELECTOR, "td.spread").get_attribute("title").startswith("报道1篇，来自1个网站"))
    assert driver.save_screenshot(str(shots / "duty-feed-new-alert.png"))
    # Remembered for this user: a reload keeps it on; seeing the row removes the marker.
    open_feed(driver, server.url)
    assert driver.find_element(By.ID, "attention").get_attribute("aria-pressed") == "true"
    # The feed re-renders a row live: find it afresh on each try (stale between find and click).
    on_row(driver, row(alert_id), lambda tr: tr.find_element(By.CSS_SELECTOR, "td.spread").click() or True)
    assert not driver.find_element(*row(alert_id)).find_elements(By.CSS_SELECTOR, ".new-mark")
    open_feed(driver, server.url)
    assert not driver.find_element(*row(alert_id)).find_elements(By.CSS_SELECTOR, ".new-mark")


# ---------------------------------------------------------------- escalation

def test_escalated_alert_is_sorted_first_with_its_badge(site, driver, shots):
    app, _, server = site
    old = publish(app, UNIT_B, 102)
    app.clock.advance(16 * 60)  # red escalates after 15 minutes unacknowledged
    assert app.escalator.run_once() >= 1
    newer = publish(app, UNIT_A, 103)
    login(driver, server.url, "duty")
    open_feed(driver, server.url)
    trs = driver.find_elements(By.CSS_SELECTOR, "#feed-body tr")
    escalated = ["escalated" in tr.get_attribute("class") for tr in trs]
    ids = [tr.get_attribute("data-id") for tr in trs]
    # Escalated alerts first (the seeded red ones escalated too), then the unescalated newer one.
    assert escalated[0] and escalated == sorted(escalated, reverse=True)
    assert escalated[ids.index(old)] and not escalated[ids.index(newer)]
    first = trs[ids.index(old)]
    badge = first.find_element(By.CSS_SELECTOR, ".esc")
    assert badge.text.startswith("第") and "级" in badge.text
    assert "已通知" in badge.get_attribute("title")
    assert first.find_element(By.CSS_SELECTOR, "td.timer").get_attribute("class").endswith(
        f"timer-step-{first.get_attribute('data-step')}")
    assert driver.save_screenshot(str(shots / "duty-feed-escalated.png"))
    label = badge.text
    driver.get(f"{server.url}/alerts/{old}")
    assert driver.find_element(By.ID, "alert-escalation").text == label
    assert "已通知" in driver.find_element(By.ID, "escalation-box").text
    assert driver.save_screenshot(str(shots / "alert-escalated.png"))


# ---------------------------------------------------------------- filters and keyboard

def test_feed_filtered_by_unit_and_driven_by_keyboard(site, driver, shots):
    app, alerts, server = site
    publish(app, UNIT_B, 104)
    login(driver, server.url, "duty")
    open_feed(driver, server.url)
    everything = feed_ids(driver)
    Select(driver.find_element(By.ID, "f-unit")).select_by_value(UNIT_B)
    wait(driver).until(lambda d: "unit=" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#feed-body tr")
    assert rows and {tr.get_attribute("data-unit") for tr in rows} == {UNIT_B}
    assert len(rows) < len(everything)
    unit_cell = rows[0].find_element(By.CSS_SELECTOR, "td.unit")
    assert unit_cell.text == "国寿吉林" and unit_cell.get_attribute("title") == "中国人寿保险股份有限公司吉林省分公司"
    # The filter survives a reload (it is in the address).
    driver.get(driver.current_url)
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#feed-body tr")))
    assert {tr.get_attribute("data-unit") for tr in driver.find_elements(By.CSS_SELECTOR, "#feed-body tr")} == {UNIT_B}
    page = driver.find_element(By.TAG_NAME, "body")
    page.send_keys("j")
    page.send_keys("j")
    page.send_keys("k")
    selected = driver.find_element(By.CSS_SELECTOR, "#feed-body tr.selected")
    assert selected.get_attribute("data-id") == driver.find_elements(By.CSS_SELECTOR, "#feed-body tr")[0].get_attribute("data-id")
    # The first row still offering 确认收到, by id: a row element found earlier may have been re-rendered.
    chosen = wait(driver).until(lambda d: next((tr.get_attribute("data-id") for tr in d.find_elements(
        By.CSS_SELECTOR, "#feed-body tr") if tr.find_elements(By.CSS_SELECTOR, "button.ack")), None))
    while driver.find_element(By.CSS_SELECTOR, "#feed-body tr.selected").get_attribute("data-id") != chosen:
        page.send_keys("j")
    page.send_keys("a")
    wait(driver).until(EC.text_to_be_present_in_element_attribute(row(chosen), "data-status", "acknowledged"))
    assert app.alert_store.get(chosen).status.value == "acknowledged"
    page.send_keys("?")
    assert driver.find_element(By.ID, "kbd-help").is_displayed()
    assert driver.save_screenshot(str(shots / "duty-feed-filtered-keyboard.png"))
    page.send_keys(Keys.ESCAPE)
    assert not driver.find_element(By.ID, "kbd-help").is_displayed()
    # Search narrows further; o opens the selected alert.
    box = driver.find_element(By.ID, "f-q")
    box.send_keys("浏览器测试104")
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#feed-body tr")) == 1)
    box.send_keys(Keys.ESCAPE)
    page.send_keys("j")
    page.send_keys("o")
    wait(driver).until(EC.presence_of_element_located((By.ID, "trail")))
    assert "/alerts/" in driver.current_url


# ---------------------------------------------------------------- wall

def test_wall_shows_live_counts(site, driver, shots):
    app, _, server = site
    login(driver, server.url, "duty")
    driver.get(server.url + "/wall")
    wait(driver).until(EC.text_to_be_present_in_element_attribute((By.ID, "wall-live"), "data-state", "live"))
    red = driver.find_element(By.CSS_SELECTOR, '.lc[data-level="red"] b')
    before, unack = int(red.text), int(driver.find_element(By.ID, "wall-unack").text)
    assert "值班员王宁" in driver.find_element(By.ID, "wall-duty").text  # the demo rota: 王宁 around the clock
    assert len(driver.find_elements(By.CSS_SELECTOR, "#wall-trend .bar")) == 24
    assert driver.find_elements(By.CSS_SELECTOR, "#wall-units .unit-tile")
    alert_id = publish(app, UNIT_A, 105)
    wait(driver).until(lambda d: int(d.find_element(By.CSS_SELECTOR, '.lc[data-level="red"] b').text) == before + 1)
    assert int(driver.find_element(By.ID, "wall-unack").text) == unack + 1
    assert driver.find_elements(By.CSS_SELECTOR, f'#wall-waiting li[data-id="{alert_id}"]')
    assert driver.save_screenshot(str(shots / "wall.png"))
    assert_png(shots / "wall.png")


# ---------------------------------------------------------------- phone

def test_lead_on_a_phone_feed_detail_and_ack_page_fit_375px(site, phone, shots):
    app, alerts, server = site
    driver = phone
    alert_id = publish(app, UNIT_A, 106)
    login(driver, server.url, "lead_a")
    open_feed(driver, server.url)
    assert driver.execute_script("return window.innerWidth;") == NARROW
    assert scroll_width(driver) <= NARROW
    assert driver.find_element(*row(alert_id)).find_element(By.CSS_SELECTOR, "button.ack").is_displayed()
    # A phone has no keyboard: no 快捷键 button nor "按 ? 查看快捷键" to trip on; 退出 stays beside the name.
    assert not driver.find_element(By.ID, "show-help").is_displayed()
    assert "快捷键" not in driver.find_element(By.CSS_SELECTOR, "p.legend").text
    who, logout = driver.find_element(By.ID, "who").rect, driver.find_element(By.ID, "logout").rect
    assert logout["y"] < who["y"] + who["height"], (who, logout)
    assert driver.save_screenshot(str(shots / "phone-feed.png"))
    driver.get(f"{server.url}/alerts/{alert_id}")
    wait(driver).until(EC.presence_of_element_located((By.ID, "trail")))
    assert scroll_width(driver) <= NARROW
    # Each fact's label on one line (报道数 / 渠道 broke after 渠 at 375 px), a score with its scale.
    labels = driver.find_elements(By.CSS_SELECTOR, "dl.facts dt")
    assert labels and all(dt.size["height"] < 1.6 * labels[0].size["height"] for dt in labels if dt.is_displayed())
    assert "越高越负面" in driver.find_element(By.ID, "negativity").text
    assert driver.save_screenshot(str(shots / "phone-alert.png"))  # (taken after the loop below, it showed 应急事件)
    for path, shot in (("/search?q=理赔", "phone-search.png"), ("/reports", "phone-reports.png"),
                       ("/emergencies", "phone-emergencies.png")):  # the lead's other pages, at the same width
        driver.get(server.url + path)
        wait(driver).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
        assert scroll_width(driver) <= NARROW, path
        assert driver.save_screenshot(str(shots / shot))
        if path.startswith("/search"):  # a lead searches its own unit only: no list of one unit to scroll past
            assert not driver.find_elements(By.ID, "unit") and driver.find_element(By.ID, "q")
            # The filters folded into one line and the results on the first screen, before the charts (the
            # filters took the whole screen); 日历 writes the picker's choice as 2026-11-28.
            assert not driver.find_element(By.ID, "source").is_displayed()
            summary = driver.find_element(By.CSS_SELECTOR, "#more-filters > summary")
            assert summary.is_displayed() and summary.size["height"] < 40
            results, charts = driver.find_element(By.ID, "result-count"), driver.find_element(By.ID, "chart-trend")
            assert results.rect["y"] < 812 and results.rect["y"] < charts.rect["y"]
            driver.execute_script("const p = document.querySelector('input.date-picker[data-for=start]');"
                                  "p.value = '2026-11-28'; p.dispatchEvent(new Event('change'));")
            assert driver.find_element(By.ID, "start").get_attribute("value") == "2026-11-28"
    url = app.ack_url(alert_id, "李明 <13900000011>").replace(app.config.settings.console_base_url, server.url)
    driver.delete_all_cookies()  # from the SMS: no console login
    driver.get(url)
    wait(driver).until(EC.presence_of_element_located((By.ID, "ack-message")))
    assert scroll_width(driver) <= NARROW
    assert driver.save_screenshot(str(shots / "phone-ack.png"))


# ---------------------------------------------------------------- shift handover

def test_logging_in_over_an_open_session_switches_user(site, driver):
    _, _, server = site
    login(driver, server.url, "duty")
    driver.get(server.url + "/login")
    assert "值班员" in driver.find_element(By.ID, "switch-user").text or driver.find_element(By.ID, "switch-user")
    driver.find_element(By.ID, "username").send_keys("analyst")
    from tests.console.conftest import PASSWORD
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    click_to_new_page(driver, (By.ID, "login"))  # the login page shows the open session's #who too
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "who"), "分析员"))
    assert driver.current_url.rstrip("/") == server.url


# ---------------------------------------------------------------- SMS

def test_sms_fits_one_segment_and_its_short_link_acknowledges_as_the_person(site, driver):
    """The SMS as the planner renders it (the test App has no SMS keys, so nothing is queued
    for SMS; the same templates and the App's own short links are used here)."""
    from alerting import templates
    app, _, server = site
    alert_id = publish(app, UNIT_A, 107)
    alert = app.alert_store.get(alert_id)
    person = app.config.unit(UNIT_A).contacts[0].label
    form = app.planner.sms_form
    for kind in ("alert", "update", "escalation"):
        code = app.short_ack_url(alert_id, person).rsplit("/a/", 1)[1]
        params = templates.sms_params(alert, code, kind, form, unit="人保财险", risk="理赔纠纷")
        text = templates.sms_message(params, form)["text"]
        assert len(text) <= templates.SMS_MAX, (len(text), text)
        assert text.startswith("人保财险舆情红色") and "理赔纠纷" in text and text.endswith(f"/a/{code}")
    link = text[text.index("http"):]
    assert len(link.rsplit("/", 1)[1]) == 8  # alerting.acklinks.SHORT_ID_CHARS
    driver.delete_all_cookies()
    driver.get(link.replace(app.config.settings.console_base_url, server.url))
    wait(driver).until(EC.presence_of_element_located((By.ID, "ack-message")))
    button = driver.find_elements(By.ID, "do-ack")
    if button and button[0].is_displayed():
        button[0].click()
    wait(driver).until(lambda d: app.alert_store.get(alert_id).status.value == "acknowledged")
    ack = next(t for t in app.alert_store.audit_trail(alert_id) if t["event"] == "status.acknowledged")
    assert ack["actor"] == person and ack["via"] == "ack-link"


# ---------------------------------------------------------------- lead's search

def test_a_leads_search_returns_only_its_unit(site, driver):
    _, _, server = site
    login(driver, server.url, "lead_b")
    assert "检索分析" in [a.text for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert "API" not in [a.text for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")]
    driver.get(server.url + f"/search?q=销售误导&unit={UNIT_A}")  # asking for another unit changes nothing
    hits = driver.find_elements(By.CSS_SELECTOR, "#hits li.hit")
    assert hits
    for hit in hits:
        units = hit.find_element(By.CSS_SELECTOR, ".meta .hit-units")  # short name shown, full name on hover
        assert units.text == "国寿吉林" and units.get_attribute("title") == "中国人寿保险股份有限公司吉林省分公司"
    assert not driver.find_elements(By.CSS_SELECTOR, "select[name=unit]")  # its own unit only: no list of one to pick


# ---------------------------------------------------------------- ack page: group link, next steps

def submit(driver, button_id: str, locator=(By.ID, "ack-message")):
    """Click a form's button, wait for the next page, return the element at ``locator`` on it."""
    click_to_new_page(driver, (By.ID, button_id))
    return wait(driver).until(EC.presence_of_element_located(locator))


def test_group_link_ack_belongs_to_a_person_and_the_page_continues(site, phone, shots):
    """The group card's link asks who is acknowledging (a contact, the last 4 phone digits);
    the page then shows the article, why it was flagged, the 研判 advice and one-tap next steps."""
    app, _, server = site
    driver = phone
    alert_id = publish(app, UNIT_A, 108)
    contact = app.config.unit(UNIT_A).contacts[0]
    url = app.ack_url(alert_id, "人保财险吉林宣传群（群机器人）").replace(app.config.settings.console_base_url, server.url)
    driver.delete_all_cookies()
    driver.get(url)
    wait(driver).until(EC.presence_of_element_located((By.ID, "who-pick")))
    assert app.alert_store.get(alert_id).status.value == "new"  # nothing happens before a person says who
    assert driver.find_element(By.ID, "ack-article").is_displayed()  # the article is there from the start
    assert not driver.find_elements(By.ID, "ack-next")  # next steps only after acknowledging
    Select(driver.find_element(By.ID, "person")).select_by_value(contact.name)
    wrong = "0000" if not contact.phone.endswith("0000") else "1111"
    driver.find_element(By.ID, "phone4").send_keys(wrong)
    assert "手机号后4位" in submit(driver, "do-ack", (By.ID, "ack-error")).text
    assert app.alert_store.get(alert_id).status.value == "new"
    Select(driver.find_element(By.ID, "person")).select_by_value(contact.name)
    driver.find_element(By.ID, "phone4").send_keys(contact.phone[-4:])
    assert "已确认收到" in submit(driver, "do-ack").text
    ack = next(t for t in app.alert_store.audit_trail(alert_id) if t["event"] == "status.acknowledged")
    assert ack["actor"] == contact.label and ack["via"] == "group-link"
    assert driver.find_element(By.ID, "ack-who").text == contact.label
    # The page goes on: the article, why it was flagged, the 研判 advice, one-tap next steps.
    assert "车主称保险公司拒赔" in driver.find_element(By.ID, "ack-excerpt").text
    assert driver.find_element(By.ID, "ack-why").find_elements(By.CSS_SELECTOR, "li")
    assert driver.find_elements(By.CSS_SELECTOR, "#ack-steps li")
    # One deadline, written one way on the page (the top said 03月02日 14:16 前（4小时内）, the advice 2026-03-02 …）
    assert re.fullmatch(r"\d\d月\d\d日 \d\d:\d\d 前（\d+(\.\d+)?小时内）", driver.find_element(By.ID, "ack-deadline").text)
    assert scroll_width(driver) <= NARROW
    assert driver.save_screenshot(str(shots / "phone-ack-group.png"))
    assert "已开始处置" in submit(driver, "do-handling").text
    assert app.alert_store.get(alert_id).status.value == "handling"
    driver.find_element(By.CSS_SELECTOR, "#form-note textarea").send_keys("已联系车主，核实理赔经过")
    assert "已添加处置记录" in submit(driver, "do-note").text
    notes = server.web.state.ports.casebook.notes(alert_id)
    assert any(n["text"] == "已联系车主，核实理赔经过" and n["author"] == contact.label for n in notes)
    # The record stays on the page, with who wrote it (the lead sees it was kept, and what others did).
    assert "已联系车主，核实理赔经过" in driver.find_element(By.ID, "ack-notes").text
    assert contact.name in driver.find_element(By.ID, "ack-notes").text
    driver.find_element(By.CSS_SELECTOR, "#form-not_ours input[name=text]").send_keys("同名的外省机构，与本单位无关")
    assert "不属于本单位" in submit(driver, "do-not_ours").text
    assert app.alert_store.get(alert_id).status.value == "dismissed"
    dismissed = next(t for t in app.alert_store.audit_trail(alert_id) if t["event"] == "status.dismissed")
    assert dismissed["actor"] == contact.label and dismissed["via"] == "group-link"
    fa = [f for f in server.web.state.ports.casebook.false_alarms() if f["alert_id"] == alert_id]
    assert fa and "同名的外省机构" in fa[0]["reason"] and fa[0]["marked_by"] == contact.label
    assert scroll_width(driver) <= NARROW
    assert driver.save_screenshot(str(shots / "phone-ack-dismissed.png"))


def open_personal_link(site, driver, n: int):
    """A new alert for UNIT_A's first contact, its SMS link opened without a console login:
    (alert id, the person, the 确认收到 button)."""
    app, _, server = site
    alert_id = publish(app, UNIT_A, n)
    person = app.config.unit(UNIT_A).contacts[0].label
    driver.delete_all_cookies()
    driver.get(app.ack_url(alert_id, person).replace(app.config.settings.console_base_url, server.url))
    return alert_id, person, wait(driver).until(EC.presence_of_element_located((By.ID, "do-ack")))


def test_personal_link_next_steps_need_their_buttons(site, phone, shots):
    """A personal link's page after acknowledging offers 开始处置 at once; a script posting the
    action form without its button (a link scanner) changes nothing."""
    app, _, server = site
    driver = phone
    alert_id, person, _ = open_personal_link(site, driver, 109)
    submit(driver, "do-ack", (By.ID, "ack-next"))
    assert scroll_width(driver) <= NARROW
    assert driver.save_screenshot(str(shots / "phone-ack-next.png"))
    mark_page(driver)
    driver.execute_script("document.getElementById('form-handling').submit()")
    wait(driver).until(new_page(driver))
    assert "请点击页面上的按钮" in wait(driver).until(EC.presence_of_element_located((By.ID, "ack-message"))).text
    assert app.alert_store.get(alert_id).status.value == "acknowledged"
    assert "已开始处置" in submit(driver, "do-handling").text
    handling = next(t for t in app.alert_store.audit_trail(alert_id) if t["event"] == "status.handling")
    assert handling["actor"] == person and handling["via"] == "ack-link"


@pytest.fixture
def night_phone(phone):
    """The phone with its system set to dark, as a lead's at night."""
    phone.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    yield phone
    phone.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def luminance(driver, css: str, prop: str) -> float:
    """0 (black) … 1 (white): the computed colour of ``prop`` on the first element matching ``css``."""
    rgb = driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]].match(/\\d+/g).slice(0, 3);",
        css, prop)
    r, g, b = (int(v) / 255 for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_sms_link_at_night_is_dark_with_a_big_button_and_the_deadline_first(site, night_phone, shots):
    """The lead opens the SMS link in a dark room: no white glare, a thumb-sized 确认收到, and
    after it the first thing on the page is by when to respond and what to do first."""
    driver = night_phone
    _, _, button = open_personal_link(site, driver, 110)
    assert luminance(driver, "body", "backgroundColor") < 0.15 and luminance(driver, ".panel", "backgroundColor") < 0.2
    assert luminance(driver, "body", "color") > 0.7  # light text on it
    assert button.size["height"] >= 44 and button.size["width"] >= 300  # the width of the phone, not a word
    assert scroll_width(driver) <= NARROW
    assert driver.save_screenshot(str(shots / "phone-ack-night.png"))
    submit(driver, "do-ack", (By.ID, "ack-next"))
    due = driver.find_element(By.ID, "ack-due").text
    assert due.startswith("请于 ") and "前回应" in due and "首先：" in due and ".0" not in due
    steps = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#ack-steps li")]
    assert steps and steps[0] in due
    assert all(b.size["height"] >= 44 for b in driver.find_elements(By.CSS_SELECTOR, "#ack-next button"))
    assert driver.save_screenshot(str(shots / "phone-ack-night-next.png"))
