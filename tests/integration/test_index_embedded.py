"""What the embedded tantivy index adds to the contract suite: days in another
time zone than the index's, one writer at a time, and copying an index
written before tantivy became the default (``yuqing reindex``)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.index import IndexError_, SearchQuery, open_index
from pipeline.index.migrate import legacy_index, marker
from tests.contract.test_index_contract import (
    COMMUNITY,
    CORPUS,
    DELAY,
    DISPUTE,
    make_doc,
)
from yuqing.cli import main

SH = ZoneInfo("Asia/Shanghai")


def test_counts_by_day_in_a_time_zone_other_than_the_index_was_created_with(tmp_path):
    url = f"tantivy:///{tmp_path / 'index'}"
    shanghai = open_index(url)  # creates the index: its days are Shanghai days
    utc = open_index(url, tz="UTC")
    try:
        shanghai.upsert([DISPUTE, COMMUNITY])  # 23:30 and 00:30 Shanghai, one UTC day
        assert shanghai.counts(SearchQuery(), "day") == {"2024-05-11": 1, "2024-05-12": 1}
        assert utc.counts(SearchQuery(), "day") == {"2024-05-11": 2}
        assert utc.counts(SearchQuery(text="理赔"), "day") == {"2024-05-11": 2}
    finally:
        utc.close()
        shanghai.close()


def test_days_more_than_one_aggregation_apart_are_all_counted(tmp_path):
    url = f"tantivy:///{tmp_path / 'index'}"
    writer, reader = open_index(url), open_index(url, tz="UTC")
    try:
        # 15-minute buckets: more than 60,000 of them between these two documents.
        docs = [make_doc("old", "理赔旧闻", published=datetime(2020, 1, 1, 12, tzinfo=SH)),
                make_doc("new", "理赔新闻", published=datetime(2024, 1, 1, 12, tzinfo=SH))]
        writer.upsert(docs)
        assert reader.counts(SearchQuery(), "day") == {"2020-01-01": 1, "2024-01-01": 1}
    finally:
        reader.close()
        writer.close()


def test_a_second_writer_waits_for_the_first_then_fails(tmp_path):
    url = f"tantivy:///{tmp_path / 'index'}"
    first, second = open_index(url), open_index(url, busy_timeout=0.2)
    try:
        first.upsert([DELAY])
        with pytest.raises(IndexError_, match="writer"):
            second.upsert([DISPUTE])
        first.close()  # releases the writer
        second.upsert([DISPUTE])
        assert second.get(DISPUTE.id) == DISPUTE and second.get(DELAY.id) == DELAY
    finally:
        second.close()


def test_reindex_copies_the_old_sqlite_index_and_marks_it(tmp_path, capsys):
    data = tmp_path / "data"
    old = open_index("sqlite:///index.db", data)
    old.upsert(CORPUS)
    old.close()
    url = "tantivy:///index"
    assert legacy_index(data, url) == data / "index.db"

    assert main(["reindex", "--config", "config/demo", "--data-dir", str(data), "--batch", "2"]) == 0
    assert "完成：5 条" in capsys.readouterr().out
    new = open_index(url, data)
    try:
        assert new.search(SearchQuery(limit=100)).total == len(CORPUS)
        assert new.get(DELAY.id) == DELAY
    finally:
        new.close()
    assert marker(data / "index.db").exists() and legacy_index(data, url) is None
    # Run again (an interrupted copy is simply repeated): still one copy of each.
    assert main(["reindex", "--config", "config/demo", "--data-dir", str(data)]) == 0
    new = open_index(url, data)
    try:
        assert new.search(SearchQuery(limit=100)).total == len(CORPUS)
    finally:
        new.close()


def test_reindex_refuses_a_source_it_cannot_read_in_full(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["reindex", "--config", "config/demo", "--data-dir", str(data), "--from", "tantivy:///old"]) == 2
    assert "仅支持 sqlite:// 索引" in capsys.readouterr().err
