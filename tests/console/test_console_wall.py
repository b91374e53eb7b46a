"""The wall screen (大屏) fits one screen and the 事件 badge.

* ``/wall`` at 1366×768 and at 1920×1080 (headless Chromium, the viewport set exactly): the page
  does not scroll (``scrollHeight <= innerHeight``), no box cuts its content off silently (the
  rows that do not fit are counted in 另有N条), the counts stay big, the 24 h trend, blind
  channels and 在岗值班 are on screen. Screenshots of both.
* An alert raised to an 应急事件 carries a 事件 badge in the feed row and in the wall's
  unacknowledged list (and in the API's feed items); other alerts do not.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from contracts.clock import FakeClock
from crawlers.health_store import HealthStore, RunOutcome
from tests.console.conftest import UNIT_A, UNIT_B, Api, start_console, stop_console
from tests.console.test_console_browser import assert_png, login, open_feed, publish, wait
from tests.kit import CHROMEDRIVER, CHROMIUM, chromium_session

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")

SCREENS = [(1366, 768), (1920, 1080)]
MANY = 24  # more unacknowledged alerts than any wall can list


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A busy duty room: many unacknowledged alerts, blind channels, one alert raised to an 事件."""
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))  # 10:00 in Jilin, a Monday: 王宁 on duty
    app, alerts, server = start_console(tmp_path_factory.mktemp("wall"), clock=clock)
    for n in range(MANY):
        publish(app, (UNIT_A, UNIT_B)[n % 2], 500 + n)
    with HealthStore.in_data_dir(app.data_dir) as store:  # five blind sources: more than the wall lists
        for source in app.config.sources[:5]:
            store.record_run(RunOutcome(source.id, "blind", pages=1, error="登录墙：页面要求登录"))
    clock.advance(minutes=1)
    raised = publish(app, UNIT_A, 999)  # the newest red alert: first among the unacknowledged
    duty = Api(server.url, "duty")
    opened = duty.post(f"/api/alerts/{raised}/emergency", json={"reason": "央媒转载"}, headers={"X-CSRF-Token": duty.csrf})
    assert opened.status_code == 200, opened.text
    yield app, server, raised, opened.json()
    stop_console(app, server)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from chromium_session(tmp_path_factory, "chromium-wall", width=1920, height=1080)


def screen(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def open_wall(driver, base: str) -> None:
    driver.get(base + "/wall")
    wait(driver).until(EC.text_to_be_present_in_element_attribute((By.ID, "wall-live"), "data-state", "live"))


def read_badge(driver, css: str) -> tuple[str, str | None]:
    """An event badge's text and link. The feed and the wall redraw themselves live, so the badge is
    found afresh on each try, and one replaced between find and read is read again."""

    def read(d) -> tuple[str, str | None]:
        badge = d.find_element(By.CSS_SELECTOR, css)
        return badge.text, badge.get_attribute("href")

    return wait(driver).until(read)


def test_feed_items_say_which_alerts_belong_to_an_emergency(site):
    app, server, raised, em = site
    items = Api(server.url, "duty").get("/api/alerts").json()
    marked = {a["id"]: a["emergency"] for a in items if a["emergency"]}
    assert marked == {raised: {"id": em["id"], "status": "open"}}
    assert len(items) > MANY


def test_emergency_badge_in_the_feed_row_and_on_the_wall(site, driver, shots):
    app, server, raised, em = site
    screen(driver, 1366, 768)
    try:
        login(driver, server.url, "duty")
        open_feed(driver, server.url)
        text, href = read_badge(driver, f'tr[data-id="{raised}"] a.event-badge')
        assert text == "事件" and href is not None and href.endswith(f"/emergencies/{em['id']}")
        assert len(driver.find_elements(By.CSS_SELECTOR, "#feed a.event-badge")) == 1
        assert driver.save_screenshot(str(shots / "feed-event-badge.png"))
        open_wall(driver, server.url)
        assert read_badge(driver, f'#wall-waiting li[data-id="{raised}"] .event-badge')[0] == "事件"
        assert len(driver.find_elements(By.CSS_SELECTOR, "#wall-waiting .event-badge")) == 1
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("width,height", SCREENS)
def test_wall_fits_one_screen_without_scrolling(site, driver, shots, width, height):
    app, server, raised, em = site
    screen(driver, width, height)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
    try:
        login(driver, server.url, "duty")
        open_wall(driver, server.url)
        js = driver.execute_script
        assert js("return [window.innerWidth, window.innerHeight]") == [width, height]
        assert js("return document.documentElement.scrollHeight") <= height
        assert js("return document.documentElement.scrollWidth") <= width
        # No box cuts rows off silently: what does not fit is counted.
        clipped = js("return [...document.querySelectorAll('.wall-box')].filter("
                     "b => b.scrollHeight > b.clientHeight + 1).map(b => b.className)")
        assert clipped == []
        for box in ("wall-trend", "wall-blind", "wall-duty", "wall-units", "wall-waiting"):
            bottom = js("return document.getElementById(arguments[0]).getBoundingClientRect().bottom", box)
            assert 0 < bottom <= height, box
        assert js("return document.getElementById('wall-trend').clientHeight") >= 60
        assert "值班员王宁" in driver.find_element(By.ID, "wall-duty").text
        # The clock in the association's zone (10:01 in Jilin), though this browser runs in New York.
        assert js("return Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
        assert driver.find_element(By.ID, "wall-clock").text.startswith("3月2日 10:0")
        # The waiting list: the rows that fit, then 另有N条 for the others, adding up to the count
        # (read in one script: the wall redraws itself every few seconds).
        unack, shown, more, blind = js(
            "const more = document.querySelector('#wall-waiting li.more');"
            "return [+document.getElementById('wall-unack').textContent,"
            " document.querySelectorAll('#wall-waiting li[data-id]').length, more && more.textContent,"
            " document.getElementById('wall-blind').textContent]")
        assert shown >= 5 and more == f"另有{unack - shown}条待确认" and unack > MANY
        assert blind.count("⚠") == 3 and "另有2个信息源异常" in blind
        # How long each has waited: 刚刚 in the first minute, never 0分钟.
        ages = js("return [...document.querySelectorAll('#wall-waiting .age')].map(s => s.textContent)")
        assert ages and all(a == "刚刚" or (a.endswith("分钟") and a != "0分钟") for a in ages), ages
        # Readable from 3 m: the counts stay big.
        size = js("return parseFloat(getComputedStyle(document.querySelector('.lc b')).fontSize)")
        assert size >= 48
        name = f"wall-{width}x{height}.png"
        assert driver.save_screenshot(str(shots / name))
        assert_png(shots / name)
    finally:
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
