"""SMS delivery receipts (回执) posted by the providers to the console: an
SMS really sent through the provider stand-in becomes delivered, or failed
with the provider's error shown; repeats and unknown ids change nothing;
the shared token in the callback URL is enforced; each provider gets its
documented answer."""
from __future__ import annotations

import json

import pytest
import requests

from alerting.receipts import ALIYUN_ACK, TENCENT_ACK
from contracts.clock import FakeClock
from tests.console.conftest import Api, add_users, stop_console
from tests.kit import GATEWAY_ENV, SmtpRecorder, build_test_app, gateway_settings, gateway_sim, make_scored
from yuqing.bootstrap import App
from yuqing.console_role import ConsoleServer

TOKEN = "receipt-token-0123456789"
PHONE = "13900000021"  # 中国人寿's primary contact: SMS + email for a red alert
UNIT = "chinalife-jl"


@pytest.fixture
def smtp():
    with SmtpRecorder() as rec:
        yield rec


def start(tmp_path, monkeypatch, smtp, provider: str):
    """(app, server, sim): an SMS sent through the stand-in, a console over the same files."""
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("YUQING_RECEIPT_TOKEN", TOKEN)
    sim = gateway_sim().start()
    try:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(),
                             settings=gateway_settings(sim, provider))
        server = ConsoleServer(App(app.config, clock=app.clock))
        add_users(server)
        server.start()
    except BaseException:
        sim.stop()
        raise
    return app, server, sim


@pytest.fixture(params=["aliyun", "tencent"])
def sent(request, tmp_path, monkeypatch, smtp):
    """(provider, app, server, alert, sms row): one red alert notified, its SMS accepted by the provider."""
    app, server, sim = start(tmp_path, monkeypatch, smtp, request.param)
    try:
        [routed] = app.router.handle(make_scored({UNIT: "red"}, story="receipt-1", at=app.clock.now()))
        app.notifier.run_once()
        [row] = [dict(r) for r in app.alert_store.outbox(routed.alert.id)
                 if r["channel"] == "sms" and r["recipient"] == PHONE]
        assert row["state"] == "accepted" and row["provider_id"] and len(sim.to(PHONE)) == 1
        yield request.param, app, server, routed.alert, row
    finally:
        stop_console(app, server)
        sim.stop()


def receipt(provider: str, provider_id: str, delivered: bool) -> list[dict]:
    """A receipt batch shaped as the provider documents it."""
    if provider == "aliyun":
        return [{"phone_number": PHONE, "send_time": "2026-01-01 08:00:00", "report_time": "2026-01-01 08:00:05",
                 "success": delivered, "err_code": "DELIVERED" if delivered else "MK:0001",
                 "err_msg": "用户接收成功" if delivered else "用户关机", "sms_size": "1", "biz_id": provider_id,
                 "out_id": "n1"}]
    return [{"user_receive_time": "2026-01-01 08:00:05", "nationcode": "86", "mobile": PHONE,
             "report_status": "SUCCESS" if delivered else "FAIL", "errmsg": "DELIVRD" if delivered else "MK:0001",
             "description": "用户短信送达成功" if delivered else "用户关机", "sid": provider_id}]


def post(server, provider: str, body, token: str | None = TOKEN, path_token: bool = False):
    url = f"{server.url}/callbacks/sms/{provider}"
    if path_token:
        url, params = f"{url}/{token}", None
    else:
        params = {"token": token} if token is not None else None
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False).encode()
    return requests.post(url, params=params, data=data, headers={"Content-Type": "application/json"}, timeout=10)


ACK = {"aliyun": ALIYUN_ACK, "tencent": TENCENT_ACK}


def sms_row(app, alert_id: str) -> dict:
    [row] = [dict(r) for r in app.alert_store.outbox(alert_id) if r["channel"] == "sms" and r["recipient"] == PHONE]
    return row


def events(app, alert_id: str, note_id: str) -> list[str]:
    return [t["event"] for t in app.alert_store.audit_trail(alert_id) if t.get("notification_id") == note_id]


# ---------------------------------------------------------------- outcomes

