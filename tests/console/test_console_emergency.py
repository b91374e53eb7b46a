"""应急事件 in the console: raising an alert to an 事件 through the API and in a real headless
browser (升级为事件 on the alert page), who may do what (a lead only on its own unit's, analysts
read), the checklist, people, notes and closing, and the 复盘 report and 专报 as HTML and as Word
files read back with python-docx (A4, 报头, headings, page-number fields). Screenshots of the 事件
page and the 复盘 report go where the other browser tests put theirs."""
from __future__ import annotations

import io
import os

import pytest
from docx import Document as DocxDocument
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.console.conftest import UNIT_A, Api
from tests.console.test_console_browser import assert_png, login, wait
from tests.kit import CHROMEDRIVER, CHROMIUM, chromium, click_to_new_page

REVIEW_SECTIONS = ["一、事件概述", "二、时间线", "三、传播情况", "四、处置过程", "五、经验与改进"]


def unit_alert(alerts, unit=UNIT_A):
    return next(a for a in alerts if a.unit_id == unit)


def docx_of(response):
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return DocxDocument(io.BytesIO(response.content))


def test_an_emergency_through_the_api_from_opening_to_the_review_report(console):
    app, alerts, server = console
    alert = unit_alert(alerts)
    duty, analyst = Api(server.url, "duty"), Api(server.url, "analyst")
    lead_a, lead_b = Api(server.url, "lead_a"), Api(server.url, "lead_b")
    assert analyst.get(f"/api/alerts/{alert.id}").json()["emergency"] is None
    assert analyst.post(f"/api/alerts/{alert.id}/emergency", json={}).status_code == 403
    assert lead_a.post(f"/api/alerts/{alert.id}/emergency", json={}).status_code == 403
    opened = duty.post(f"/api/alerts/{alert.id}/emergency", json={"reason": "多家媒体转载"},
                       headers={"X-CSRF-Token": duty.csrf})
    assert opened.status_code == 200, opened.text
    em = opened.json()
    assert duty.get(f"/api/alerts/{alert.id}").json()["emergency"] == {"id": em["id"], "status": "open",
                                                                       "trigger": "人工启动"}
    again = duty.post(f"/api/alerts/{alert.id}/emergency", json={}, headers={"X-CSRF-Token": duty.csrf}).json()
    assert again["id"] == em["id"] and em["status"] == "open" and em["done"] == 0 and em["total"] >= 3

    assert lead_b.get(f"/api/emergencies/{em['id']}").status_code == 404  # another unit's 事件
    assert [e["id"] for e in lead_b.get("/api/emergencies").json()] == []
    assert [e["id"] for e in lead_a.get("/api/emergencies").json()] == [em["id"]]
    tick = lead_a.post(f"/api/emergencies/{em['id']}/actions", json={"action": "tick", "item": "c1"},
                       headers={"X-CSRF-Token": lead_a.csrf})
    assert tick.status_code == 200 and tick.json()["done"] == 1
    assert lead_a.post(f"/api/emergencies/{em['id']}/actions", json={"action": "close"},
                       headers={"X-CSRF-Token": lead_a.csrf}).status_code == 403  # closing is the association's
    assert duty.post(f"/api/emergencies/{em['id']}/actions", json={"action": "tick", "item": "c99"},
                     headers={"X-CSRF-Token": duty.csrf}).status_code == 409
    duty.post(f"/api/emergencies/{em['id']}/actions", json={"action": "note", "text": "已联系当事人，约定明日上门"},
              headers={"X-CSRF-Token": duty.csrf})
    duty.post(f"/api/emergencies/{em['id']}/actions", headers={"X-CSRF-Token": duty.csrf},
              json={"action": "person", "name": "张经理", "role": "单位分管领导", "email": "zhang@picc.example.cn"})
    assert lead_a.post(f"/api/emergencies/{em['id']}/actions", json={"action": "bulletin"},
                       headers={"X-CSRF-Token": lead_a.csrf}).status_code == 403
    assert duty.post(f"/api/emergencies/{em['id']}/actions", json={"action": "bulletin"},
                     headers={"X-CSRF-Token": duty.csrf}).status_code == 200
    assert "孙伟" not in duty.get(f"/api/emergencies/{em['id']}").json()["candidates"]  # another unit's contact
    assert {"测试duty", "李明"} <= set(duty.get(f"/api/emergencies/{em['id']}").json()["candidates"])
    assert duty.get(f"/api/emergencies/{em['id']}/review.docx").status_code == 409  # only after closing
    special = docx_of(duty.get(f"/api/emergencies/{em['id']}/special.docx"))
    assert special.paragraphs[0].text == "吉林省保险行业协会 舆情专报" and special.paragraphs[1].text == "第1期"
    again = docx_of(duty.get(f"/api/emergencies/{em['id']}/special.docx"))
    assert again.paragraphs[1].text == "第1期"  # the same 事件's 专报 keeps its number

    closed = duty.post(f"/api/emergencies/{em['id']}/actions", headers={"X-CSRF-Token": duty.csrf},
                       json={"action": "close", "text": "已妥善处置，当事人撤回投诉", "lessons": "红色预警应在1小时内启动响应"})
    assert closed.json()["status"] == "closed"
    assert duty.post(f"/api/emergencies/{em['id']}/actions", json={"action": "tick", "item": "c2"},
                     headers={"X-CSRF-Token": duty.csrf}).status_code == 409
    detail = analyst.get(f"/api/emergencies/{em['id']}").json()
    events = [t["event"] for t in detail["timeline"]]
    assert events[0] == "detected" and events[-1] == "emergency.closed"
    assert {"emergency.opened", "emergency.checklist", "emergency.note", "emergency.people",
            "emergency.bulletin_requested"} <= set(events)
    assert any(t["text"] == "测试lead_a完成：" + detail["checklist"][0]["text"] for t in detail["timeline"])

    doc = docx_of(analyst.get(f"/api/emergencies/{em['id']}/review.docx"))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)  # A4
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "吉林省保险行业协会\n舆情事件复盘报告" and texts[1] == "第1期"  # the 报头
    assert "TOC" in doc.element.body.xml  # the contents, filled in when Word opens the file
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert [h for h in headings if h in REVIEW_SECTIONS] == REVIEW_SECTIONS
    assert "红色预警应在1小时内启动响应" in texts and "已妥善处置，当事人撤回投诉" in texts
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "测试lead_a" in cells and "张经理" in cells
    html = analyst.get(f"/api/emergencies/{em['id']}/review.html").text
    assert all(s in html for s in REVIEW_SECTIONS) and "红色预警应在1小时内启动响应" in html


