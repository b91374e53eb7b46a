"""crawlers.health: runs recorded, blind sources raised as ops alerts with
derived ids, repeats spaced, recoveries resolved. Time is a parameter."""
from __future__ import annotations

import pytest

from contracts.messages import Level, OpsAlert, stable_id
from contracts.topics import OPS_ALERTS
from crawlers.health import FAILING, SILENT, HealthMonitor, HealthStore, RunOutcome, outcome_of, source_health
from pipeline.bus import BusError, open_bus
from pipeline.config import SourceConfig
from tests.kit import copy_config

T0 = 1_800_000_000.0
HOUR = 3600.0


def source(**health) -> SourceConfig:
    return SourceConfig(id="jl-news", name="吉林新闻网", channel="news", spider="rss", interval="5m",
                        start_urls=["http://news.example.cn/rss"], health=health)


class Env:
    def __init__(self, tmp_path, src: SourceConfig) -> None:
        from pipeline.config import load_config
        cfg = load_config(copy_config(tmp_path / "config"), data_dir=tmp_path / "data")
        self.cfg = cfg.model_copy(update={"sources": [src]})
        self.src = src
        self.store = HealthStore.in_data_dir(self.cfg.data_dir)
        self.bus = open_bus("memory://", tmp_path)
        self.consumer = self.bus.consumer([OPS_ALERTS], "test")
        self.monitor = HealthMonitor(self.cfg, self.store, self.bus.producer(), repeat=HOUR)

    def run(self, status: str, at: float, items: int = 0, error: str | None = None) -> None:
        self.store.record_run(RunOutcome(self.src.id, status, items=items, pages=1, error=error), now=at)

    def alerts(self) -> list[OpsAlert]:
        return [OpsAlert.from_bytes(r.value) for r in self.consumer.poll(100, 0.1)]


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path, source())
    yield e
    e.store.close()
    e.bus.close()


def test_failing_beyond_the_policy_raises_once_repeats_hourly_and_resolves(env):
    env.run("ok", T0, items=3)
    env.run("failed", T0 + 300, error="http://news.example.cn/rss: 503 Service Unavailable")
    # fail_after 3 × 5 min = 15 min, but never sooner than min_alert_after (10 min): 15 min.
    assert env.monitor.check(T0 + 14 * 60) == [] and env.alerts() == []
    env.run("failed", T0 + 15 * 60, error="http://news.example.cn/rss: 503 Service Unavailable")
    (sent,) = env.monitor.check(T0 + 15 * 60)
    (got,) = env.alerts()
    assert got == sent and got.problem == FAILING and got.subject == "jl-news" and not got.resolved
    assert got.id == stable_id("ops", FAILING, "jl-news") and got.severity == Level.orange
    assert "吉林新闻网" in got.summary and "503" in got.summary and "15分钟" in got.summary
    assert got.first_seen.timestamp() == T0 and got.last_seen.timestamp() == T0 + 15 * 60
    assert env.monitor.check(T0 + 30 * 60) == []  # open: not again before `repeat`
    (again,) = env.monitor.check(T0 + 15 * 60 + HOUR)
    assert again.id == got.id and again.last_seen > got.last_seen  # same id: deduped downstream
    env.run("ok", T0 + 2 * HOUR, items=1)
    (resolved,) = env.monitor.check(T0 + 2 * HOUR)
    assert resolved.id == got.id and resolved.resolved and "恢复" in resolved.summary
    assert env.monitor.check(T0 + 3 * HOUR) == []
    assert env.store.get("jl-news")["problem"] is None


def test_a_blind_run_counts_as_failing(env):
    env.run("blind", T0, error="API refused: 请先登录")
    (alert,) = env.monitor.check(T0 + HOUR)
    assert alert.problem == FAILING and "请先登录" in alert.summary
    (h,) = source_health(env.cfg, now=T0 + HOUR)
    assert h.state == "blind" and h.problem == FAILING and h.last_error == "API refused: 请先登录"


