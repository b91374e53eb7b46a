"""复核并转发 in the console (forward: review): the 待复核 badge and filter in the feed, the API endpoint,
and a duty officer reviewing and forwarding in a real headless browser — the unit's contact receives
nothing before, and exactly one e-mail after, carrying the edited advice."""
from __future__ import annotations

import json
import os

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from contracts.clock import FakeClock
from tests.console.conftest import UNIT_A, Api, start_console, stop_console
from tests.kit import CHROMEDRIVER, CHROMIUM, SmtpRecorder, chromium, seed_doc

REVIEW = {"alerting": {"routes": {"red": {"forward": "review", "review_timeout": "15m"}}}}
PRIMARY_A = "liming@picc-jl.example.cn"


@pytest.fixture
def review_console(tmp_path):
    with SmtpRecorder() as smtp:
        app, _, server = start_console(tmp_path, clock=FakeClock(), rules=REVIEW,
                                       settings={"smtp": {"host": "127.0.0.1", "port": smtp.port}})
        app.notifier.run_once()
        yield app, server, smtp
        stop_console(app, server)


def publish(app, n: int, level: str = "red") -> str:
    doc = seed_doc({UNIT_A: level}, title=f"复核测试{n}：车主投诉理赔被拒", text="车主称保险公司拒赔，已向监管部门投诉。",
                   url=f"http://news.example.cn/review/{n}.html", at=app.clock.now(), story=f"review-{n}")
    app.index.upsert([doc])
    alert_id = app.router.handle(doc)[0].alert.id
    app.notifier.run_once()
    return alert_id


def test_the_feed_marks_and_filters_held_alerts_and_the_api_forwards_once(review_console):
    app, server, smtp = review_console
    held, at_once = publish(app, 1), publish(app, 2, level="orange")
    duty = Api(server.url, "duty")
    waiting = duty.get("/api/alerts", params={"status": "review"}).json()
    assert held in [a["id"] for a in waiting] and at_once not in [a["id"] for a in waiting]
    item = next(a for a in waiting if a["id"] == held)
    assert item["awaiting_review"] and item["review"]["label"] == "待复核"
    # The wall says what a held alert waits for: the duty officers' review, and when it is forwarded anyway.
    wall = {w["id"]: w for w in duty.get("/api/wall").json()["waiting"]}
    assert wall[held]["review_due"] == item["review"]["due_at"] and wall[at_once]["review_due"] is None
    detail = duty.get(f"/api/alerts/{held}").json()
    assert "forward" in [a["action"] for a in detail["actions"]]
    assert "forward" not in [a["action"] for a in duty.get(f"/api/alerts/{at_once}").json()["actions"]]
    before = len(smtp.to(PRIMARY_A))

    lead = Api(server.url, "lead_a")  # the unit's own lead may not forward, nor even see it before the review
    assert lead.post(f"/api/alerts/{held}/forward", json={}, headers={"X-CSRF-Token": lead.csrf}).status_code == 404
    assert held not in [a["id"] for a in lead.get("/api/alerts").json()]
    assert at_once in [a["id"] for a in lead.get("/api/alerts").json()]
    assert lead.get(f"/alerts/{held}").status_code == 404
    r = duty.post(f"/api/alerts/{held}/forward", json={"notes": "已核实", "advice": "当日联系车主并报告进展"},
                  headers={"X-CSRF-Token": duty.csrf})
    assert r.status_code == 200, r.text
    assert not r.json()["awaiting_review"] and r.json()["review"]["forwarded_by"]
    assert held in [a["id"] for a in lead.get("/api/alerts").json()]  # told now: the lead's to handle
    again = duty.post(f"/api/alerts/{held}/forward", json={}, headers={"X-CSRF-Token": duty.csrf})
    assert again.status_code == 200 and again.json()["review"]["notes"] == "已核实"  # unchanged
    refused = duty.post(f"/api/alerts/{at_once}/forward", json={}, headers={"X-CSRF-Token": duty.csrf})
    assert refused.status_code in (400, 409) and "无需复核" in refused.text
    app.notifier.run_once()
    app.notifier.run_once()
    mails = [m for m in smtp.to(PRIMARY_A) if "复核测试1" in m.subject]
    assert len(mails) == 1 and "当日联系车主并报告进展" in mails[0].body and len(smtp.to(PRIMARY_A)) == before + 1
    trail = [t["event"] for t in duty.get(f"/api/alerts/{held}").json()["trail"]]
    assert "review.forwarded" in trail and "review.held" in trail


@pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")
def test_a_duty_officer_reviews_and_forwards_in_the_browser(review_console, tmp_path, shots):
    app, server, smtp = review_console
    alert_id = publish(app, 3)
    assert [m for m in smtp.to(PRIMARY_A) if "复核测试3" in m.subject] == []
    driver = chromium(tmp_path / "profile")
    try:
        wait = WebDriverWait(driver, 10, poll_frequency=0.05)
        driver.get(server.url + "/login")
        driver.find_element(By.ID, "username").send_keys("duty")
        from tests.console.conftest import PASSWORD
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login").click()
        wait.until(EC.presence_of_element_located((By.ID, "who")))
        driver.get(server.url + "/wall")  # the wall's waiting list says what the held alert waits for
        step = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#wall-waiting li[data-id="{alert_id}"] .step')))
        assert step.text.startswith("待复核　") and step.text.endswith(" 自动转发单位"), step.text
        driver.get(server.url + "/?status=review")
        # The feed re-renders its rows live: every read or click below finds its row afresh on each
        # try, and a row replaced mid-try is tried again.
        live = WebDriverWait(driver, 10, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,))
        held = f'#feed-body tr[data-id="{alert_id}"]'
        assert "待复核" in live.until(lambda d: d.find_element(By.CSS_SELECTOR, held).text)
        shown = live.until(lambda d: [r.text for r in d.find_elements(By.CSS_SELECTOR, "#feed-body tr")
                                      if r.is_displayed()])
        assert all("待复核" in text for text in shown)
        # 确认收到 first: the duty officers' receipt; the row says so and stops offering it again.
        live.until(lambda d: d.find_element(By.CSS_SELECTOR, held).find_element(By.CSS_SELECTOR, "td.ops button.ack")
                   .click() or True)
        live.until(lambda d: "值班员已确认收到，待复核" in d.find_element(By.CSS_SELECTOR, held).text)
        # The row no longer offers 确认收到; its next move is 复核 (the unit has not been told),
        # which opens the review form.

        def open_review(d) -> bool:
            row = d.find_element(By.CSS_SELECTOR, held)
            assert row.find_elements(By.CSS_SELECTOR, "td.ops button.ack") == []
            go = row.find_element(By.CSS_SELECTOR, "td.ops a.review-go")
            assert go.text == "复核"
            go.click()
            return True

        live.until(open_review)
        wait.until(EC.url_to_be(f"{server.url}/alerts/{alert_id}#review"))
        box = wait.until(EC.visibility_of_element_located((By.ID, "review-box")))
        assert "待复核" in box.text and "自动转发" in box.text
        advice = driver.find_element(By.ID, "forward-advice")
        assert "小时内回应" in advice.get_attribute("value")  # the card's advice, for the duty officer to edit
        assert ".0小时" not in advice.get_attribute("value")  # sent to the unit as written: 24小时, not 24.0小时
        advice.clear()
        advice.send_keys("两小时内联系车主，核实拒赔依据")
        driver.find_element(By.ID, "forward-notes").send_keys("当事人已向监管投诉，请重点做好沟通")
        driver.save_screenshot(str(shots / "alert-review.png"))
        driver.find_element(By.ID, "do-forward").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "review-box"), "已复核转发"))
        assert "当事人已向监管投诉" in driver.find_element(By.ID, "review-box").text
        assert driver.find_elements(By.ID, "do-forward") == []
    finally:
        driver.quit()
    app.notifier.run_once()
    app.notifier.run_once()
    [mail] = [m for m in smtp.to(PRIMARY_A) if "复核测试3" in m.subject]
    assert "两小时内联系车主，核实拒赔依据" in mail.body and "当事人已向监管投诉" in mail.body


def test_a_duty_officers_ack_link_on_a_held_alert_is_a_receipt_not_the_units_ack(review_console):
    app, server, smtp = review_console
    held = publish(app, 4)
    [row] = [r for r in app.alert_store.outbox(held) if r["kind"] == "review" and r["channel"] == "email"][:1]
    url = json.loads(row["payload"])["ack_url"].replace(app.config.settings.console_base_url, server.url)
    page = requests.post(url, data={"confirm": "1"}, timeout=10)  # the link in the duty officer's 待复核 e-mail
    assert page.status_code == 200 and "值班员已确认收到，待复核" in page.text and "单位尚未收到通知" in page.text
    assert app.alert_store.get(held).status.value == "new"
    duty = Api(server.url, "duty")
    [item] = [a for a in duty.get("/api/alerts", params={"status": "review"}).json() if a["id"] == held]
    assert item["review"]["label"] == "值班员已确认收到，待复核" and item["unacknowledged"]
    detail = duty.get(f"/api/alerts/{held}").json()
    actions = [a["action"] for a in detail["actions"]]
    assert "forward" in actions and "acknowledge" not in actions  # received: the next move is the review
    assert "值班员已确认收到，待复核" in [t["label"] for t in detail["trail"] if t["event"] == "review.acknowledged"]
    html = duty.get(f"/alerts/{held}").text
    assert "值班员已确认收到，待复核" in html
    # The console button takes the same path (here a second duty officer: a repeat, nothing changes).
    r = duty.post(f"/api/alerts/{held}/actions", json={"action": "acknowledge"}, headers={"X-CSRF-Token": duty.csrf})
    assert r.status_code == 200 and r.json()["status"] == "new" and r.json()["awaiting_review"]

    assert duty.post(f"/api/alerts/{held}/forward", json={}, headers={"X-CSRF-Token": duty.csrf}).status_code == 200
    app.notifier.run_once()
    assert [m for m in smtp.to(PRIMARY_A) if "复核测试4" in m.subject]
    lead = Api(server.url, "lead_a")  # the unit's own acknowledgement, shown apart from the duty officer's
    r = lead.post(f"/api/alerts/{held}/actions", json={"action": "acknowledge"}, headers={"X-CSRF-Token": lead.csrf})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    html = duty.get(f"/alerts/{held}").text
    assert 'id="review-acked"' in html and "复核前值班员已确认收到" in html
