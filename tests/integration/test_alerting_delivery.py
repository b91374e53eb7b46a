"""Delivery through the outbox against the provider stand-ins and a real SMTP
server, on a fake clock: bundling under provider rate limits (nothing
dropped), SMS fallback to email, the duty officer's notice when someone
cannot be reached, retries, delivery receipts, ops alerts, audit export."""
import json
from datetime import datetime, timezone

import pytest

from alerting.templates import SMS_MAX
from contracts.clock import FakeClock
from contracts.messages import Level, OpsAlert
from tests.kit import GATEWAY_ENV, SmtpRecorder, build_test_app, copy_config, gateway_settings, gateway_sim, make_scored
from yuqing.cli import main as cli

DUTY_PHONE, DUTY = "13800000001", "duty@jiaxh.example.cn"
PRIMARY_PHONE, PRIMARY = "13900000021", "sunwei@chinalife-jl.example.cn"
CHINALIFE_ROBOT = GATEWAY_ENV["YUQING_ROBOT_CHINALIFE_TOKEN"]


@pytest.fixture
def env(monkeypatch):
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def smtp():
    with SmtpRecorder() as rec:
        yield rec


@pytest.fixture
def sim(env):
    with gateway_sim() as s:
        yield s


def make_app(tmp_path, smtp, sim, members_edit=None, provider="aliyun"):
    root = copy_config(tmp_path / "cfg")
    if members_edit:
        path = root / "members.yaml"
        path.write_text(members_edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(), settings=gateway_settings(sim, provider),
                          source=root)


@pytest.fixture
def app(tmp_path, smtp, sim):
    app = make_app(tmp_path, smtp, sim)
    yield app
    app.close()


def alert(app, i=0, unit="chinalife-jl", level="red"):
    [routed] = app.router.handle(make_scored({unit: level}, story=f"s{i}", url=f"http://news.example.cn/{i}",
                                             title=f"第{i}号：投诉中国人寿吉林省分公司拖延理赔", at=app.clock.now()))
    return routed.alert


def test_every_channel_reached_with_the_ack_link(app, smtp, sim):
    a = alert(app)
    assert app.notifier.run_once() == 6
    assert len(sim.to(PRIMARY_PHONE)) == 1 and len(sim.to(DUTY_PHONE)) == 1 and len(sim.to(CHINALIFE_ROBOT)) == 1
    sms = sim.to(PRIMARY_PHONE)[0]
    # One segment in the approved template: the unit's short name, the level, what happened (the
    # reasons' risk type), the title and the short id after the address fixed in the template.
    assert sms.params["unit"] == "国寿吉林" and sms.params["level"] == "红色预警" and sms.params["risk"] == "理赔纠纷"
    assert sms.text.startswith("国寿吉林舆情红色预警：理赔纠纷，") and len(sms.text) <= SMS_MAX, sms.text
    assert sms.text.endswith(f"{app.config.settings.console_base_url}/a/{sms.params['code']}")
    assert "@13900000021" in sim.to(CHINALIFE_ROBOT)[0].text and "[确认收到](" in sim.to(CHINALIFE_ROBOT)[0].text
    states = {(r["channel"], r["state"]) for r in app.alert_store.outbox(a.id)}
    assert states == {("sms", "accepted"), ("email", "accepted"), ("dingtalk", "delivered")}
    assert sim.rejected == []


def test_tencent_provider_works_the_same(tmp_path, smtp, sim):
    app = make_app(tmp_path, smtp, sim, provider="tencent")
    try:
        alert(app)
        app.notifier.run_once()
        assert [m.provider for m in sim.to(PRIMARY_PHONE)] == ["tencent-sms"] and sim.rejected == []
    finally:
        app.close()