def submit(driver, button_id: str) -> None:
    """Press a form's button and wait until the page it posted to has replaced this one (a wait on the
    new page's content could otherwise read the old page while it is being torn down, under load)."""
    click_to_new_page(driver, (By.ID, button_id))


@pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")
def test_duty_officer_raises_ticks_and_closes_an_emergency_in_the_browser(console, tmp_path, shots):
    app, alerts, server = console
    alert = unit_alert(alerts)
    driver = chromium(tmp_path / "profile")
    try:
        login(driver, server.url, "duty")
        driver.get(f"{server.url}/alerts/{alert.id}")
        submit(driver, "do-emergency")
        wait(driver).until(EC.presence_of_element_located((By.ID, "checklist")))
        assert "事件：" in driver.find_element(By.TAG_NAME, "h1").text
        assert driver.find_element(By.ID, "em-status").text == "处置中"
        submit(driver, "tick-c1")
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "item-c1"), "测试duty"))
        assert driver.find_element(By.ID, "tick-c1").text == "撤销" and "已完成" in driver.find_element(By.ID, "item-c1").text
        driver.find_element(By.ID, "em-note").send_keys("已电话联系单位宣传负责人")
        submit(driver, "do-em-note")
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "em-timeline"), "已电话联系单位宣传负责人"))
        timeline = driver.find_element(By.ID, "em-timeline").text
        assert "启动应急响应（人工启动）" in timeline and "测试duty完成" in timeline
        assert driver.save_screenshot(str(shots / "emergency.png"))
        assert_png(shots / "emergency.png")
        page = driver.current_url
        driver.get(driver.find_element(By.ID, "special-html").get_attribute("href"))  # the 专报, while it is open
        assert driver.find_element(By.ID, "doc-kind").text == "舆情专报" and "三、研判" in driver.page_source
        assert driver.save_screenshot(str(shots / "emergency-special.png"))
        driver.get(page)
        # The alert page now links to its 事件 instead of offering to raise it again.
        driver.get(f"{server.url}/alerts/{alert.id}")
        assert driver.find_elements(By.ID, "emergency-link") and not driver.find_elements(By.ID, "do-emergency")
        driver.find_element(By.ID, "emergency-link").click()
        driver.find_element(By.ID, "close-summary").send_keys("单位已发布情况说明，舆情回落")
        driver.find_element(By.ID, "close-lessons").send_keys("口径报备流程需提前")
        submit(driver, "do-close")
        wait(driver).until(EC.text_to_be_present_in_element((By.ID, "em-status"), "已关闭"))
        assert not driver.find_elements(By.ID, "tick-c2")  # a closed 事件 takes no more ticks
        driver.get(driver.find_element(By.ID, "review-html").get_attribute("href"))
        assert driver.find_element(By.ID, "doc-kind").text == "舆情事件复盘报告"
        assert "口径报备流程需提前" in driver.find_element(By.ID, "doc-lessons").text
        assert driver.save_screenshot(str(shots / "emergency-review.png"))
        driver.get(f"{server.url}/emergencies")
        rows = driver.find_elements(By.CSS_SELECTOR, "#emergencies tbody tr")
        assert len(rows) == 1 and "已关闭" in rows[0].text
    finally:
        driver.quit()


@pytest.mark.parametrize("seconds, said", [(14400, "4"), (1800, "0.5"), (4500, "1.25"), (5000, "1.39")])
def test_bulletin_interval_is_said_as_people_write_hours(seconds, said):
    # 「每 4 小时」, not 「每 4.0 小时」 (the emergencies page and each 事件's page)
    from types import SimpleNamespace
    from typing import cast

    from console.emergency_service import bulletin_hours
    from console.ports import Ports
    ports = cast(Ports, SimpleNamespace(config=SimpleNamespace(rules=SimpleNamespace(
        emergency=SimpleNamespace(bulletin_every=seconds)))))
    assert bulletin_hours(ports) == said
