"""What the duty officer and the unit's lead see without hunting for it: how many alerts wait for review and
each one's deadline on its feed row (a lead does not see them before they are forwarded); on the ack page (a phone, from the SMS) the response deadline before anything else,
and 开始处置 offered once, not again on an alert already being handled."""
from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.test_console_browser import login, open_feed
from tests.console.test_console_review import publish, review_console  # noqa: F401 (fixture)
from tests.kit import browser_missing, chromium, click_to_new_page

LEAD = "李明 <13900000011>"  # 人保财险's primary contact
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
needs_browser = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def ack_url(app, server, alert_id: str) -> str:
    return app.ack_url(alert_id, LEAD).replace(app.config.settings.console_base_url, server.url)


def test_handling_is_offered_once_on_the_ack_page(review_console):  # noqa: F811
    app, server, _ = review_console
    alert_id = publish(app, 21, level="orange")  # forwarded at once: the unit's own link
    url = ack_url(app, server, alert_id)
    page = requests.post(url, data={"confirm": "1"}, timeout=10)
    assert 'id="do-handling"' in page.text and 'id="ack-top-deadline"' in page.text
    page = requests.post(url + "/action", data={"action": "handling", "go": "1"}, timeout=10)
    assert "已开始处置" in page.text and '<dd id="ack-status">处置中</dd>' in page.text
    assert 'id="do-handling"' not in page.text and 'id="do-note"' in page.text  # next: record what was done
    assert 'id="do-handling"' not in requests.get(url, timeout=10).text


@needs_browser
def test_a_held_alerts_feed_row_shows_when_it_goes_to_the_unit_by_itself(review_console, tmp_path, shots):  # noqa: F811
    app, server, _ = review_console
    held = publish(app, 22)
    due = app.alert_store.review(held)["due_at"]
    from console.labels import local
    driver = chromium(tmp_path / "profile", width=1366, height=768)
    try:
        login(driver, server.url, "duty")
        open_feed(driver, server.url)
        row = (By.CSS_SELECTOR, f'#feed-body tr[data-id="{held}"] .review-due')
        WebDriverWait(driver, 30).until(EC.visibility_of_element_located(row))
        assert driver.find_element(*row).text == f"{local(due, '%H:%M')} 自动转发单位"
        waiting = driver.find_element(By.ID, "review-count")  # how many wait for the duty officers, in the head
        assert waiting.is_displayed() and waiting.text == f"待复核 {app.alert_store.pending_reviews()}"
        driver.save_screenshot(str(shots / "feed-review-due.png"))
        click_to_new_page(driver, (By.ID, "review-count"))  # one click: only what waits for review
        WebDriverWait(driver, 30).until(EC.visibility_of_element_located(row))
        shown = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#feed-body tr") if tr.is_displayed()]
        assert len(shown) == app.alert_store.pending_reviews() and all("待复核" in tr.text for tr in shown)
        login(driver, server.url, "lead_a")  # the unit's lead: not told yet, so not in its feed at all
        open_feed(driver, server.url)
        assert not driver.find_elements(By.ID, "review-count")
        assert not driver.find_elements(By.CSS_SELECTOR, f'#feed-body tr[data-id="{held}"]')
    finally:
        driver.quit()


@needs_browser
def test_a_lead_on_a_phone_sees_the_deadline_first_and_handles_once(review_console, tmp_path, shots):  # noqa: F811
    app, server, _ = review_console
    alert_id = publish(app, 23, level="orange")
    driver = chromium(tmp_path / "profile")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        driver.get(ack_url(app, server, alert_id))  # from the SMS: no console login
        top = driver.find_element(By.ID, "ack-top-deadline")
        assert "前（" in top.text and "小时内）" in top.text
        assert top.location["y"] + top.size["height"] <= PHONE["height"]  # on the first screen
        click_to_new_page(driver, (By.ID, "do-ack"))
        click_to_new_page(driver, (By.ID, "do-handling"))
        assert driver.find_element(By.ID, "ack-status").text == "处置中"
        assert not driver.find_elements(By.ID, "do-handling") and driver.find_elements(By.ID, "do-note")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE["width"]
        driver.save_screenshot(str(shots / "phone-ack-handling.png"))
    finally:
        driver.quit()
