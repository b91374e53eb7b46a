"""Index retention (issue 12, item 7): settings.yaml index.retention_days per channel,
applied daily by the index role and on demand by ``yuqing prune [--dry-run]``."""
from datetime import datetime, timedelta, timezone

import pytest

from contracts.clock import FakeClock
from pipeline.config import ConfigError, load_config
from pipeline.index import SearchQuery
from tests.kit import build_test_app, copy_config, make_scored
from yuqing.cli import main
from yuqing.roles import Pruner

RETENTION = {"index": {"retention_days": {"default": 365, "weibo": 90}}}


def docs(now: datetime) -> dict:
    """Documents of several ages and channels, keyed by a name saying what retention keeps."""
    def doc(name: str, days: int, channel: str):
        return make_scored({"chinalife-jl": "yellow"}, story=name, url=f"http://example.cn/{name}.html",
                           channel=channel, at=now - timedelta(days=days))
    return {"weibo_100d": doc("weibo_100d", 100, "weibo"), "weibo_10d": doc("weibo_10d", 10, "weibo"),
            "news_100d": doc("news_100d", 100, "news"), "news_400d": doc("news_400d", 400, "news"),
            "forum_366d": doc("forum_366d", 366, "forum")}


def kept(app) -> set[str]:
    return {h.doc.story_id for h in app.index.search(SearchQuery(limit=100)).hits}


def test_the_index_role_prunes_per_channel_at_start_and_then_daily(tmp_path):
    clock = FakeClock(datetime(2026, 6, 1, 3, 0, tzinfo=timezone.utc))
    app = build_test_app(tmp_path, clock=clock, settings=RETENTION)
    try:
        app.index.upsert(list(docs(clock.now()).values()))
        pruner = Pruner(app)
        pruner.maybe_prune()
        assert kept(app) == {"weibo_10d", "news_100d"}
        late = make_scored({"chinalife-jl": "yellow"}, story="late", url="http://example.cn/late.html",
                           channel="weibo", at=clock.now() - timedelta(days=95))  # a late crawl of an old post
        app.index.upsert([late])
        clock.advance(hours=23)
        pruner.maybe_prune()  # once a day, not on every batch
        assert kept(app) == {"weibo_10d", "news_100d", "late"}
        clock.advance(hours=1)
        pruner.maybe_prune()
        assert kept(app) == {"weibo_10d", "news_100d"}
        clock.advance(days=81)  # weibo_10d is 91 days old now
        pruner.maybe_prune()
        assert kept(app) == {"news_100d"}
    finally:
        app.close()


def test_no_retention_keeps_everything(tmp_path):
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=timezone.utc))
    app = build_test_app(tmp_path, clock=clock, settings={"index": {"retention_days": None}})
    try:
        app.index.upsert(list(docs(clock.now()).values()))
        Pruner(app).maybe_prune()
        assert len(kept(app)) == 5
    finally:
        app.close()


def test_yuqing_prune_dry_run_counts_and_prune_deletes(tmp_path, capsys):
    app = build_test_app(tmp_path, settings=RETENTION)  # the CLI uses the wall clock: ages are far from cutoffs
    root = str(app.config.root)
    app.index.upsert(list(docs(app.clock.now()).values()))
    app.close()
    assert main(["prune", "--dry-run", "--config", root]) == 0
    out = capsys.readouterr().out
    assert "weibo,douyin: 保留 90 天" in out and "将删除 1 条" in out and "合计将删除 3 条" in out, out
    app = build_test_app(tmp_path, settings=RETENTION)
    try:
        assert len(kept(app)) == 5  # a dry run deletes nothing
    finally:
        app.close()
    assert main(["prune", "--config", root]) == 0
    assert "合计已删除 3 条" in capsys.readouterr().out
    app = build_test_app(tmp_path, settings=RETENTION)
    try:
        assert kept(app) == {"weibo_10d", "news_100d"}
    finally:
        app.close()


@pytest.mark.parametrize("retention, problem", [
    ({"weibo": 0}, "index.retention_days: weibo: must be a whole number of days ≥ 1, got 0"),
    ({"default": -30}, "retention_days: default: must be a whole number of days ≥ 1, got -30"),
    ({"twitter": 30}, "retention_days: twitter: not a channel"),
    ({"news": "ninety"}, "retention_days.news"),
])
def test_bad_retention_is_rejected_with_file_and_field(tmp_path, retention, problem):
    root = copy_config(tmp_path / "config", settings={"index": {"retention_days": retention}})
    with pytest.raises(ConfigError) as err:
        load_config(root)
    assert "settings.yaml" in str(err.value) and problem in str(err.value), str(err.value)