def test_robot_rate_limit_is_respected_by_bundling_and_nothing_is_dropped(app, smtp, sim):
    sim.per_minute = 10**6  # the stand-in's own limit runs on real time; ours runs on the fake clock
    for i in range(25):  # 25 red alerts for one unit within one minute
        alert(app, i)
        app.notifier.run_once()
    robot = sim.to(CHINALIFE_ROBOT)
    assert len(robot) == 20  # DingTalk allows 20 a minute; the other 5 wait
    deferred = [r for r in app.alert_store.outbox() if r["recipient"] == "chinalife-group" and r["state"] == "pending"]
    assert len(deferred) == 5 and all("RATE_LIMITED" in r["last_error"] for r in deferred)
    app.clock.advance(61)
    app.notifier.run_once()
    robot = sim.to(CHINALIFE_ROBOT)
    assert len(robot) == 21 and "舆情预警汇总（5条" in robot[-1].text and robot[-1].text.count("[确认](") == 5
    rows = [r for r in app.alert_store.outbox() if r["recipient"] == "chinalife-group"]
    assert len(rows) == 25 and {r["state"] for r in rows} == {"delivered"}
    # The duty officer's phone: 10 SMS a day, then they fail over (the email got there: no notice).
    assert len(sim.to(DUTY_PHONE)) == 10
    sms = [r for r in app.alert_store.outbox() if r["recipient"] == DUTY_PHONE]
    assert sum(r["state"] == "failed" for r in sms) == 15 and len(smtp.to(DUTY)) == 25
    assert sim.rejected == []


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_burst_to_one_phone_goes_as_one_bundled_sms_that_keeps_its_count(tmp_path, smtp, sim, provider):
    """The bundle's title keeps 「等N条」 under the provider's variable limit (Tencent: 12 characters): the
    title before it is cut instead; the stand-in checks the signature and the limit."""
    app = make_app(tmp_path, smtp, sim, provider=provider)
    try:
        for i in range(12):
            alert(app, i)
        app.notifier.run_once()
        [sms] = sim.to(PRIMARY_PHONE)
        limit = sim.param_max[provider]
        title = sms.params["title"]
        assert title.endswith("等12条") and len(title) <= limit and title.startswith("第"), title
        if provider == "tencent":  # 「第0号：投诉中国人寿吉林省分公司…」 does not fit whole: cut before the count
            assert title == "第0号：投诉中…等12条"
        assert "等12条" in sms.text and sim.rejected == []
        ids = {r["provider_id"] for r in app.alert_store.outbox() if r["recipient"] == PRIMARY_PHONE}
        assert len(ids) == 1
    finally:
        app.close()


def sms_only(text: str) -> str:
    # 中国人寿: red by SMS only; 安华: a contact with a phone and no email.
    text = text.replace("    robots: [chinalife-group]\n",
                        "    robots: [chinalife-group]\n    routes:\n      red: {channels: [sms], duty: false}\n")
    return text.replace("      - {name: 杨帆, role: primary, phone: \"13900000121\", email: yangfan@anhua.example.cn}",
                        "      - {name: 杨帆, role: primary, phone: \"13900000121\"}\n"
                        "    routes:\n      red: {channels: [sms], duty: false}")


def test_failed_sms_falls_back_to_email_and_an_unreachable_person_is_shown_to_the_duty_officer(tmp_path, smtp, sim):
    app = make_app(tmp_path, smtp, sim, members_edit=sms_only)
    try:
        sim.bad_numbers |= {PRIMARY_PHONE, "13900000121"}
        a = alert(app)
        app.notifier.run_once()
        app.notifier.run_once()
        [mail] = smtp.to(PRIMARY)
        assert "【舆情预警·红色】" in mail.subject and "/ack/" in mail.body
        events = [t["event"] for t in app.alert_store.audit_trail(a.id)]
        assert events.count("fallback") == 1 and "delivery.unreached" not in events
        b = alert(app, 1, unit="anhua")
        app.notifier.run_once()
        app.notifier.run_once()
        [notice] = smtp.to(DUTY)
        assert "【投递失败】" in notice.subject and "杨帆" in notice.subject and "139****0121" in notice.body
        assert "MOBILE_NUMBER_ILLEGAL" in notice.body
        assert [t["event"] for t in app.alert_store.audit_trail(b.id)].count("delivery.unreached") == 1
        from alerting.audit import delivery_failures
        assert {f["recipient"] for f in delivery_failures(app.alert_store)} == {PRIMARY_PHONE, "13900000121"}
    finally:
        app.close()


