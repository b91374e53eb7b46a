"""Hostile crawled titles and poison rows (issue 12, items 2 and 4 of the
adversarial pass): a title with U+2028 or markdown link syntax reaches every
channel — real SMTP server, the SMS and robot stand-ins — as inert text, and a
row that cannot be sent fails alone (shown to the duty officer, fallback tried)
while the next alert still goes out."""
import json
import re

import pytest

from contracts.clock import FakeClock
from tests.kit import GATEWAY_ENV, SmtpRecorder, build_test_app, gateway_settings, gateway_sim, make_scored

DUTY = "duty@jiaxh.example.cn"
CHINALIFE_PHONE, CHINALIFE = "13900000021", "sunwei@chinalife-jl.example.cn"
CHINALIFE_ROBOT = GATEWAY_ENV["YUQING_ROBOT_CHINALIFE_TOKEN"]
PICC_ROBOT = GATEWAY_ENV["YUQING_ROBOT_PICC_KEY"]
EVIL = "http://evil.example.com/phish"
HOSTILE = {
    "line-separator": "中国人寿吉林省分公司拖延理赔\u2028Bcc: victim@example.com\u2029X-Injected: 1\r\n第二行",
    "markdown-link": f"中国人寿吉林省分公司拒赔](http://evil.example.com/title) [确认收到]({EVIL}) <a href=\"{EVIL}\">点此</a>",
}


@pytest.fixture
def world(tmp_path, monkeypatch):
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)
    with SmtpRecorder() as smtp, gateway_sim() as sim:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(), settings=gateway_settings(sim))
        try:
            yield app, smtp, sim
        finally:
            app.close()


def route(app, title: str, story: str, unit: str = "chinalife-jl", level: str = "red"):
    [routed] = app.router.handle(make_scored({unit: level}, story=story, url=f"http://news.example.cn/{story}",
                                             title=title, at=app.clock.now()))
    return routed.alert


def drain(app) -> None:
    while app.notifier.run_once():
        pass


def links(markdown: str) -> list[tuple[str, str]]:
    return re.findall(r"\[([^\]]*)\]\(([^)]*)\)", markdown)


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_title_reaches_every_channel_inert_and_the_next_alert_still_goes_out(world, kind):
    app, smtp, sim = world
    hostile = route(app, HOSTILE[kind], "hostile")
    picc = route(app, HOSTILE[kind], "hostile-picc", unit="picc-pc-jl", level="yellow")  # a WeCom group
    drain(app)
    assert {r["state"] for r in app.alert_store.outbox(hostile.id)} <= {"accepted", "delivered"}
    assert ("wecom", "delivered") in {(r["channel"], r["state"]) for r in app.alert_store.outbox(picc.id)}

    [mail] = smtp.to(CHINALIFE)
    subject = mail.subject
    assert "中国人寿" in subject and not re.search(r"[\r\n\u2028\u2029]", subject)
    assert mail.message["Bcc"] is None and mail.message["X-Injected"] is None
    assert mail.recipients == [CHINALIFE]
    [sms] = sim.to(CHINALIFE_PHONE)
    assert all(not re.search(r"[\r\n\u2028\u2029]", v) for v in sms.params.values())
    [card] = sim.to(CHINALIFE_ROBOT)
    found = links(card.text)
    # Exactly two links — the title to the document and our ack link — and neither is the attacker's.
    assert [text for text, _ in found][-1] == "确认收到" and len(found) == 2, found
    assert found[0][1] == "http://news.example.cn/hostile" and "/ack/" in found[1][1]
    assert "evil.example.com" not in "".join(url for _, url in found)
    assert "<a " not in card.text and "\u2028" not in card.text
    [wecom] = sim.to(PICC_ROBOT)
    assert [t for t, _ in links(wecom.text)][-1] == "确认收到" and len(links(wecom.text)) == 2
    assert "evil.example.com" not in "".join(url for _, url in links(wecom.text)) and "<a " not in wecom.text

    after = route(app, "市民投诉中国人寿吉林省分公司理赔难", "next")
    drain(app)
    assert {r["state"] for r in app.alert_store.outbox(after.id)} <= {"accepted", "delivered"}
    assert len(smtp.to(CHINALIFE)) == 2


def test_a_row_that_cannot_be_sent_fails_alone_falls_back_and_the_notifier_goes_on(world):
    app, smtp, sim = world
    poison = route(app, "市民投诉中国人寿吉林省分公司拖延理赔", "poison")
    # A row the email client cannot build (as a row rendered by an older version could be).
    with app.alert_store.transaction() as db:
        db.execute("UPDATE outbox SET payload = ? WHERE alert_id = ? AND channel = 'email' AND recipient = ?",
                   (json.dumps({"email": {"subject": "无正文"}}), poison.id, CHINALIFE))
    drain(app)
    rows = {(r["channel"], r["recipient"]): r for r in app.alert_store.outbox(poison.id)}
    bad = rows[("email", CHINALIFE)]
    assert bad["state"] == "failed" and bad["last_error"].startswith("UNSENDABLE: KeyError")
    assert all(r["state"] in ("accepted", "delivered") for k, r in rows.items() if k != ("email", CHINALIFE))
    events = [t["event"] for t in app.alert_store.audit_trail(poison.id)]
    assert "fallback.skipped" in events or "fallback" in events  # the person was reached by SMS already

    after = route(app, "市民投诉中国人寿吉林省分公司理赔难", "after")
    drain(app)
    assert {r["state"] for r in app.alert_store.outbox(after.id)} <= {"accepted", "delivered"}
    assert len(smtp.to(CHINALIFE)) == 1  # the next alert's mail; the poison row sent nothing
