"""A bundle holding a poison row (a message that cannot be rendered as part of a bundle) is sent
again one by one — after the wave's outcomes are committed, never inside the open transaction:
on SQLite that would hold the store's write lock (the router's, the console's) through network
sends. The good messages go out, the poison row fails alone, and the singles keep the waves'
rule of at most one SMS at a time."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from alerting.channels import Sent
from alerting.notifier import Notifier
from alerting.store import AlertStore, Notification
from contracts.clock import FakeClock

PHONE = "13900000021"


# One probe at a time: two sender threads probing at once would each find the store locked by the other's
# BEGIN IMMEDIATE (timeout=0), which says nothing about the notifier; under load (eight senders, a slow
# machine) their probes overlapped and failed the test.
PROBING = threading.Lock()


class LockProbe:
    """A channel client that, while "sending", checks whether another process could write the store."""

    def __init__(self, name: str, path) -> None:
        self.name, self.path = name, path
        self.sent: list[tuple[str, str, str]] = []
        self.locked: list[str] = []
        self._lock = threading.Lock()

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent:
        with PROBING:
            other = sqlite3.connect(self.path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError:
                with self._lock:
                    self.locked.append(note_id)
            finally:
                other.close()
        text = payload[self.name]["text" if self.name == "sms" else "subject"]  # KeyError: a poison row
        with self._lock:
            self.sent.append((note_id, recipient, text))
        return Sent(f"{self.name}-{len(self.sent)}")


def sms(i: int, poison: bool = False) -> Notification:
    # The poison row is the most severe: the bundle's SMS is built from it, and fails.
    payload: dict[str, object] = {"level": "red" if poison else "yellow", "summary": f"第{i}条", "unit_name": "中国人寿吉林省分公司"}
    if not poison:
        params = {"unit": "国寿吉林", "level": "红色", "title": f"第{i}条", "source": "吉林新闻网", "link": "x"}
        payload["sms"] = {"params": params, "text": f"国寿吉林红色：第{i}条"}
    return Notification(id=f"sms-{i}", alert_id=f"a{i}", channel="sms", recipient=PHONE, step=0, payload=payload)


def mail(i: int) -> Notification:
    return Notification(id=f"mail-{i}", alert_id=f"a{i}", channel="email", recipient=f"p{i}@example.cn", step=0,
                        payload={"email": {"subject": f"邮件{i}", "body": "正文"}, "summary": f"邮件{i}"})


@pytest.mark.parametrize("workers", [1, 8])
def test_a_poison_bundle_is_split_after_the_commit_and_its_good_messages_go_out(tmp_path, workers):
    path = tmp_path / "alerts.db"
    store, clock = AlertStore(path), FakeClock()
    clients = {"sms": LockProbe("sms", path), "email": LockProbe("email", path)}
    notifier = Notifier(store, clients, clock, workers=workers)
    waves: list[list[str]] = []
    deliver = notifier._deliver_wave

    def spy(groups):
        waves.append([g[0].channel for g in groups])
        return deliver(groups)

    notifier._deliver_wave = spy  # type: ignore[method-assign]
    with store.transaction() as db:
        store.enqueue(db, [sms(1), sms(2, poison=True), sms(3), mail(4), mail(5)], clock.now())
    try:
        assert notifier.run_once() == 5
        states = {r["id"]: (r["state"], r["last_error"] or "") for r in store.outbox()}
        assert states["sms-2"][0] == "failed" and states["sms-2"][1].startswith("UNSENDABLE: KeyError")
        assert {k: v[0] for k, v in states.items() if k != "sms-2"} == dict.fromkeys(
            ["sms-1", "sms-3", "mail-4", "mail-5"], "accepted")
        assert sorted(n for n, _, _ in clients["sms"].sent) == ["sms-1", "sms-3"]  # one by one, each once
        # Every send — the bundle's attempt and the singles — found the store free to write.
        assert clients["sms"].locked == [] and clients["email"].locked == []
        assert all(w.count("sms") <= 1 for w in waves) and len(waves) >= 4  # bundle wave(s), then 3 singles
    finally:
        notifier.close_sessions()
        store.close()
