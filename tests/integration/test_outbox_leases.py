"""Two notifiers over one outbox (issue 12 item 1): each message goes out once.

Two real ``yuqing notify`` processes drain one outbox of 1,000 rows (800
e-mails to the SMTP recorder, 200 SMS to the provider stand-in, which
answers a little slowly). The second starts while the first is mid-stream —
the moment the old "reset everything in sending on start" re-queued the
first one's in-flight rows — and both then run side by side. Every message
carries its notification id (X-Yuqing-Notification, SMS OutId), so the
servers' logs are matched against the outbox exactly. Once with the outbox in
the embedded SQLite file, once in a PostgreSQL database (claims use
``FOR UPDATE SKIP LOCKED`` there)."""
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from alerting.store import AlertStore, Notification
from tests.kit import GATEWAY_ENV, SmtpRecorder, build_test_app, gateway_settings, gateway_sim, wait_for

EMAILS, SMS = 800, 200


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request, tmp_path, monkeypatch):
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)
    store_url = "sqlite:///alerts.db"
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        if not server.url:
            pytest.skip(server.unavailable)
        store_url = server.new_database()
    with SmtpRecorder() as smtp, gateway_sim(delay=0.01) as sim:
        app = build_test_app(tmp_path, smtp_port=smtp.port,
                             settings={**gateway_settings(sim), "alert_store": {"url": store_url}})
        yield app, smtp, sim
        app.close()


def fill_outbox(app) -> set[str]:
    now = app.clock.now()
    notes = [Notification(id=f"lease-mail-{i:04d}", alert_id=f"a{i % 50}", channel="email",
                          recipient=f"c{i:04d}@unit.example.cn", step=0,
                          payload={"email": {"subject": f"【舆情预警】测试 {i}", "body": "测试正文"}})
             for i in range(EMAILS)]
    notes += [Notification(id=f"lease-sms-{i:04d}", alert_id=f"a{i % 50}", channel="sms",
                           recipient=f"1390000{i:04d}", step=0,
                           payload={"sms": {"params": {"unit": "测试", "title": f"测试 {i}", "level": "红色"},
                                            "text": f"测试 {i}"}})
              for i in range(SMS)]
    with app.alert_store.transaction() as db:
        assert len(app.alert_store.enqueue(db, notes, now)) == EMAILS + SMS
    return {n.id for n in notes}


def start(app, log):
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", "notify", "--config", str(app.config.root),
                             "--metrics-port", "-1"], env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=log, stderr=subprocess.STDOUT)


def test_two_notifiers_over_one_outbox_send_each_message_exactly_once(setup, tmp_path):
    app, smtp, sim = setup
    expected = fill_outbox(app)

    def received() -> Counter:
        with smtp.lock:
            mails = [str(m.message["X-Yuqing-Notification"]) for m in smtp.messages]
        with sim.lock:
            texts = [m.ref for m in sim.received]
        return Counter(mails + texts)

    logs = [tmp_path / "notify-a.log", tmp_path / "notify-b.log"]
    procs: list[subprocess.Popen] = []
    try:
        with open(logs[0], "wb") as log_a, open(logs[1], "wb") as log_b:
            procs.append(start(app, log_a))
            wait_for(lambda: sum(received().values()) >= 100 or procs[0].poll() is not None, 120,
                     "the first notifier under way")
            assert len(received()) < len(expected) // 2, "the first notifier finished too early to overlap"
            procs.append(start(app, log_b))  # starts while the first holds claimed rows in 'sending'
            store = AlertStore(app.alert_store.path)
            try:
                wait_for(lambda: all(r["state"] == "accepted" for r in store.outbox())
                         or any(p.poll() is not None for p in procs), 300, "every notification accepted")
                assert all(p.poll() is None for p in procs), "a notifier exited"
            finally:
                store.close()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
    got = received()
    assert set(got) == expected
    assert [k for k, n in got.items() if n > 1] == []
    # Both took part: each process logs what it sent.
    sent_by = [sum(1 for line in path.read_text(errors="replace").splitlines() if " accepted by " in line)
               for path in logs]
    assert all(n > 0 for n in sent_by), sent_by
    assert sum(sent_by) == EMAILS + SMS
