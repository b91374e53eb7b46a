"""The console's HTTP API: login, roles and unit scope, alert actions with
audit, the live feed (SSE) and one-click acknowledgement links."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import requests

from contracts.clock import FakeClock
from contracts.messages import MODEL_EVIDENCE
from tests.console.conftest import PASSWORD, UNIT_A, UNIT_B, Api, start_console, stop_console
from tests.kit import seed_doc


def of_unit(alerts, unit):
    return [a for a in alerts if a.unit_id == unit]


# ---------------------------------------------------------------- authentication

def test_nothing_without_login(shared_console):
    _, alerts, server = shared_console
    anon = Api(server.url)
    for path in ("/api/alerts", f"/api/alerts/{alerts[0].id}", "/api/search?q=理赔", "/api/sources",
                 "/api/reports", "/api/openapi.json", "/api/alerts/stream"):
        assert anon.get(path).status_code == 401, path
    page = anon.get("/", allow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/")
    bad = requests.post(server.url + "/api/session", json={"username": "duty", "password": "wrong-password"},
                        timeout=10)
    assert bad.status_code == 401 and "错误" in bad.json()["detail"]
    form = requests.post(server.url + "/login", data={"username": "nobody", "password": PASSWORD}, timeout=10)
    assert form.status_code == 401 and "用户名或密码错误" in form.text


def test_login_page_redirects_only_to_local_paths(shared_console):
    _, _, server = shared_console
    r = requests.post(server.url + "/login", data={"username": "duty", "password": PASSWORD,
                                                   "next": "https://evil.example/"}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()


def test_openapi_documents_the_api(shared_console):
    _, _, server = shared_console
    schema = Api(server.url, "analyst").get("/api/openapi.json").json()
    for path in ("/api/session", "/api/alerts", "/api/alerts/stream", "/api/alerts/{alert_id}",
                 "/api/alerts/{alert_id}/actions", "/api/search", "/api/search/stats", "/api/search/export",
                 "/api/reports", "/api/sources", "/api/users"):
        assert path in schema["paths"], path
    assert all(not p.startswith(("/login", "/search")) for p in schema["paths"])  # pages stay out of the schema


# ---------------------------------------------------------------- roles and unit scope

def test_unit_lead_sees_only_its_own_units_alerts(shared_console):
    _, alerts, server = shared_console
    own, other = of_unit(alerts, UNIT_A), of_unit(alerts, UNIT_B)
    assert own and other
    lead = Api(server.url, "lead_a")
    listed = lead.get("/api/alerts").json()
    assert {a["unit_id"] for a in listed} == {UNIT_A}
    assert {a["id"] for a in listed} == {a.id for a in own}
    assert lead.get(f"/api/alerts/{own[0].id}").status_code == 200
    # Another unit's alert does not exist for this lead: 404, not 403 (no probing).
    assert lead.get(f"/api/alerts/{other[0].id}").status_code == 404
    r = lead.post(f"/api/alerts/{other[0].id}/actions", json={"action": "acknowledge"})
    assert r.status_code == 404
    # The page says the same.
    page = lead.get(f"/alerts/{other[0].id}")
    assert page.status_code == 404 and "无权查看" in page.text
    # Leads search and export their own unit only (asking for another unit changes nothing);
    # they do not see sources or manage users.
    for path in ("/api/search?q=理赔", "/api/search?q=理赔&unit=chinalife-jl"):
        r = lead.get(path)
        assert r.status_code == 200, path
        hits = r.json()["hits"]
        assert hits and all("中国人民财产保险股份有限公司吉林省分公司" in h["units"] for h in hits), path
    export = lead.get("/api/search/export?q=理赔&unit=chinalife-jl").content.decode("utf-8-sig")
    assert "人民财产" in export and "中国人寿保险股份有限公司吉林省分公司" not in export
    for path in ("/api/sources", "/api/users"):
        assert lead.get(path).status_code == 403, path


def test_duty_officer_and_analyst_see_every_unit(shared_console):
    _, alerts, server = shared_console
    for user in ("duty", "analyst", "admin"):
        listed = Api(server.url, user).get("/api/alerts?limit=500").json()
        assert {a["id"] for a in listed} == {a.id for a in alerts}, user
    analyst = Api(server.url, "analyst")
    r = analyst.post(f"/api/alerts/{alerts[0].id}/actions", json={"action": "acknowledge"})
    assert r.status_code == 403  # analysts read alerts; duty officers and leads act on them
    assert analyst.get("/api/users").status_code == 403


def test_alert_detail_shows_timeline_reasons_and_notifications(shared_console):
    _, alerts, server = shared_console
    story = next(a for a in alerts if a.doc_count == 2)  # the seeded story with a repost
    detail = Api(server.url, "duty").get(f"/api/alerts/{story.id}").json()
    docs = detail["documents"]
    assert len(docs) == 2 and docs[0]["published_at"] <= docs[1]["published_at"]
    assert {d["channel"] for d in docs} == {"新闻网站", "论坛"}
    assert all(d["source_name"] and d["site"] for d in docs)
    assert {"phrase": "拖延理赔", "count": 2} in detail["phrases"]
    assert detail["aliases"]
    # Routed notifications are in the outbox (no notifier runs here: pending).
    assert detail["notifications"] and {n["state_label"] for n in detail["notifications"]} == {"待发送"}
    assert all("payload" not in n for n in detail["notifications"])  # other people's ack links stay hidden
    assert detail["trail"][0]["event"] == "detected"


# ---------------------------------------------------------------- actions and audit

def test_actions_change_status_and_are_audited_with_who(console):
    app, alerts, server = console
    alert = of_unit(alerts, UNIT_A)[0]
    lead = Api(server.url, "lead_a")

    def offered() -> set[str]:  # what the detail page offers in the current status
        return {a["action"] for a in lead.get(f"/api/alerts/{alert.id}").json()["actions"]}
    assert offered() == {"acknowledge", "handling", "resolve", "note", "assign"}  # a lead cannot dismiss
    r = lead.post(f"/api/alerts/{alert.id}/actions", json={"action": "acknowledge"})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and not r.json()["unacknowledged"]
    assert "acknowledge" not in offered() and "handling" in offered()
    assert lead.post(f"/api/alerts/{alert.id}/actions", json={"action": "acknowledge"}).status_code == 200  # idempotent
    # 指派 picks a person: the unit's contacts and leads (a lead is not offered the association's staff).
    people = {p["key"]: p["label"] for p in lead.get(f"/api/alerts/{alert.id}").json()["assignees"]}
    assert people == {"user:lead_a": "测试lead_a（单位宣传负责人）", "contact:李明": "李明（人保财险联系人）",
                      "contact:赵丽": "赵丽（人保财险联系人）"}
    r = lead.post(f"/api/alerts/{alert.id}/actions", json={"action": "assign", "assignee": "品宣部张三"})
    assert r.status_code == 409 and "列表中选择" in r.json()["detail"]  # free text is not a person
    assert lead.post(f"/api/alerts/{alert.id}/actions",
                     json={"action": "assign", "assignee": "contact:赵丽"}).json()["assignee"] == "赵丽（人保财险联系人）"
    duty = {p["key"] for p in Api(server.url, "duty").get(f"/api/alerts/{alert.id}").json()["assignees"]}
    assert {"user:duty", "user:admin", "user:lead_a", "contact:李明"} <= duty and "user:lead_b" not in duty
    assert lead.post(f"/api/alerts/{alert.id}/actions",
                     json={"action": "note", "text": "已联系投诉人，约定明日上门"}).status_code == 200
    assert lead.post(f"/api/alerts/{alert.id}/actions", json={"action": "note", "text": " "}).status_code == 409
    r = lead.post(f"/api/alerts/{alert.id}/actions", json={"action": "resolve", "text": "已赔付结案"})
    assert r.json()["status"] == "resolved"
    assert offered() == {"reopen", "note", "assign"}
    # resolved → acknowledged is refused by the store's transitions: 409 with a Chinese reason.
    r = lead.post(f"/api/alerts/{alert.id}/actions", json={"action": "acknowledge"})
    assert r.status_code == 409 and "已处置" in r.json()["detail"]

    trail = app.alert_store.audit_trail(alert.id)
    ack = next(t for t in trail if t["event"] == "status.acknowledged")
    assert ack["actor"] == "测试lead_a <console:lead_a>" and ack["via"] == "api"
    assert any(t["event"] == "status.acknowledged.repeat" for t in trail)
    assert any(t["event"] == "console.assigned" and t["assignee"] == "赵丽（人保财险联系人）" and t["assignee_id"] == "contact:赵丽"
               for t in trail)
    assert any(t["event"] == "console.note" and t["note"] == "已联系投诉人，约定明日上门" for t in trail)
    detail = lead.get(f"/api/alerts/{alert.id}").json()
    assert [n["kind"] for n in detail["notes"]] == ["assign", "note", "resolved"]
    assert all(n["author"] == "测试lead_a <console:lead_a>" for n in detail["notes"])


def test_false_alarm_is_kept_as_tuning_feedback(console):
    app, alerts, server = console
    alert = of_unit(alerts, UNIT_B)[0]
    duty = Api(server.url, "duty")
    r = duty.post(f"/api/alerts/{alert.id}/actions", json={"action": "false_alarm", "text": "同名非本公司"})
    assert r.json()["status"] == "dismissed"
    lines = Api(server.url, "analyst").get("/api/feedback/false-alarms").text.splitlines()
    record = json.loads(lines[0])
    assert record["alert_id"] == alert.id and record["unit_id"] == UNIT_B
    assert record["doc_ids"] == app.alert_store.alert_doc_ids(alert.id)
    assert record["reason"] == "同名非本公司" and "console:duty" in record["marked_by"] and record["phrases"]
    # Leads may not dismiss alerts: confirming or dismissing is the duty officers' call.
    other = of_unit(alerts, UNIT_A)[0]
    assert Api(server.url, "lead_a").post(f"/api/alerts/{other.id}/actions",
                                          json={"action": "false_alarm"}).status_code == 403


def test_cookie_sessions_need_the_csrf_token(console):
    _, alerts, server = console
    browser = Api(server.url, "duty", cookie=True)
    path = f"/api/alerts/{alerts[0].id}/actions"
    assert browser.post(path, json={"action": "acknowledge"}).status_code == 403
    assert browser.post(path, json={"action": "acknowledge"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert browser.post(path, json={"action": "acknowledge"}, headers={"X-CSRF-Token": browser.csrf}).status_code == 200
    form = browser.post(f"/alerts/{alerts[1].id}/action", data={"action": "acknowledge"}, allow_redirects=False)
    assert form.status_code == 403
    form = browser.post(f"/alerts/{alerts[1].id}/action", data={"action": "acknowledge", "csrf": browser.csrf},
                        allow_redirects=False)
    assert form.status_code == 303


def test_sessions_expire_and_end_on_logout(tmp_path):
    clock = FakeClock()
    app, _, server = start_console(tmp_path, clock=clock)
    try:
        duty = Api(server.url, "duty")
        assert duty.get("/api/me").status_code == 200
        clock.advance(hours=3)  # active within the idle timeout (4 h): still in
        assert duty.get("/api/me").status_code == 200
        clock.advance(hours=4, seconds=1)  # idle too long
        assert duty.get("/api/me").status_code == 401
        other = Api(server.url, "analyst")
        for _ in range(4):  # active every 3 h, but 12 h is the most a login lasts
            clock.advance(hours=3)
            other.get("/api/me")
        assert other.get("/api/me").status_code == 401
        third = Api(server.url, "admin", cookie=True)
        assert third.http.delete(server.url + "/api/session", headers={"X-CSRF-Token": third.csrf}).status_code == 200
        assert third.get("/api/me").status_code == 401
    finally:
        stop_console(app, server)


# ---------------------------------------------------------------- live feed (SSE)

class Stream:
    """Reads an SSE stream in a thread, collecting (event, data) pairs."""

    def __init__(self, api: Api) -> None:
        self.events: list[tuple[str, dict]] = []
        self.resp = api.http.get(api.base + "/api/alerts/stream", stream=True, timeout=30)
        assert self.resp.status_code == 200 and self.resp.headers["content-type"].startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = None
        try:
            for line in self.resp.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind:
                    self.events.append((kind, json.loads(line[6:])))
        except (requests.RequestException, AttributeError, ValueError):
            pass
        finally:
            self.resp.close()  # here, in the reading thread: closing from another one blocks until data arrives

    def wait(self, predicate, timeout: float = 10.0, kind: str = "alert"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for got, data in list(self.events):
                if got == kind and predicate(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no matching event within {timeout}s; got {self.events}")



def test_feed_pushes_new_and_updated_alerts_within_the_unit_scope(console):
    app, alerts, server = console
    # The streams end when the fixture stops the server (their reader threads close them).
    duty, lead_b = Stream(Api(server.url, "duty")), Stream(Api(server.url, "lead_b"))
    for stream in (duty, lead_b):  # each stream has taken its cursor
        stream.wait(lambda d: True, kind="hello")
    now = app.clock.now()
    doc = seed_doc({UNIT_A: "red"}, title="人保财险车险理赔遭拒 车主维权", text="车主称人保财险拒赔，已投诉。",
                   url="http://news.example.cn/live/1.html", at=now, story="live-1")
    app.index.upsert([doc])
    new_id = app.router.handle(doc)[0].alert.id
    got = duty.wait(lambda d: d["id"] == new_id)
    assert got["level"] == "red" and got["status"] == "new" and got["unacknowledged"]
    # An update (acknowledged by someone else, e.g. an ack link) arrives too.
    app.alert_store.change_status(new_id, "acknowledged", now + timedelta(seconds=1), actor="李明", via="ack-link")
    assert duty.wait(lambda d: d["id"] == new_id and d["status"] == "acknowledged")
    # The other unit's lead heard nothing of it, but does hear about its own unit.
    own = seed_doc({UNIT_B: "orange"}, title="中国人寿吉林分公司退保难", text="长春客户反映中国人寿退保难。",
                   url="http://news.example.cn/live/2.html", at=now, story="live-2")
    own_id = app.router.handle(own)[0].alert.id
    lead_b.wait(lambda d: d["id"] == own_id)
    assert all(d.get("id") != new_id for _, d in lead_b.events)


# ---------------------------------------------------------------- ack links

def test_ack_link_acknowledges_as_the_recipient(console):
    app, alerts, server = console
    alert = alerts[0]
    url = app.ack_url(alert.id, "李明 <13900000011>").replace(app.config.settings.console_base_url, server.url)
    # Fetching the link (a mail gateway's scanner, a chat preview) changes nothing…
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and 'id="ack-form"' in r.text and alert.representative.title in r.text
    assert app.alert_store.get(alert.id).status.value == alert.status.value
    # …and so does a post without the button's field (a script submitting the form)…
    r = requests.post(url, timeout=10)
    assert r.status_code == 400 and 'id="do-ack"' in r.text
    assert app.alert_store.get(alert.id).status.value == alert.status.value
    # …the page's button acknowledges.
    r = requests.post(url, data={"confirm": "1"}, timeout=10)
    assert r.status_code == 200 and "已确认收到" in r.text
    assert app.alert_store.get(alert.id).status.value == "acknowledged"
    ack = next(t for t in app.alert_store.audit_trail(alert.id) if t["event"] == "status.acknowledged")
    assert ack["actor"] == "李明 <13900000011>" and ack["via"] == "ack-link"
    again = requests.post(url, data={"confirm": "1"}, timeout=10)
    assert again.status_code == 200 and "无需重复" in again.text
    assert "无需重复" in requests.get(url, timeout=10).text  # and the link now just says so

    token = url.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = requests.get(f"{server.url}/ack/{forged}", timeout=10)
    assert r.status_code == 400 and "链接无效" in r.text and 'href="/login"' in r.text
    r = requests.get(f"{server.url}/ack/not-a-token", timeout=10)
    assert r.status_code == 400 and "登录控制台" in r.text


def test_expired_ack_link_says_so(tmp_path):
    clock = FakeClock()
    app, alerts, server = start_console(tmp_path, clock=clock)
    try:
        url = app.ack_url(alerts[0].id, "孙伟 <13900000021>").replace(app.config.settings.console_base_url, server.url)
        clock.advance(seconds=app.ack_signer.ttl.total_seconds() + 1)
        for r in (requests.get(url, timeout=10), requests.post(url, timeout=10)):
            assert r.status_code == 400 and "已过期" in r.text
        assert app.alert_store.get(alerts[0].id).status.value == "new"
    finally:
        stop_console(app, server)


def test_hardening_headers_and_out_of_range_dates(shared_console):
    _, _, server = shared_console
    for r in (requests.get(server.url + "/login", timeout=10), Api(server.url, "analyst").get("/api/alerts")):
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"] == "same-origin"
    analyst = Api(server.url, "analyst")
    for params in ({"end": "9999-12-31"}, {"start": "0001-01-01"}):
        r = analyst.get("/api/search", params=params)
        assert r.status_code == 422 and "日期超出范围" in r.text, r.text
        assert analyst.get("/api/search/stats", params=params).status_code == 422
        assert analyst.get("/api/search/export", params=params).status_code == 422
    assert analyst.get("/search", params={"end": "9999-12-31"}).status_code == 422


def test_session_cookie_is_secure_when_the_console_is_public_over_https(tmp_path):
    from tests.console.conftest import start_console, stop_console
    app, _, server = start_console(tmp_path, settings={"console_base_url": "https://yuqing.jiaxh.example.cn",
                                                       "demo": {"users": False, "gateways": False}})
    try:
        r = requests.post(server.url + "/login", data={"username": "duty", "password": PASSWORD}, timeout=10,
                          allow_redirects=False)
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    finally:
        stop_console(app, server)


def test_search_links_keep_every_filter():
    """Paging and export links carry the form's filters as the form reads them back."""
    from urllib.parse import parse_qs

    from console.routes.search import form_params
    from console.search_service import SearchForm

    form = SearchForm(q="理赔", units=["picc-pc-jl"], channels=["news", "weibo"], levels=["red"],
                      sources=["jl-news"], min_negativity=0.7)
    assert parse_qs(form_params(form, page=2)) == {
        "q": ["理赔"], "unit": ["picc-pc-jl"], "channel": ["news", "weibo"], "source": ["jl-news"],
        "level": ["red"], "min_negativity": ["0.7"], "sort": ["time_desc"], "size": ["20"], "page": ["2"]}


