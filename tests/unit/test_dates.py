"""crawlers.dates: the publish-time forms Chinese sites use, at a fixed now."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawlers.dates import FUTURE_SKEW, SHANGHAI, clamp_future, get_tz, parse_date

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=SHANGHAI)
UTC = timezone.utc


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text, expected", [
    # absolute, naive -> Asia/Shanghai
    ("2022年03月11日 09:30", sh(2022, 3, 11, 9, 30)),
    ("2022年3月11日", sh(2022, 3, 11)),
    ("2022年3月11日 下午2:30", sh(2022, 3, 11, 14, 30)),
    ("2022年3月11日 上午9:05", sh(2022, 3, 11, 9, 5)),
    ("2022年3月11日09时30分", sh(2022, 3, 11, 9, 30)),
    ("2022-03-11 09:30:15", sh(2022, 3, 11, 9, 30, 15)),
    ("2022-03-11 09:30", sh(2022, 3, 11, 9, 30)),
    ("2022/3/11", sh(2022, 3, 11)),
    ("2022/03/11 21:05", sh(2022, 3, 11, 21, 5)),
    ("2022.03.11", sh(2022, 3, 11)),
    # embedded in bylines
    ("发表于 2026-11-25 08:12", sh(2026, 11, 25, 8, 12)),
    ("来源：吉林日报 2026年11月25日 09:30 作者：张三", sh(2026, 11, 25, 9, 30)),
    ("发布时间：\u30002026-11-24\xa010:00", sh(2026, 11, 24, 10, 0)),
    # relative to NOW
    ("刚刚", NOW),
    ("5分钟前", NOW - timedelta(minutes=5)),
    ("30秒前", NOW - timedelta(seconds=30)),
    ("3小时前", NOW - timedelta(hours=3)),
    ("3 小时前", NOW - timedelta(hours=3)),
    ("半小时前", NOW - timedelta(minutes=30)),
    ("2天前", NOW - timedelta(days=2)),
    ("两天前", NOW - timedelta(days=2)),
    ("1周前", NOW - timedelta(days=7)),
    ("今天 08:00", sh(2026, 11, 25, 8, 0)),
    ("昨天 14:20", sh(2026, 11, 24, 14, 20)),
    ("昨天14:20", sh(2026, 11, 24, 14, 20)),
    ("前天", sh(2026, 11, 23)),
    ("前天 23:59", sh(2026, 11, 23, 23, 59)),
    # no year: this year, unless that would be in the future
    ("11-25 09:30", sh(2026, 11, 25, 9, 30)),
    ("11月20日", sh(2026, 11, 20)),
    ("12月31日 22:00", sh(2025, 12, 31, 22, 0)),
    # machine formats keep their own offset
    ("Wed, 25 Nov 2026 09:30:00 +0800", sh(2026, 11, 25, 9, 30)),
    ("Wed, 25 Nov 2026 01:30:00 GMT", datetime(2026, 11, 25, 1, 30, tzinfo=UTC)),
    ("Wed, 25 Nov 2026 09:30:00 -0000", sh(2026, 11, 25, 9, 30)),  # -0000: zone unknown
    ("2026-11-25T09:30:00+08:00", sh(2026, 11, 25, 9, 30)),
    ("2026-11-25T01:30:00Z", datetime(2026, 11, 25, 1, 30, tzinfo=UTC)),
    ("2026-11-25T09:30:00.123456", sh(2026, 11, 25, 9, 30, 0, 123456)),
    ("2026-11-25 09:30:00+0800", sh(2026, 11, 25, 9, 30)),
    # Weibo's API
    ("Wed Nov 25 09:30:00 +0800 2026", sh(2026, 11, 25, 9, 30)),
    # English, as overseas media print it (naive: in tz)
    ("November 25, 2026 9:30 PM", sh(2026, 11, 25, 21, 30)),
    ("Nov. 25, 2026", sh(2026, 11, 25)),
    ("Updated: Sept 3, 2025 at 10:05 a.m.", sh(2025, 9, 3, 10, 5)),
    ("25 November 2026 09:30", sh(2026, 11, 25, 9, 30)),
    ("Dec 1, 2025, 12:15 am", sh(2025, 12, 1, 0, 15)),
    ("1764034200", datetime.fromtimestamp(1764034200, SHANGHAI)),
    ("1764034200000", datetime.fromtimestamp(1764034200, SHANGHAI)),
])
def test_forms(text, expected):
    got = parse_date(text, now=NOW)
    assert got is not None and got.tzinfo is not None
    assert got == expected  # aware comparison: same instant
    assert got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("junk", [
    None, "", "   ", "abc", "未知", "2022-13-45", "2022-02-30", "2022年2月30日", "25:61",
    "Wed, 99 Foo 2026", "mayday 5, 2026", "3-5", "第3-5条", "99999999999999999999", "0000-00-00 00:00:00", 12345,
])
def test_unparseable_is_none_never_an_exception(junk):
    assert parse_date(junk, now=NOW) is None


def test_a_bad_first_date_does_not_hide_a_good_one():
    assert parse_date("2022-13-45 或 2022-03-11", now=NOW) == sh(2022, 3, 11)


def test_naive_now_is_taken_in_the_timezone():
    naive = datetime(2026, 11, 25, 12, 0)
    assert parse_date("1小时前", now=naive) == sh(2026, 11, 25, 11, 0)


def test_relative_dates_use_the_local_calendar_day():
    # 00:30 in Shanghai is still the previous day in UTC; 昨天 is Shanghai's.
    now_utc = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)  # = 2026-11-25 00:30 +08:00
    assert parse_date("昨天 14:20", now=now_utc) == sh(2026, 11, 24, 14, 20)


def test_other_timezone():
    tokyo = get_tz("Asia/Tokyo")
    got = parse_date("2026-11-25 09:30", now=NOW, tz=tokyo)
    assert got is not None and got.utcoffset() == timedelta(hours=9)
    assert get_tz("No/Such_Zone") is SHANGHAI and get_tz(None) is SHANGHAI


def test_default_now_is_the_current_time():
    got = parse_date("刚刚")
    assert got is not None and abs(got - datetime.now(SHANGHAI)) < timedelta(seconds=5)


def test_a_publish_time_is_never_after_the_crawl():
    crawled = sh(2026, 11, 25, 1, 0)
    past = sh(2026, 11, 24, 23, 0)
    assert clamp_future(past, crawled) == (past, None)
    assert clamp_future(None, crawled) == (None, None)
    # A site clock a few minutes fast: the crawl time, not flagged.
    assert clamp_future(crawled + FUTURE_SKEW / 2, crawled) == (crawled, None)
    # "今天 08:10" read at 01:00: the crawl time, and what the page claimed.
    future = parse_date("今天 08:10", crawled)
    assert future == sh(2026, 11, 25, 8, 10)
    assert clamp_future(future, crawled) == (crawled, future)
