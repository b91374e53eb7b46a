"""Audit entries as the console shows them: Chinese labels, times local to the minute."""
from zoneinfo import ZoneInfo

from console import labels


def test_a_time_in_an_audit_entry_is_local_to_the_minute_not_iso_utc():
    entry = {"event": "review.held", "at": "2026-12-01T04:55:26+00:00", "due": "2026-12-01T04:57:26.236175+00:00",
             "released": 0, "held": 2}
    text = labels.trail_event(entry, ZoneInfo("Asia/Shanghai"))["text"]
    assert text == "自动转发时间：2026-12-01 12:57，暂存消息：2"
    # Another time zone, another wall clock; free text that merely starts with digits is left alone.
    assert "自动转发时间：2026-11-30 23:57" in labels.trail_event(entry, ZoneInfo("America/New_York"))["text"]
    assert labels.trail_event({"event": "note", "note": "2026年报告已提交"})["text"] == "说明：2026年报告已提交"
