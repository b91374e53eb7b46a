"""开始处置 and 处置完毕 on an alert awaiting review (待复核) in the console: the duty officers' acts, shown as
such in the feed, the detail page and the ack page. 开始处置 leaves 复核并转发 as the next move (the unit is told
and chased when forwarded); 处置完毕 closes the review (no 复核并转发 any more, the unit never told)."""
from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.console.conftest import UNIT_A, Api
from tests.console.test_console_browser import login
from tests.console.test_console_review import PRIMARY_A, publish, review_console  # noqa: F401 (fixture)
from tests.kit import browser_missing, chromium, click_to_new_page, seed_doc


def actions(api: Api, alert_id: str) -> list[str]:
    return [a["action"] for a in api.get(f"/api/alerts/{alert_id}").json()["actions"]]


def post(api: Api, alert_id: str, action: str):
    return api.post(f"/api/alerts/{alert_id}/actions", json={"action": action}, headers={"X-CSRF-Token": api.csrf})


def test_handling_then_resolving_a_held_alert_through_the_api(review_console):  # noqa: F811
    app, server, smtp = review_console
    held = publish(app, 11)
    duty = Api(server.url, "duty")
    r = post(duty, held, "handling")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "new" and r.json()["awaiting_review"]
    assert r.json()["review"]["label"] == "值班员处置中，待复核" and r.json()["review"]["received"]
    offered = actions(duty, held)
    assert "forward" in offered and "resolve" in offered  # the next move is still the review
    assert "acknowledge" not in offered and "handling" not in offered
    trail = duty.get(f"/api/alerts/{held}").json()["trail"]
    assert "值班员开始处置，待复核" in [t["label"] for t in trail if t["event"] == "review.handling"]
    [item] = [a for a in duty.get("/api/alerts", params={"status": "review"}).json() if a["id"] == held]
    assert item["review"]["label"] == "值班员处置中，待复核"
    html = duty.get(f"/alerts/{held}").text
    assert "值班员处置中，待复核" in html and "转发后单位仍须确认" in html

    r = post(duty, held, "resolve")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved" and not r.json()["awaiting_review"]
    assert r.json()["review"]["state"] == "resolved" and r.json()["review"]["label"] == "协会已处置完毕，未转发单位"
    assert "forward" not in actions(duty, held) and "reopen" in actions(duty, held)
    html = duty.get(f"/alerts/{held}").text
    assert "此预警不再转发单位" in html and 'id="do-forward"' not in html
    stale = duty.post(f"/api/alerts/{held}/forward", json={}, headers={"X-CSRF-Token": duty.csrf})
    assert stale.status_code == 200 and stale.json()["review"]["state"] == "resolved"
    app.clock.advance(3600)
    app.escalator.run_once()
    app.notifier.run_once()
    assert [m for m in smtp.to(PRIMARY_A) if "复核测试11" in m.subject] == []
    lead = Api(server.url, "lead_a")  # closed before the unit was told: not the unit's to see
    assert lead.get(f"/api/alerts/{held}").status_code == 404
    assert held not in [a["id"] for a in lead.get("/api/alerts").json()]


def test_handling_from_the_duty_officers_link_on_a_held_alert_says_the_unit_is_still_to_be_told(review_console):  # noqa: F811
    app, server, smtp = review_console
    held = publish(app, 12)
    [row] = [r for r in app.alert_store.outbox(held) if r["kind"] == "review" and r["channel"] == "email"][:1]
    url = json.loads(row["payload"])["ack_url"].replace(app.config.settings.console_base_url, server.url)
    page = requests.post(url, data={"confirm": "1"}, timeout=10)
    assert page.status_code == 200 and 'id="do-handling"' in page.text
    page = requests.post(url + "/action", data={"action": "handling", "go": "1"}, timeout=10)
    assert page.status_code == 200
    assert "已记录：值班员处置中，待复核" in page.text and "单位尚未收到通知" in page.text
    assert '<dd id="ack-status">值班员处置中，待复核</dd>' in page.text
    assert app.alert_store.get(held).status.value == "new"
    assert app.alert_store.review(held)["handling_by"]


@pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))
@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["desk", "phone"])
def test_a_duty_officer_handles_then_closes_a_held_alert_in_the_browser(review_console, tmp_path, shots,  # noqa: F811
                                                                       size):
    app, server, smtp = review_console
    held = publish(app, 13)
    driver = chromium(tmp_path / "profile", width=size[0], height=size[1])
    name = "desk" if size[0] > 1000 else "phone"
    if name == "phone":  # headless Chromium's window is never narrower than 500px: emulate the phone's screen
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": size[0], "height": size[1], "deviceScaleFactor": 2, "mobile": True})
    try:
        login(driver, server.url, "duty")
        driver.get(f"{server.url}/alerts/{held}")
        hint = driver.find_element(By.ID, "review-hint").text
        assert "不影响转发" in hint and "处置完毕" in hint
        click_to_new_page(driver, (By.ID, "do-handling"))
        assert driver.find_element(By.ID, "flash").text == "已记录：值班员处置中，待复核。单位尚未收到通知，下一步请复核并转发。"
        box = driver.find_element(By.ID, "review-box").text
        assert "（测试duty，" in box and "<console:" not in box  # the officer's name, not the account
        assert "值班员处置中，待复核" in box and "单位尚未收到通知" in box and "转发后单位仍须确认" in box
        assert driver.find_elements(By.ID, "do-forward") and not driver.find_elements(By.ID, "do-acknowledge")
        assert not driver.find_elements(By.ID, "do-handling")
        driver.save_screenshot(str(shots / f"alert-review-handling-{name}.png"))
        click_to_new_page(driver, (By.ID, "do-resolve"))
        assert driver.find_element(By.ID, "flash").text == "已处置完毕：协会已处置，此预警不再转发单位。"
        box = driver.find_element(By.ID, "review-box").text
        assert "协会已处置完毕，未转发单位" in box and "此预警不再转发单位" in box
        assert not driver.find_elements(By.ID, "do-forward") and driver.find_elements(By.ID, "do-reopen")
        driver.save_screenshot(str(shots / f"alert-review-resolved-{name}.png"))
        if name == "phone":  # on the phone the page fits the screen: nothing runs off to the side
            assert driver.execute_script("return window.innerWidth") == size[0]
            assert driver.execute_script("return document.documentElement.scrollWidth") <= size[0]
    finally:
        driver.quit()
    assert app.alert_store.review(held)["state"] == "resolved"
    app.clock.advance(3600)
    app.escalator.run_once()
    app.notifier.run_once()
    assert [m for m in smtp.to(PRIMARY_A) if "复核测试13" in m.subject] == []


def test_a_lead_keeps_an_alert_the_unit_knew_of_while_its_raise_is_reviewed(review_console):  # noqa: F811
    app, server, smtp = review_console
    alert_id = publish(app, 31, level="orange")  # orange: the unit is told at once
    assert [m for m in smtp.to(PRIMARY_A) if "复核测试31" in m.subject]
    doc = seed_doc({UNIT_A: "red"}, title="复核测试31：车主投诉理赔被拒，监管介入", text="车主称保险公司拒赔，监管部门已介入。",
                   url="http://weibo.example.cn/review/31", at=app.clock.now(), story="review-31")
    app.index.upsert([doc])
    app.router.handle(doc)  # the same story, now red: the raise waits for the association's review
    app.notifier.run_once()
    assert app.alert_store.review(alert_id)["state"] == "pending"
    lead = Api(server.url, "lead_a")  # the unit knew of it: it stays in the lead's feed and detail
    assert lead.get(f"/api/alerts/{alert_id}").status_code == 200
    assert alert_id in [a["id"] for a in lead.get("/api/alerts").json()]


def test_a_lead_does_not_see_the_emergency_of_an_alert_held_for_review_until_it_is_forwarded(review_console):  # noqa: F811
    app, server, smtp = review_console
    held = publish(app, 14)
    duty, lead = Api(server.url, "duty"), Api(server.url, "lead_a")
    opened = duty.post(f"/api/alerts/{held}/emergency", json={}, headers={"X-CSRF-Token": duty.csrf})
    assert opened.status_code == 200, opened.text
    em = opened.json()
    assert em["id"] in [e["id"] for e in duty.get("/api/emergencies").json()]
    # Association first: the unit has not been told of the alert, so not of its 事件 either.
    assert em["id"] not in [e["id"] for e in lead.get("/api/emergencies").json()]
    assert lead.get(f"/api/emergencies/{em['id']}").status_code == 404
    forwarded = duty.post(f"/api/alerts/{held}/forward", json={}, headers={"X-CSRF-Token": duty.csrf})
    assert forwarded.status_code == 200 and forwarded.json()["review"]["state"] == "forwarded"
    assert em["id"] in [e["id"] for e in lead.get("/api/emergencies").json()]
    assert lead.get(f"/api/emergencies/{em['id']}").status_code == 200