def test_alert_detail_has_an_assessment_card_in_the_api_and_the_page(shared_console):
    _, alerts, server = shared_console
    story = next(a for a in alerts if a.doc_count == 2)
    api = Api(server.url, "duty")
    card = api.get(f"/api/alerts/{story.id}").json()["assessment"]
    assert card["stage"] in ("萌芽", "发酵", "高峰", "回落") and card["trend"] and card["documents"] == 2
    # the demo playbook for 理赔纠纷: its red entry, else its default
    first, hours = ("主要负责人牵头处置，4小时内向省协会报告", 4) if story.level.value == "red" else \
        ("核实案件进度与拒赔/拖延原因", 24)
    assert card["risk_type"] == "理赔纠纷" and card["steps"][0] == first and card["deadline_hours"] == hours
    assert card["deadline"] > story.first_seen.isoformat()[:10]
    assert story.unit_name in card["statement"] and "〔核查结论〕" in card["statement"]
    # …and names the source by its name, not the web host (a statement is published).
    assert story.representative.site not in card["statement"]
    assert any(s.name in card["statement"] for s in server.app.config.sources), card["statement"]
    page = api.get(f"/alerts/{story.id}").text
    assert 'id="assessment"' in page and "处置建议" in page and "回应口径（草稿）" in page
    assert card["steps"][0] in page


