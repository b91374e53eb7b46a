"""The duty room is told when the pipeline itself is down (console/pipeline_health.py), in headless
Chromium: the notify role never runs, a red alert is held for review with its automatic forward at
03:35, and the shared FakeClock passes 03:35 (no sleeping for it). The feed's promise 「03:35 自动转发单位」
turns into 「应于03:35自动转发，已逾期12分钟」, a banner names the stalled sends and the late forward —
on the open feed (its poll), the wall (whose pipeline must not read 正常) and the phone — and a unit's
lead is told of the stalled sends about its unit's alert that it was told of (a yellow one, not held), not
of the alert held from it, and another unit's lead of nothing. Screenshots: build/screenshots/health-*.png.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from contracts.clock import FakeClock
from tests.console.conftest import UNIT_A, Api, start_console, stop_console
from tests.console.test_console_browser import assert_png, login, open_feed, wait
from tests.kit import CHROMEDRIVER, CHROMIUM, SmtpRecorder, chromium_session, seed_doc

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
REVIEW = {"alerting": {"routes": {"red": {"forward": "review", "review_timeout": "15m"}}}}
T0 = datetime(2026, 3, 1, 19, 20, tzinfo=timezone.utc)  # 03:20 on 2 March in Jilin


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The console and the router, never the notifier: nothing is sent, no timer fires (until the last test)."""
    smtp = SmtpRecorder().start()
    app, _, server = start_console(tmp_path_factory.mktemp("health"), clock=FakeClock(T0), rules=REVIEW,
                                   settings={"smtp": {"host": "127.0.0.1", "port": smtp.port}})
    doc = seed_doc({UNIT_A: "red"}, title="停摆测试：车主投诉理赔被拒", text="车主称保险公司拒赔，已向监管部门投诉。",
                   url="http://news.example.cn/health/1.html", at=app.clock.now(), story="health-1")
    app.index.upsert([doc])
    alert_id = app.router.handle(doc)[0].alert.id
    told = seed_doc({UNIT_A: "yellow"}, title="停摆测试：客户反映退保难", text="客户称退保手续繁琐，多次往返。",
                    url="http://news.example.cn/health/2.html", at=app.clock.now(), story="health-2")
    app.index.upsert([told])
    app.router.handle(told)  # forwarded to the unit at once: its sends stall too
    yield app, server, alert_id
    stop_console(app, server)
    smtp.stop()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from chromium_session(tmp_path_factory, "chromium-health", width=1366, height=900)


def due_cue(driver, alert_id: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'#feed-body tr[data-id="{alert_id}"] .review-due').text


def banner_text(driver, element_id: str) -> str:
    box = driver.find_element(By.ID, element_id)
    return box.text if box.is_displayed() else ""


def test_the_stalled_notifier_shows_on_the_feed_the_wall_and_the_phone(site, driver, shots):
    app, server, alert_id = site
    login(driver, server.url, "duty")
    open_feed(driver, server.url)
    wait(driver).until(lambda d: due_cue(d, alert_id) == "03:35 自动转发单位")  # a promise, still in time
    assert banner_text(driver, "health-banner") == ""
    assert Api(server.url, "duty").get("/api/health").json()["ok"]

    app.clock.advance(minutes=27)  # 03:47: the forward was due at 03:35, the duty officers' messages at 03:20
    # The open page learns it from its own poll (every 15 s, readings kept 5 s): no reload.
    wait(driver, 40).until(lambda d: "自动转发停滞" in banner_text(d, "health-banner"))
    text = banner_text(driver, "health-banner")
    assert "通知发送停滞：" in text and "逾期未发，最早应于 03:20 发出（已过 27 分钟）" in text
    assert "条待复核预警应于 03:35 自动转发单位，已逾期 12 分钟，单位尚未收到通知" in text
    wait(driver).until(lambda d: due_cue(d, alert_id) == "应于03:35自动转发，已逾期12分钟")
    # Found afresh on each try: the feed re-renders a row whenever its alert changes.
    wait(driver).until(lambda d: "overdue" in d.find_element(
        By.CSS_SELECTOR, f'#feed-body tr[data-id="{alert_id}"] .review-due').get_attribute("class"))
    driver.save_screenshot(str(shots / "health-feed.png"))
    assert_png(shots / "health-feed.png")

    driver.get(server.url + "/wall")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "wall-health")))
    wall = driver.find_element(By.ID, "wall-health").text
    assert "通知发送停滞" in wall and "自动转发停滞" in wall
    assert not driver.find_element(By.ID, "wall-blind-ok").is_displayed()  # not 「全部信息源正常」
    assert "处理流程停滞" in driver.find_element(By.ID, "wall-pipeline-bad").text
    tiles = driver.execute_script(  # read at once: the wall redraws its tiles on every refresh
        "return [...document.querySelectorAll('#wall-units .unit-tile small')].map((s) => s.textContent);")
    assert tiles and "正常" not in tiles and "待核实" in tiles
    driver.save_screenshot(str(shots / "health-wall.png"))
    assert_png(shots / "health-wall.png")

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        open_feed(driver, server.url)
        box = driver.find_element(By.ID, "health-banner")
        assert box.is_displayed() and "通知发送停滞" in box.text
        assert box.rect["y"] < 300 and box.rect["x"] + box.rect["width"] <= 390  # on the first screen, inside it
        assert driver.execute_script("return document.documentElement.scrollWidth;") <= 390
        driver.save_screenshot(str(shots / "health-phone.png"))

        login(driver, server.url, "lead_a")  # the unit's lead at night: its SMS may not come
        open_feed(driver, server.url)
        text = banner_text(driver, "health-banner")
        assert "通知发送停滞：本单位预警的" in text and "待复核" not in text and "协会值班室" in text
        late = {who: {p["kind"]: p for p in Api(server.url, who).get("/api/health").json()["problems"]}
                for who in ("duty", "lead_a", "lead_b")}
        assert set(late["lead_a"]) == set(late["lead_b"]) == {"outbox"}  # each unit's own; reviews are not theirs
        assert "本单位预警的" in late["lead_b"]["outbox"]["text"]
        assert late["lead_a"]["outbox"]["count"] + late["lead_b"]["outbox"]["count"] <= late["duty"]["outbox"]["count"]
        driver.save_screenshot(str(shots / "health-phone-lead.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_banner_goes_when_the_work_is_done(site):
    app, server, alert_id = site
    app.notifier.run_once()  # the notify role is back: it sends what is due and forwards the late review
    app.notifier.run_once()  # … and sends what the forward released
    duty = Api(server.url, "duty")
    health = wait_health(duty)
    assert health["ok"] and health["problems"] == [], health
    [item] = [a for a in duty.get("/api/alerts").json() if a["id"] == alert_id]
    assert not item["awaiting_review"]


def wait_health(api: Api, timeout: float = 15.0) -> dict:
    """The console keeps one reading a few seconds (console.health.refresh): ask until it is fresh."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        health = api.get("/api/health").json()
        if health["ok"] or time.monotonic() > deadline:
            return health
        time.sleep(0.5)