def test_delivered_receipt_marks_the_sms_delivered_once(sent):
    provider, app, server, alert, row = sent
    r = post(server, provider, receipt(provider, row["provider_id"], True))
    assert r.status_code == 200 and r.json() == ACK[provider]
    assert sms_row(app, alert.id)["state"] == "delivered"
    # The provider retries a batch it thinks we missed: harmless.
    assert post(server, provider, receipt(provider, row["provider_id"], True)).json() == ACK[provider]
    # A late contradicting receipt does not undo a settled outcome either.
    assert post(server, provider, receipt(provider, row["provider_id"], False)).status_code == 200
    assert sms_row(app, alert.id)["state"] == "delivered"
    assert events(app, alert.id, row["id"]).count("notification.delivered") == 1
    detail = Api(server.url, "duty").get(f"/api/alerts/{alert.id}").json()
    assert {n["state_label"] for n in detail["notifications"] if n["id"] == row["id"]} == {"已送达"}


def test_failed_receipt_shows_the_providers_error_and_falls_back(sent):
    provider, app, server, alert, row = sent
    r = post(server, provider, receipt(provider, row["provider_id"], False))
    assert r.status_code == 200 and r.json() == ACK[provider]
    failed = sms_row(app, alert.id)
    assert failed["state"] == "failed" and "MK:0001" in failed["last_error"] and "用户关机" in failed["last_error"]
    trail = app.alert_store.audit_trail(alert.id)
    assert any(t["event"] in ("fallback", "fallback.skipped") and t.get("notification_id") == row["id"]
               for t in trail)  # the person's other channels take over (here: the email already sent)
    # The duty officer sees why in the console (the alert detail's notifications).
    detail = Api(server.url, "duty").get(f"/api/alerts/{alert.id}").json()
    [shown] = [n for n in detail["notifications"] if n["id"] == row["id"]]
    assert shown["state_label"] == "发送失败" and "用户关机" in shown["last_error"]
    # Repeat: nothing more happens (no second failure, no second fallback).
    before = len(app.alert_store.audit_trail(alert.id))
    assert post(server, provider, receipt(provider, row["provider_id"], False)).json() == ACK[provider]
    assert len(app.alert_store.audit_trail(alert.id)) == before


def test_unknown_ids_are_ignored_and_the_rest_of_the_batch_applies(sent):
    provider, app, server, alert, row = sent
    batch = receipt(provider, "no-such-id^0001", True) + receipt(provider, row["provider_id"], True)
    r = post(server, provider, batch)
    assert r.status_code == 200 and r.json() == ACK[provider]
    assert sms_row(app, alert.id)["state"] == "delivered"
    assert post(server, provider, receipt(provider, "no-such-id^0002", False)).json() == ACK[provider]


# ---------------------------------------------------------------- protection and bad input

def test_callback_token_is_enforced_and_bad_bodies_refused(tmp_path, monkeypatch, smtp):
    app, server, sim = start(tmp_path, monkeypatch, smtp, "aliyun")
    try:
        [routed] = app.router.handle(make_scored({UNIT: "red"}, story="receipt-2", at=app.clock.now()))
        app.notifier.run_once()
        row = sms_row(app, routed.alert.id)
        body = receipt("aliyun", row["provider_id"], True)
        for token in (None, "", "wrong-token"):
            r = post(server, "aliyun", body, token=token)
            assert r.status_code == 403 and r.json()["code"] != 0, token
        r = post(server, "tencent", receipt("tencent", "x", True), token="wrong-token")
        assert r.status_code == 403 and r.json()["result"] != 0
        assert sms_row(app, routed.alert.id)["state"] == "accepted"  # nothing applied
        # No login and no CSRF token needed: the URL's token is the credential (here in the path).
        r = post(server, "aliyun", body, path_token=True)
        assert r.status_code == 200 and r.json() == ALIYUN_ACK
        assert sms_row(app, routed.alert.id)["state"] == "delivered"

        for bad in (b"not json", b'{"biz_id": 1', json.dumps("a string"), b"\xff\xfe"):
            r = post(server, "aliyun", bad)
            assert r.status_code == 400 and r.json()["code"] != 0, bad
        assert post(server, "tencent", b"[1, 2]").json()["result"] != 0
        assert post(server, "huawei", body).status_code == 404

        # Without YUQING_RECEIPT_TOKEN the callbacks are open (a warning is logged each time).
        monkeypatch.delenv("YUQING_RECEIPT_TOKEN")
        assert post(server, "aliyun", body, token=None).json() == ALIYUN_ACK
    finally:
        stop_console(app, server)
        sim.stop()