def test_transient_errors_retry_with_backoff_and_receipts_confirm_or_fail_over(tmp_path, smtp, sim):
    app = make_app(tmp_path, smtp, sim, members_edit=sms_only)
    try:
        sim.fail_next("aliyun", "5xx")
        a = alert(app)
        app.notifier.run_once()
        [row] = [r for r in app.alert_store.outbox(a.id) if r["channel"] == "sms"]
        assert row["state"] == "pending" and "HTTP 503" in row["last_error"]
        app.clock.advance(29)
        assert app.notifier.run_once() == 0  # backoff: not before 30 s
        app.clock.advance(1)
        app.notifier.run_once()
        [row] = [r for r in app.alert_store.outbox(a.id) if r["channel"] == "sms"]
        assert row["state"] == "accepted" and row["attempts"] == 2 and len(sim.to(PRIMARY_PHONE)) == 1
        # The phone was off: Aliyun's receipt says so, and the person gets the email instead.
        from alerting.receipts import parse_aliyun
        [receipt] = parse_aliyun(json.dumps([{"phone_number": PRIMARY_PHONE, "success": False, "err_code": "MK:0001",
                                              "err_msg": "用户关机", "biz_id": row["provider_id"], "out_id": row["id"]}]))
        assert app.notifier.apply_receipt(receipt.provider_id, receipt.delivered, receipt.detail) == 1
        app.notifier.run_once()
        assert len(smtp.to(PRIMARY)) == 1
        b = alert(app, 1)
        app.notifier.run_once()
        [row] = [r for r in app.alert_store.outbox(b.id) if r["channel"] == "sms"]
        app.notifier.apply_receipt(row["provider_id"], True, "DELIVERED")
        assert [r["state"] for r in app.alert_store.outbox(b.id)] == ["delivered"]
    finally:
        app.close()


def ops(resolved=False, **kw):
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return OpsAlert(id="source_silent:demo-news:2026-01-01", problem="source_silent", subject="demo-news",
                    severity=Level.orange, summary="吉林保险资讯网已3小时未采集到新内容", detail="上次成功：00:00",
                    first_seen=at, last_seen=at, resolved=resolved, **kw)


def test_ops_alerts_go_to_the_duty_officers_once_and_resolve_once(app, smtp, sim):
    assert app.ops_router.handle(ops())[0] == "OPENED"
    assert app.ops_router.handle(ops())[0] == "ALREADY_OPEN"
    app.notifier.run_once()
    [mail] = smtp.to(DUTY)
    assert "【运行告警·橙色】" in mail.subject and smtp.to(PRIMARY) == []
    assert len(sim.to(GATEWAY_ENV["YUQING_ROBOT_DUTY_TOKEN"])) == 1
    assert app.ops_router.handle(ops(resolved=True))[0] == "RESOLVED"
    assert app.ops_router.handle(ops(resolved=True))[0] == "ALREADY_RESOLVED"
    app.notifier.run_once()
    assert len(smtp.to(DUTY)) == 2 and "【运行恢复" in smtp.to(DUTY)[1].subject
    assert app.ops_router.handle(ops())[0] == "REOPENED"


def test_audit_trail_exports_per_unit_as_csv_and_jsonl(app, tmp_path, capsys):
    a = alert(app)
    app.notifier.run_once()
    app.alert_store.change_status(a.id, "acknowledged", app.clock.now(), actor="孙伟 <13900000021>", via="ack-link")
    args = ["audit", "--config", str(tmp_path / "config"), "--unit", "chinalife-jl"]
    assert cli([*args, "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    events = [r["event"] for r in rows]
    assert events[:2] == ["detected", "routed"] and "notification.accepted" in events
    [acked] = [r for r in rows if r["event"] == "status.acknowledged"]
    assert acked["via"] == "ack-link" and acked["actor"] == "孙伟 <13900000021>"
    assert rows[-1]["event"] == "escalation.cancelled"
    assert any(r.get("provider_id") for r in rows if r["event"] == "notification.accepted")
    assert cli([*args, "--format", "csv", "--since", "2025-12-31"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("at,unit_id,alert_id,event") and len(out) == len(rows) + 1
    assert cli([*args, "--format", "jsonl", "--responses"]) == 0
    [resp] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert resp["acknowledged_by"] == "孙伟 <13900000021>" and resp["minutes_to_ack"] == 0.0