def test_duty_officer_saves_an_edited_assessment_audited_and_shown(console):
    _, alerts, server = console
    alert = of_unit(alerts, UNIT_A)[0]
    duty, analyst = Api(server.url, "duty"), Api(server.url, "analyst")
    text = "研判：当事人已联系，口径改为“已与客户达成一致”。"
    assert analyst.post(f"/api/alerts/{alert.id}/actions", json={"action": "assess", "text": text}).status_code == 403
    assert duty.post(f"/api/alerts/{alert.id}/actions", json={"action": "assess", "text": " "}).status_code == 409  # Refused
    assert duty.post(f"/api/alerts/{alert.id}/actions", json={"action": "assess", "text": text}).status_code == 200
    detail = duty.get(f"/api/alerts/{alert.id}").json()
    assert [n["text"] for n in detail["assessment_notes"]] == [text]
    [event] = [t for t in detail["trail"] if t["event"] == "console.assessment"]
    assert text in str(event)
    page = duty.get(f"/alerts/{alert.id}").text
    assert "值班员研判意见" in page and "已与客户达成一致" in page


def test_a_units_own_reply_is_marked_in_the_timeline_and_not_counted_as_a_ground(console):
    """The unit's 情况说明 joined to its alert (router): 本单位回应 in the timeline, its words not among the
    alert's 负面要素 (they are the complaint's, quoted by the reply)."""
    app, alerts, server = console
    at = max(a.last_seen for a in alerts) + timedelta(minutes=5)  # the unit's latest open alert
    complaint = seed_doc({UNIT_A: "orange"}, title="车主投诉人保财险拖延理赔", text="车主称理赔拖延三个月。",
                         url="http://bbs.example.cn/t/7001", at=at, story="reply-1", channel="forum",
                         phrases=("拖延理赔", "投诉"))
    reply = seed_doc({UNIT_A: "yellow"}, title="人保财险关于客户理赔投诉的情况说明", text="有网友反映理赔拖延，经核查仍在审核中。",
                     url="http://news.example.cn/r/7002", at=at, story="reply-2", phrases=("拖延理赔", "投诉"))
    reply = reply.model_copy(update={"own_response_units": [UNIT_A]})
    app.index.upsert([complaint, reply])
    [first] = app.router.handle(complaint)
    [joined] = app.router.handle(reply)
    assert joined.alert.id == first.alert.id
    duty = Api(server.url, "duty")
    detail = duty.get(f"/api/alerts/{first.alert.id}").json()
    assert [d["own_reply"] for d in detail["documents"]] == [False, True]
    assert {p["phrase"]: p["count"] for p in detail["phrases"]} == {"拖延理赔": 1, "投诉": 1}
    page = duty.get(f"/alerts/{first.alert.id}").text
    assert page.count('class="tag own-reply"') == 1


def test_the_alerts_negative_elements_are_the_lexicons_words_and_the_models_sentences_are_counted_apart(console):
    """负面要素 lists words a reader can check; 模型判断该句偏负面 is no word of the document (its sentences are
    quoted in the timeline), so the line says how many sentences the model found instead."""
    app, alerts, server = console
    at = max(a.last_seen for a in alerts) + timedelta(minutes=7)
    doc = seed_doc({UNIT_B: "orange"}, title="客户反映保单退保被拖延", text="客户称退保申请提交两个月仍无结果。",
                   url="http://bbs.example.cn/t/7101", at=at, story="model-1", channel="forum",
                   phrases=("拖延理赔", (MODEL_EVIDENCE, "")))
    app.index.upsert([doc])
    [routed] = app.router.handle(doc)
    duty = Api(server.url, "duty")
    detail = duty.get(f"/api/alerts/{routed.alert.id}").json()
    assert [p["phrase"] for p in detail["phrases"]] == ["拖延理赔"] and detail["model_sentences"] == 1
    page = duty.get(f"/alerts/{routed.alert.id}").text
    assert "拖延理赔 ×1" in page and "另有1句经模型判断偏负面" in page and f"{MODEL_EVIDENCE} ×" not in page
