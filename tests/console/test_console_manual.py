"""人工预警 and 漏报 end to end (issue 16, item 10): a duty officer finds a report the
scorer did not alert on, raises it by hand for a unit from the search page (headless
Chromium); the real router queues it by the unit's routing, the real notifier sends it
to the unit's lead through a real SMTP server; ``yuqing feedback export`` writes it as
漏报 beside a 误报. A pasted link the crawlers never collected is scored, indexed and
routed the same way."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from contracts.clock import FakeClock
from contracts.messages import ScoredDocument
from contracts.topics import DOCS_SCORED
from tests.console.conftest import UNIT_A, UNIT_B, Api, start_console, stop_console
from tests.console.test_console_browser import login, wait
from tests.console.test_console_duty_room import submit
from tests.kit import CHROMEDRIVER, CHROMIUM, SmtpRecorder, chromium_session, seed_doc
from yuqing.cli import main as cli

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")

LEAD_A = "liming@picc-jl.example.cn"  # 人保财险's primary contact in the demo members.yaml
TITLE = "漏报测试：车主反映理赔员多次推诿"


@pytest.fixture(scope="module")
def smtp():
    with SmtpRecorder() as rec:
        yield rec


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp):
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))  # 10:00 in Jilin
    app, alerts, server = start_console(tmp_path_factory.mktemp("manual"), clock=clock,
                                        settings={"smtp": {"host": "127.0.0.1", "port": smtp.port}})
    yield app, alerts, server
    stop_console(app, server)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from chromium_session(tmp_path_factory, "chromium-manual", width=1366, height=900)


def export(app, tmp_path) -> list[dict]:
    out = tmp_path / "feedback.jsonl"
    assert cli(["feedback", "export", "-o", str(out), "--config", str(app.config.root),
                "--data-dir", str(app.data_dir)]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_search_hit_raised_by_hand_reaches_the_lead_and_is_exported_as_missed(site, driver, smtp, shots, tmp_path):
    app, alerts, server = site
    # A report the scorer saw as a neutral mention of 人保财险: indexed, no alert.
    doc = seed_doc({UNIT_A: None}, title=TITLE, text="车主称人保财险理赔员多次推诿，至今未给答复。",
                   url="http://news.example.cn/manual/1.html", at=app.clock.now(), story="manual-1")
    app.index.upsert([doc])
    assert all(a.representative.id != doc.id for a in app.alert_store.list_alerts(limit=500))
    login(driver, server.url, "duty")
    driver.get(server.url + "/search?q=漏报测试")
    hit = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#hits li.hit[data-id="{doc.id}"]')))
    hit.find_element(By.CSS_SELECTOR, "a.raise").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "raise-doc")))
    assert TITLE in driver.find_element(By.ID, "raise-doc").text
    Select(driver.find_element(By.ID, "raise-unit")).select_by_value(UNIT_A)
    Select(driver.find_element(By.ID, "raise-level")).select_by_value("orange")
    driver.find_element(By.ID, "do-raise").click()  # no note yet: the browser keeps the form (required)
    assert driver.find_elements(By.ID, "raise-form")
    driver.find_element(By.ID, "raise-note").send_keys("理赔推诿，系统未识别为负面")
    driver.save_screenshot(str(shots / "raise-form.png"))
    driver.find_element(By.ID, "do-raise").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "trail")))
    assert "人工预警" in driver.find_element(By.ID, "flash").text
    alert_id = driver.current_url.rsplit("/alerts/", 1)[1].split("?")[0]
    alert = app.alert_store.get(alert_id)
    assert alert.unit_id == UNIT_A and alert.level.value == "orange" and alert.representative.id == doc.id
    assert "理赔推诿" in alert.level_reason
    trail = app.alert_store.audit_trail(alert_id)
    manual = next(t for t in trail if t["event"] == "console.manual")
    assert manual["actor"] == "测试duty <console:duty>" and manual["doc_id"] == doc.id
    assert any(t["event"] == "routed" and t["decision"] == "FIRST" for t in trail)
    assert "人工预警" in driver.find_element(By.ID, "trail").text
    driver.save_screenshot(str(shots / "raise-alert.png"))
    # The normal channels: the notifier sends what the router queued, the lead gets the e-mail.
    assert [r for r in app.alert_store.outbox(alert_id) if r["channel"] == "email" and LEAD_A in r["recipient"]]
    while app.notifier.run_once():
        pass
    mails = [m for m in smtp.to(LEAD_A) if TITLE in m.subject or TITLE in m.body]
    assert mails, [m.subject for m in smtp.to(LEAD_A)]
    # The lead sees it in their own feed.
    lead = Api(server.url, "lead_a")
    assert alert_id in [a["id"] for a in lead.get("/api/alerts").json()]
    # A false alarm beside it, then the export holds both with their labels.
    other = next(a for a in alerts if a.unit_id == UNIT_B)
    duty = Api(server.url, "duty")
    r = duty.post(f"/api/alerts/{other.id}/actions", json={"action": "false_alarm", "text": "同名机构"},
                  headers={"X-CSRF-Token": duty.csrf})
    assert r.status_code == 200, r.text
    rows = export(app, tmp_path)
    missed = [x for x in rows if x["label"] == "漏报"]
    assert [(x["doc_id"], x["unit"], x["title"]) for x in missed] == [(doc.id, UNIT_A, TITLE)]
    assert missed[0]["text"].startswith("车主称人保财险") and missed[0]["who"] == "测试duty <console:duty>"
    assert missed[0]["reason"] == "理赔推诿，系统未识别为负面" and missed[0]["when"].startswith("2026-03-02")
    false = [x for x in rows if x["label"] == "误报"]
    assert false and {x["unit"] for x in false} == {UNIT_B} and all(x["reason"] == "同名机构" for x in false)
    assert all(x["title"] and x["doc_id"] for x in false)
    # The console's download gives the same lines.
    assert [json.loads(x) for x in duty.get("/feedback/feedback.jsonl").text.splitlines()] == rows
    # Raising it again is refused: it is already the unit's alert.
    again = duty.post("/raise", data={"doc": doc.id, "unit": UNIT_A, "level": "red", "note": "再次", "csrf": duty.csrf})
    assert again.status_code == 400 and "无需重复预警" in again.text


def test_a_pasted_link_is_scored_indexed_and_routed(site, driver):
    app, _, server = site
    login(driver, server.url, "analyst")
    driver.get(server.url + "/raise")
    url = "https://bbs.example.org/thread/42.html"
    driver.find_element(By.ID, "raise-url").send_keys(url)
    Select(driver.find_element(By.ID, "raise-unit")).select_by_value(UNIT_B)
    Select(driver.find_element(By.ID, "raise-level")).select_by_value("yellow")
    driver.find_element(By.ID, "raise-note").send_keys("论坛帖子，信息源未覆盖")
    driver.find_element(By.ID, "do-raise").click()
    # Not collected: the page asks for the title and text instead of fetching the address itself.
    assert "标题和正文" in wait(driver).until(EC.presence_of_element_located((By.ID, "raise-error"))).text
    driver.find_element(By.ID, "raise-title").send_keys("网友曝国寿吉林业务员诱导退保")
    driver.find_element(By.ID, "raise-text").send_keys("网友称中国人寿吉林分公司业务员诱导老人退保买新产品，损失上万元。")
    Select(driver.find_element(By.ID, "raise-channel")).select_by_value("forum")
    driver.find_element(By.ID, "do-raise").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "trail")))
    alert_id = driver.current_url.rsplit("/alerts/", 1)[1].split("?")[0]
    alert = app.alert_store.get(alert_id)
    assert alert.unit_id == UNIT_B and alert.level.value == "yellow"
    # Published on docs.scored for the index role (which holds the index's one writer); index it as it would.
    consumer = app.bus.consumer([DOCS_SCORED], "test-indexer")
    docs = [ScoredDocument.from_bytes(r.value) for r in consumer.poll(100, timeout=5)]
    consumer.close()
    assert [d.id for d in docs] == [alert.representative.id]
    app.index.upsert(docs)
    doc = app.index.get(alert.representative.id)
    assert doc is not None and doc.source_id == "manual" and doc.channel.value == "forum" and doc.story_id
    assert any(u.unit_id == UNIT_B for u in doc.units)  # the scorer matched the unit in the pasted text


def test_leads_cannot_raise_and_the_api_raises_like_the_page(site):
    app, _, server = site
    lead = Api(server.url, "lead_a", cookie=True)
    assert lead.get("/raise").status_code == 403
    r = lead.post("/raise", data={"url": "https://x.example/1", "unit": UNIT_A, "level": "red", "note": "x",
                                  "csrf": lead.csrf})
    assert r.status_code == 403
    body = {"unit_id": UNIT_B, "level": "blue", "note": "接口人工预警", "url": "https://news.example.org/api/7.html"}
    assert Api(server.url, "lead_b").post("/api/alerts/raise", json=body).status_code == 403
    duty = Api(server.url, "duty")
    r = duty.post("/api/alerts/raise", json=body)  # not collected, nothing pasted
    assert r.status_code == 409 and "标题和正文" in r.json()["detail"]
    r = duty.post("/api/alerts/raise", json={**body, "title": "国寿吉林营业厅排长队", "text": "网友称国寿吉林营业厅排队两小时。"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["decision"] == "FIRST" and app.alert_store.get(out["alert_id"]).level.value == "blue"
    trail = app.alert_store.audit_trail(out["alert_id"])
    assert any(t["event"] == "console.manual" and t["via"] == "api" for t in trail)


def test_assign_picks_a_person_from_a_list(site, driver, shots):
    """指派 is a choice among the console users and the unit's contacts, not free text."""
    app, alerts, server = site
    alert = next(a for a in alerts if a.unit_id == UNIT_A)
    login(driver, server.url, "duty")
    driver.get(f"{server.url}/alerts/{alert.id}")
    box = Select(wait(driver).until(EC.presence_of_element_located((By.ID, "assignee"))))
    options = {o.get_attribute("value"): o.text for o in box.options if o.get_attribute("value")}
    assert options["contact:李明"] == "李明（人保财险联系人）" and options["user:lead_a"] == "测试lead_a（单位宣传负责人）"
    assert "user:lead_b" not in options  # another unit's lead
    box.select_by_value("contact:李明")
    assert submit(driver, "do-assign", (By.ID, "alert-assignee")).text == "李明（人保财险联系人）"
    driver.save_screenshot(str(shots / "alert-assigned.png"))
    assigned = next(t for t in app.alert_store.audit_trail(alert.id) if t["event"] == "console.assigned")
    assert assigned["assignee_id"] == "contact:李明" and assigned["actor"] == "测试duty <console:duty>"
