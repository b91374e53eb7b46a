"""SIGKILL the notify role at random points while it sends: no notification
is lost, and at most the ones in flight at each kill (one wave of
``send_workers`` sends) are sent twice.

The role runs as a real process (``yuqing notify``) on the real clock, in
front of a real SMTP server and the SMS stand-in (which answers a little
slowly, so kills land mid-send). Every message carries its notification id
(email header X-Yuqing-Notification, SMS OutId), so the servers' logs can be
matched against the outbox exactly."""
import os
import random
import signal
import subprocess
import sys
from collections import Counter

import pytest
import yaml

from alerting.store import AlertStore
from tests.kit import GATEWAY_ENV, SmtpRecorder, build_test_app, gateway_settings, gateway_sim, make_scored, wait_for

EXTRA_UNITS = 30


def add_units(root):
    members = yaml.safe_load((root / "members.yaml").read_text(encoding="utf-8"))
    for i in range(EXTRA_UNITS):
        members["units"].append({"id": f"unit-{i:02d}", "name": f"测试保险公司{i:02d}号吉林分公司",
                                 "aliases": [f"测试保险{i:02d}"],
                                 "contacts": [{"name": f"联系人{i:02d}", "phone": f"137000000{i:02d}",
                                               "email": f"c{i:02d}@unit.example.cn"}]})
    (root / "members.yaml").write_text(yaml.safe_dump(members, allow_unicode=True), encoding="utf-8")
    rules = yaml.safe_load((root / "rules.yaml").read_text(encoding="utf-8"))
    rules["alerting"]["routes"]["red"] = {"channels": ["sms", "email"], "duty": False}
    (root / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")


@pytest.fixture(params=[1, 4], ids=["one-at-a-time", "waves-of-4"])
def setup(tmp_path, monkeypatch, request):
    for k, v in GATEWAY_ENV.items():
        monkeypatch.setenv(k, v)
    workers = request.param
    # Slower answers with more senders, so the kills still land mid-stream.
    with SmtpRecorder() as smtp, gateway_sim(delay=0.02 * workers) as sim:
        # A killed notifier's claims are retaken once their lease expires: short here, 60 s by default.
        settings = {**gateway_settings(sim), "alert_store": {"url": "sqlite:///alerts.db", "options": {
            "lease_seconds": 2, "send_workers": workers}}}
        app = build_test_app(tmp_path, smtp_port=smtp.port, settings=settings)
        add_units(app.config.root)
        app.close()
        from pipeline.config import load_config
        from yuqing.bootstrap import App
        app = App(load_config(tmp_path / "config"))
        yield app, smtp, sim
        app.close()


def start(app, log):
    return subprocess.Popen([sys.executable, "-m", "yuqing.cli", "notify", "--config", str(app.config.root),
                             "--metrics-port", "-1"], env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=log, stderr=subprocess.STDOUT)


def test_sigkill_during_sends_loses_nothing_and_duplicates_at_most_the_ones_in_flight(setup, tmp_path):
    app, smtp, sim = setup
    workers = app.send_workers
    units = [u.id for u in app.config.members.units if u.contacts[0].phone]
    for i, unit in enumerate(units):
        app.router.handle(make_scored({unit: "red"}, story=f"crash-{i}", url=f"http://news.example.cn/c/{i}"))
    expected = {r["id"] for r in app.alert_store.outbox()}
    assert len(expected) == 2 * len(units)

    def received() -> Counter:
        with smtp.lock:
            mails = [str(m.message["X-Yuqing-Notification"]) for m in smtp.messages]
        with sim.lock:
            texts = [m.ref for m in sim.received]
        return Counter(mails + texts)

    rng = random.Random(os.getpid())
    kills = 0
    with open(tmp_path / "notify.log", "wb") as log:
        proc = start(app, log)
        try:
            for _ in range(3):
                target = sum(received().values()) + rng.randint(3, 12)
                wait_for(lambda target=target, proc=proc: sum(received().values()) >= target
                         or proc.poll() is not None, 60,
                         f"{target} messages sent")
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                assert len(received()) < len(expected), "the notifier finished before it could be killed mid-stream"
                proc = start(app, log)
            store = AlertStore(app.alert_store.path)
            try:
                wait_for(lambda: all(r["state"] == "accepted" for r in store.outbox()), 120,
                         "every notification accepted")
            finally:
                store.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    got = received()
    assert set(got) == expected, (tmp_path / "notify.log").read_text(errors="replace")[-3000:]
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= kills * workers, got.most_common(5)
    with sim.lock:
        sms = Counter(m.ref for m in sim.received)
    assert sum(n - 1 for n in sms.values()) <= kills, sms.most_common(5)  # one SMS per wave, whatever the wave
