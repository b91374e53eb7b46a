"""The notifier's waves and leases (alerting/notifier.py): the claims of a poll are renewed only once half
the lease has passed (in a burst, a poll's waves renew nothing: one commit per wave, its outcomes), and a
row another notifier retook meanwhile is never sent by this one — on SQLite and on PostgreSQL."""
from datetime import timedelta

import pytest

from alerting.store import Notification
from contracts.clock import FakeClock
from tests.kit import SmtpRecorder, build_test_app

LEASE = 60


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    store = {}
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        if not server.url:
            pytest.skip(server.unavailable)
        store = {"url": server.new_database()}
    with SmtpRecorder() as smtp:
        app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(), settings={
            "sms": {"provider": None},
            "alert_store": {**store, "options": {"send_workers": 2, "lease_seconds": LEASE}}})
        app.smtp = smtp  # type: ignore[attr-defined]  # the test's recorder, beside the app it fed
        yield app
        app.close()


def fill(app, n: int) -> list[str]:
    notes = [Notification(id=f"wave-{i:02d}", alert_id=f"a{i}", channel="email", recipient=f"c{i:02d}@unit.example.cn",
                          step=0, payload={"email": {"subject": f"【舆情预警】测试 {i}", "body": "测试正文"}})
             for i in range(n)]
    with app.alert_store.transaction() as db:
        app.alert_store.enqueue(db, notes, app.clock.now())
    return [n.id for n in notes]


class Spy:
    def __init__(self, app, on_send=None) -> None:
        self.app, self.renewals, self.on_send = app, 0, on_send
        self.sent: list[str] = []
        store, renew, client = app.alert_store, app.alert_store.renew, app.notifier.clients["email"]

        def counted(*a, **kw):
            self.renewals += 1
            return renew(*a, **kw)

        def send(note_id, recipient, payload):
            self.sent.append(note_id)
            if self.on_send:
                self.on_send(len(self.sent))
            return real_send(note_id, recipient, payload)

        real_send = client.send
        store.renew = counted
        client.send = send


def test_a_burst_renews_nothing_and_sends_each_row_once(app):
    ids = fill(app, 9)  # five waves of at most two
    spy = Spy(app)
    assert app.notifier.run_once() == 9
    assert spy.renewals == 0 and sorted(spy.sent) == ids
    assert {r["state"] for r in app.alert_store.outbox()} == {"accepted"}
    assert sorted(m.message["X-Yuqing-Notification"] for m in app.smtp.messages) == ids


def test_claims_are_renewed_after_half_the_lease_and_a_row_retaken_meanwhile_is_not_sent(app):
    ids = fill(app, 6)  # three waves of two

    def stall(sent: int) -> None:
        if sent == 2:  # the first wave stalls (a hung process) past half the lease: still held, renewed next
            app.clock.advance(LEASE / 2 + 1)
        if sent == 4:  # the second stalls past the lease: another notifier retakes its rows and the rest
            app.clock.advance(LEASE + 1)
            taken = app.alert_store.claim_due(app.clock.now(), owner="other", lease=timedelta(seconds=LEASE))
            assert sorted(n.id for n in taken) == ids[2:]

    spy = Spy(app, stall)
    assert app.notifier.run_once() == 6
    # Renewed before the second wave and before the third, which lost its rows: not sent by this notifier
    # (the second wave's two were in flight: the at most one wave sent twice; their outcome is not recorded).
    assert spy.renewals == 2 and spy.sent == ids[:4]
    rows = {r["id"]: r for r in app.alert_store.outbox()}
    assert [rows[i]["state"] for i in ids] == ["accepted"] * 2 + ["sending"] * 4
    assert {rows[i]["lease_owner"] for i in ids[2:]} == {"other"}
