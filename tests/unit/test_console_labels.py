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


def test_a_delivery_entry_names_the_message_kind_in_chinese_and_hides_ids_readers_cannot_use():
    entry = {"event": "notification.delivered", "channel": "dingtalk", "recipient": "duty-group", "kind": "review",
             "attempt": 1, "bundle": "bundle-e45286f7c4d64e59db38", "bundled": 2}
    text = labels.trail_event(entry)["text"]
    assert "类型：待复核提醒" in text and "同批合并条数：2" in text
    assert "bundle-" not in text and "review" not in text
    joined = {"event": "joined_event", "doc_id": "d1", "story_id": "73c1cb3b3447883948d0", "reason": "同一事件"}
    assert labels.trail_event(joined)["text"] == "原因：同一事件"


def test_a_console_users_name_is_shown_without_the_account():
    assert labels.person("王磊（演示） <console:duty>") == "王磊（演示）"
    assert labels.person("孙伟 <13900000021>") == "孙伟 <13900000021>"
    assert labels.person(None) == ""


def test_a_deferred_update_says_why_and_when_in_chinese_not_the_routers_code_and_iso_time():
    entry = {"event": "suppressed", "decision": "NEW_CHANNEL",
             "reason": "MIN_GAP (update due 2026-12-02T12:00:20.306945+00:00)"}
    text = labels.trail_event(entry, ZoneInfo("Asia/Shanghai"))["text"]
    assert text == "决策：扩散到新渠道，原因：距上次通知过近，稍后汇总（20:00汇总续报）"


def test_an_automatic_forward_says_how_in_chinese_not_timer_and_true():
    entry = {"event": "review.forwarded", "actor": "系统", "via": "timer", "auto": True}
    assert labels.trail_event(entry)["text"] == "操作人：系统，途径：超时自动，自动转发：是"