def test_silent_source(tmp_path):
    env = Env(tmp_path, source(expect_new_every="1h", silent_after=3))
    env.run("ok", T0, items=2)
    for n in range(1, 12):  # runs keep succeeding, with nothing new
        env.run("ok", T0 + n * 900)
    assert env.monitor.check(T0 + 3 * HOUR - 1) == []
    (alert,) = env.monitor.check(T0 + 3 * HOUR)
    assert alert.problem == SILENT and alert.severity == Level.yellow and "没有新内容" in alert.summary
    (h,) = source_health(env.cfg, now=T0 + 3 * HOUR)
    assert h.state == "silent" and h.staleness_s == 3 * HOUR and h.items_last_run == 0 and h.items_24h == 2
    # A new item ends the silence.
    env.run("ok", T0 + 4 * HOUR, items=1)
    (resolved,) = env.monitor.check(T0 + 4 * HOUR)
    assert (resolved.problem, resolved.resolved) == (SILENT, True)
    env.store.close()
    env.bus.close()


def test_problem_changes_resolve_the_old_one(tmp_path):
    env = Env(tmp_path, source(expect_new_every="1h", silent_after=1, min_alert_after="1m"))
    env.run("ok", T0, items=1)
    (silent,) = env.monitor.check(T0 + HOUR)
    assert silent.problem == SILENT
    env.run("failed", T0 + HOUR, error="connection refused")
    resolved, failing = env.monitor.check(T0 + 2 * HOUR)
    assert (resolved.problem, resolved.resolved) == (SILENT, True)
    assert (failing.problem, failing.resolved) == (FAILING, False)
    env.store.close()
    env.bus.close()


def test_silence_can_be_allowed_and_nothing_before_the_first_run(tmp_path):
    env = Env(tmp_path, source(silent_after=0))
    assert env.monitor.check(T0) == []  # never ran: nothing to judge
    env.run("ok", T0, items=1)
    assert env.monitor.check(T0 + 30 * 86400) == []
    env.store.close()
    env.bus.close()


def test_a_failed_flush_leaves_the_problem_unrecorded(env):
    class Broken:
        def send(self, *a, **k):
            pass

        def flush(self, timeout=None):
            from pipeline.bus import BusError
            raise BusError("disk full")

    env.run("failed", T0, error="boom")
    env.monitor.producer = Broken()
    with pytest.raises(BusError, match="disk full"):
        env.monitor.check(T0 + HOUR)
    assert env.store.get("jl-news")["problem"] is None  # so the next check sends it again


def test_outcome_of_stats_lines():
    ok = outcome_of({"source": "s", "ok": True, "items_published": 2, "pages_fetched": 3, "elapsed_s": 1.5})
    assert (ok.status, ok.items, ok.pages, ok.error) == ("ok", 2, 3, None)
    blind = outcome_of({"source": "s", "ok": False, "pages_fetched": 1, "blind": 1, "blind_reason": "captcha"})
    assert (blind.status, blind.error) == ("blind", "captcha")
    dead = outcome_of({"source": "s", "ok": False, "pages_fetched": 0, "errors": 1, "last_error": "refused"})
    assert (dead.status, dead.error) == ("failed", "refused")
    usage = outcome_of({"source": "s", "ok": False, "error": "no source 's'"})
    assert (usage.status, usage.error) == ("failed", "no source 's'")


def test_runs_are_kept_and_pruned(tmp_path, monkeypatch):
    import crawlers.health_store as hs
    monkeypatch.setattr(hs, "KEEP_RUNS", 5)
    with HealthStore(tmp_path / "h.db") as store:
        for n in range(8):
            store.record_run(RunOutcome("a", "ok" if n % 2 else "failed", items=n), now=T0 + n)
        runs = store.runs("a", 100)
        assert [r["items"] for r in runs] == [7, 6, 5, 4, 3]
        row = store.get("a")
        assert row is not None and row["consecutive_failures"] == 0 and row["last_item_at"] == T0 + 7 and row["first_run_at"] == T0
