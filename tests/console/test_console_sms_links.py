"""The SMS's short ack link (/a/<8 characters>): the id is kept by the alert store with the
outbox row, so the SMS has room for the title (which company, what happened) within one
70-character segment, and the link works from a console started afterwards (nothing in
memory), on SQLite and on PostgreSQL, until it expires."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import requests

from alerting.acklinks import SHORT_ID_CHARS
from alerting.templates import SMS_MAX
from contracts.clock import FakeClock
from contracts.messages import AlertStatus
from tests.integration.test_alerting_delivery import env, sim, smtp  # noqa: F401  (fixtures)
from tests.kit import build_test_app, gateway_settings, make_scored
from yuqing.bootstrap import App
from yuqing.console_role import ConsoleServer

PHONE = "13900000021"  # 中国人寿's primary contact (孙伟): SMS + email for a red alert
UNIT = "chinalife-jl"
TITLE = "中国人寿吉林省分公司拖延理赔半年，患病客户多次投诉无果"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request) -> dict:
    """settings.yaml overrides: the alert store in the data folder, or in a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return {}
    server = request.getfixturevalue("postgres_server")
    if not server.url:
        pytest.skip(server.unavailable)
    return {"alert_store": {"url": server.new_database()}}


def test_sms_names_company_and_event_and_its_short_id_acknowledges_after_a_restart(tmp_path, smtp, sim, store):  # noqa: F811
    clock = FakeClock()
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, settings={**gateway_settings(sim), **store})
    [routed] = app.router.handle(make_scored({UNIT: "red"}, story="short-1", title=TITLE, at=clock.now()))
    app.notifier.run_once()
    [sms] = sim.to(PHONE)
    text = sms.text  # as the approved template renders it at the provider
    assert len(text) <= SMS_MAX, text
    assert sms.params["unit"] == "国寿吉林" and sms.params["risk"] == "理赔纠纷" and "红色" in sms.params["level"]
    # Which company (named first, 国寿吉林) and what happened: the title's opening 中国人寿吉林省分公司 gives its
    # room to the event, whole here (it took 10 of the title's 19 characters before).
    assert sms.params["title"] == "拖延理赔半年，患病客户多次投诉无果", text
    base, code = text.rsplit("/a/", 1)
    assert base.endswith(app.config.settings.console_base_url.rstrip("/")) and code == sms.params["code"]
    assert len(code) == SHORT_ID_CHARS
    app.close()  # the notifier's process ends; the console starts afterwards with nothing in memory

    console = ConsoleServer(App(app.config, clock=clock))
    console.start()
    try:
        page = requests.get(f"{console.url}/a/{code}", timeout=30)
        assert page.status_code == 200 and routed.alert.unit_name in page.text and "确认收到" in page.text
        assert requests.get(f"{console.url}/a/{code[:-1]}x" if code[-1] != "x" else f"{console.url}/a/{code[:-1]}y",
                            timeout=30).status_code == 400  # another id: nothing to show
        other = requests.get(f"{console.url}/a/AAECAwQFBgcICQoLDA0ODxAR", timeout=30)  # 23 characters: no such format
        assert other.status_code == 400 and "链接无效" in other.text
        done = requests.post(f"{console.url}/ack/s:{code}", data={"confirm": "1"}, timeout=30)
        assert done.status_code == 200 and "已确认收到" in done.text
        store_ = console.app.alert_store
        assert store_.get(routed.alert.id).status is AlertStatus.acknowledged
        [ack] = [t for t in store_.audit_trail(routed.alert.id) if t["event"] == "status.acknowledged"]
        assert "孙伟" in ack["actor"] and ack["via"] == "ack-link"  # the SMS's recipient, from the store

        # The link expires as the long one does: ack_link_ttl (3 days in the demo) ahead, to the end of that day.
        clock.advance(timedelta(days=4).total_seconds())
        expired = requests.get(f"{console.url}/a/{code}", timeout=30)
        assert expired.status_code == 400 and "已过期" in expired.text
    finally:
        console.stop()
        console.app.close()


def test_a_replayed_rendering_mints_the_same_id_and_a_fallback_sms_is_resolvable(tmp_path, smtp, sim):  # noqa: F811
    """Replays queue nothing new and store no second id; the id of an SMS rendered as a fallback (an
    e-mail that failed for good) is stored with the row that carries it, before it is ever sent."""
    clock = FakeClock()
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, settings=gateway_settings(sim))
    try:
        doc = make_scored({UNIT: "red"}, story="short-2", title=TITLE, at=clock.now())
        [routed] = app.router.handle(doc)
        app.router.handle(doc)  # the bus replays the document
        rows = app.alert_store.outbox(routed.alert.id)
        codes = []
        for r in rows:
            payload = json.loads(r["payload"])
            for p in (payload, (payload.get("fallback") or {}).get("payload") or {}):
                if "short" in (p.get("sms") or {}):
                    codes.append(p["sms"]["short"]["code"])
        assert codes, "no SMS rendered"
        for code in codes:
            link = app.alert_store.short_link(code)
            assert link is not None and link.alert_id == routed.alert.id
        count = app.alert_store._db.execute("SELECT COUNT(*) FROM short_links").fetchone()[0]
        assert count == len(set(codes))
    finally:
        app.close()


def test_an_id_taken_by_another_link_is_replaced_deterministically_at_insert(tmp_path, smtp, sim, store, caplog):  # noqa: F811
    """Forced collision: every link derives the same id. The first SMS keeps it; the others get the
    next free ids of a fixed sequence, logged, carried by the SMS they go out in, resolvable to their
    own recipient; a replay of the renderings lands on the same ids and stores nothing new."""
    clock = FakeClock()
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=clock, settings={**gateway_settings(sim), **store})
    derive = app.ack_signer.short_link
    app.ack_signer.short_link = lambda alert_id, who, now: dataclasses.replace(derive(alert_id, who, now),
                                                                             code="SAMEcode")
    try:
        docs = [make_scored({unit: "red"}, story=f"clash-{unit}", title=TITLE, at=clock.now())
                for unit in (UNIT, "picc-pc-jl")]
        routed = [app.router.handle(doc)[0] for doc in docs]
        stored = app.alert_store._db.execute("SELECT code, alert_id, recipient FROM short_links").fetchall()
        assert len(stored) >= 2 and len({r["code"] for r in stored}) == len(stored)
        assert "SAMEcode" in {r["code"] for r in stored}
        assert "stands for another link" in caplog.text
        for r in stored:  # each id stands for its own (alert, recipient), as the SMS carrying it says
            assert {r["alert_id"]} <= {a.alert.id for a in routed}
        for doc in docs:
            app.router.handle(doc)  # the bus replays the documents
        assert app.alert_store._db.execute("SELECT COUNT(*) FROM short_links").fetchone()[0] == len(stored)
        app.notifier.run_once()
        links = {r["code"]: (r["alert_id"], r["recipient"]) for r in stored}
        sent = [m for m in sim.received if "code" in m.params]
        assert sent
        for m in sent:
            code = m.params["code"]
            assert m.text.endswith(f"/a/{code}")
            link = app.alert_store.short_link(code)
            assert link is not None and links[code] == (link.alert_id, link.recipient)
        assert len({m.params["code"] for m in sent}) == len(sent)
    finally:
        app.close()
