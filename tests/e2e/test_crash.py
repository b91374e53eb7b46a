"""Crash test: SIGKILL random roles — and once the supervisor itself — while
documents flow through ``yuqing run``; then nothing is lost (every document
indexed, every negative one alerted, every e-mail, SMS and robot message the
outbox calls sent received) and each kill costs at most one duplicate message
(the one in flight), counted over e-mail, SMS and robots together.

Real processes, a real SMTP server, the SMS/robot gateway stand-in (demo.gateway,
checking signatures, writing its jsonl); the order of kills is random (seeded from
the pid, printed on failure). Marked slow: it runs with the default pytest in
about a minute and a half."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from alerting.store import AlertStore
from pipeline.config import load_config
from pipeline.index import SearchQuery
from tests.e2e.test_embedded_pipeline import _docs
from tests.kit import (
    GATEWAY_ENV,
    SmtpRecorder,
    copy_config,
    gateway_settings,
    gateway_sim,
    publish_raw,
    terminate,
    wait_for,
)
from yuqing.bootstrap import App

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROLES = ["score", "index", "route", "notify"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


class Run:
    def __init__(self, tmp: Path, smtp_port: int, gateways: dict) -> None:
        self.root = copy_config(tmp / "config", settings={
            "data_dir": str(tmp / "data"), "smtp": {"host": "127.0.0.1", "port": smtp_port},
            "metrics_ports": {r: -1 for r in ROLES}, **gateways,
            "demo": {"site_port": None, "mailsink_port": None, "gateways": False, "users": False}})
        self.config = load_config(self.root)
        self.data = self.config.data_dir
        self.log = open(tmp / "run.log", "ab")  # noqa: SIM115 (open for the test's lifetime)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "yuqing.cli", "run", "--config", str(self.root),
                                      "--roles", ",".join(ROLES)],
                                     # red alerts wait for review; the timer forwards them (config/demo/rules.yaml)
                                     env={**os.environ, **GATEWAY_ENV, "PYTHONUNBUFFERED": "1",
                                          "YUQING_REVIEW_TIMEOUT": "5s"},
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def pid(self, role: str) -> int | None:
        try:
            text = (self.data / "run" / f"{role}.pid").read_text()
        except FileNotFoundError:
            return None
        return int(text) if text and alive(int(text)) else None

    def pids(self) -> dict[str, int]:
        return {r: p for r in ROLES if (p := self.pid(r))}

    def stop(self) -> None:
        if self.proc:
            terminate(self.proc)


def indexed(run: Run) -> int:
    app = App(run.config)
    try:
        return app.index.search(SearchQuery(limit=0)).total
    finally:
        app.close()


def outbox(run: Run) -> list[dict]:
    store = AlertStore(run.data / "alerts.db")
    try:
        return [dict(r) for r in store.outbox()]
    finally:
        store.close()


def test_random_kills_and_a_supervisor_kill_lose_nothing_and_duplicate_at_most_one_per_kill(tmp_path):
    seed = os.getpid()
    rng = random.Random(seed)
    total, every = 480, 40
    docs, negatives = _docs(total, every)
    waves = [docs[:160], docs[160:320], docs[320:]]
    kills: list[str] = []
    with SmtpRecorder() as smtp, gateway_sim(record_dir=tmp_path / "gateway") as sim:
        run = Run(tmp_path, smtp.port, gateway_settings(sim))
        run.start()
        try:
            wait_for(lambda: len(run.pids()) == len(ROLES), 60, "every role started")
            for n, wave in enumerate(waves):
                publish_raw(run.config, wave)
                for _ in range(2):  # two role kills per wave, at random moments while it flows
                    time.sleep(rng.uniform(0.5, 3.0))
                    role = rng.choice(ROLES)
                    pid = wait_for(lambda r=role: run.pid(r), 60, f"{role} running")
                    os.kill(pid, signal.SIGKILL)
                    kills.append(role)
                    wait_for(lambda r=role, p=pid: run.pid(r) not in (None, p), 60, f"{role} restarted")
                if n == 1:  # once: the supervisor itself, then a new `yuqing run` on the same data dir
                    children = run.pids()
                    assert run.proc is not None  # started above
                    run.proc.send_signal(signal.SIGKILL)
                    run.proc.wait()
                    kills.append("supervisor")
                    old = set(children.values())
                    wait_for(lambda old=old: not any(alive(p) for p in old), 20, "the orphaned roles to exit")
                    run.start()
                    wait_for(lambda old=old: len(run.pids()) == len(ROLES) and old.isdisjoint(run.pids().values()),
                             60, "a new set of roles")

            # Nothing lost: every document indexed, every negative one alerted, every e-mail delivered.
            wait_for(lambda: indexed(run) == total, 120, f"all {total} documents in the index")

            def settled() -> list[dict] | None:
                rows = outbox(run)
                units = {r["alert_id"] for r in rows if r["kind"] == "alert" and r["channel"] == "email"}
                done = all(r["state"] in ("accepted", "delivered", "failed") for r in rows)
                return rows if done and len(units) >= len(negatives) else None

            everything = wait_for(settled, 180, "every notification settled (e-mail, SMS, robots)")
            time.sleep(2)  # anything still in flight would arrive now
        finally:
            run.stop()
            run.log.close()
        with smtp.lock:
            received = Counter(str(m.message["X-Yuqing-Notification"]) for m in smtp.messages)
        with sim.lock:
            gateway = list(sim.received)
    # What the stand-in wrote to its jsonl is what it received (the record the demo shows).
    lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in (tmp_path / "gateway").glob("*.jsonl"))
    assert lines == len(gateway)
    rows = [r for r in everything if r["channel"] == "email"]
    context = f"seed {seed}, kills {kills}, log {run.log.name}"
    assert {r["state"] for r in rows} <= {"accepted", "delivered"}, context
    missing = [r["id"] for r in rows if r["id"] not in received]
    assert not missing, f"lost e-mails {missing} ({context})"
    for title, email in negatives:
        assert any(title[:20] in m.subject for m in smtp.to(email)), f"{title} never reached {email} ({context})"
    # SMS carry our notification id (OutId; "bundle-…" for several in one), robots do not: a robot
    # message is known by its robot and text. Nothing the outbox calls sent is missing at the gateway.
    sms = Counter(m.ref for m in gateway if m.provider.endswith("sms"))
    robots = Counter((m.to, m.text) for m in gateway if m.provider.endswith("robot"))
    sent = [r for r in everything if r["channel"] != "email" and r["state"] in ("accepted", "delivered")]
    assert any(r["channel"] == "sms" for r in sent) and any(r["channel"] not in ("sms", "email") for r in sent), \
        f"no SMS or no robot message sent: the test would prove nothing ({context})"
    def sms_received(row: dict) -> bool:
        return row["id"] in sms or any(m.ref.startswith("bundle-") and m.to.endswith(row["recipient"][-11:])
                                       for m in gateway if m.provider.endswith("sms"))

    tokens = {r.id: GATEWAY_ENV[r.token_env] for r in run.config.members.robots}
    lost = [r["id"] for r in sent if not (sms_received(r) if r["channel"] == "sms" else
                                          any(m.to == tokens.get(r["recipient"]) for m in gateway))]
    assert not lost, f"lost SMS/robot messages {lost} ({context})"
    duplicates = sum(c - 1 for c in received.values())
    gateway_duplicates = sum(c - 1 for c in sms.values()) + sum(c - 1 for c in robots.values())
    print(f"crash test: {len(kills)} kills {kills}, {len(rows)} e-mails, {sum(sms.values())} SMS, "
          f"{sum(robots.values())} robot messages, {duplicates} + {gateway_duplicates} duplicate(s), seed {seed}")
    assert duplicates + gateway_duplicates <= len(kills), \
        f"{duplicates} e-mail and {gateway_duplicates} SMS/robot duplicates for {len(kills)} kills ({context})"
    assert "supervisor" in kills and len(kills) == 7
