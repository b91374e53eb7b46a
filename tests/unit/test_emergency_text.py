"""The pure parts of 应急响应 (sentiment/emergency.py): the checklist from a playbook, the 续报 text,
and audit events as timeline lines."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sentiment.emergency import Since, Spread, bulletin, checklist, person_name, progress, timeline_line

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def test_checklist_keeps_playbook_steps_first_then_closing_steps_without_repeats():
    items = checklist(["核实情况", "联系当事人", "准备回应口径"], ["准备回应口径", "形成复盘报告"])
    assert [(i["id"], i["text"], i["source"]) for i in items] == [
        ("c1", "核实情况", "playbook"), ("c2", "联系当事人", "playbook"), ("c3", "准备回应口径", "playbook"),
        ("c4", "形成复盘报告", "closing")]
    assert progress(items) == (0, 4)
    items[1].update(done=True)
    assert progress(items) == (1, 4)


def test_a_bulletin_tells_spread_news_and_progress_in_chinese():
    items = checklist(["核实情况", "联系当事人"], ["形成复盘报告"])
    items[0].update(done=True, by="王宁")
    text = bulletin(number=2, unit="中国人寿吉林省分公司", unit_short="国寿吉林", title="市民投诉理赔拖延",
                    opened_at=T0, now=T0 + timedelta(hours=8),
                    spread=Spread("红色", 5, ["新闻网站", "微博"], ["a.cn", "b.cn", "c.cn"], 1200, "mainstream"),
                    since=Since(3, ["c.cn"], ["微博"], ["孙伟确认收到"]), items=items, people=["孙伟（单位联系人）"],
                    link="http://console/emergencies/E1", tz=ZoneInfo("Asia/Shanghai"), greeting="孙伟")
    assert text.subject == "【续报2】国寿吉林：市民投诉理赔拖延（红色，清单1/3）"
    body = text.body
    assert body.startswith("孙伟：\n【舆情事件续报 第2期】中国人寿吉林省分公司")
    assert "启动时间：03-02 09:00　本期时间：03-02 17:00" in body  # local time
    assert "报道5篇（较上期新增3篇）" in body and "站点3个" in body and "互动量1200" in body
    assert "最高传播主体：主流媒体；主流媒体已转载" in body
    assert "1. 新增站点：c.cn" in body and "2. 扩散至新渠道：微博" in body and "3. 孙伟确认收到" in body
    assert "处置清单已完成1/3项" in body and "☑ 核实情况" in body and "☐ 联系当事人" in body
    assert text.facts == {"documents": 5, "new_documents": 3, "news": 3, "done": 1, "total": 3}
    quiet = bulletin(number=3, unit="u", unit_short="u", title="t", opened_at=T0, now=T0,
                     spread=Spread("橙色", 1, [], []), since=Since(), items=items, people=[], link="l")
    assert "本期无新增报道和处置动态" in quiet.body and "主流媒体未转载" in quiet.body


def test_timeline_lines_name_people_not_their_accounts_and_skip_unknown_events():
    assert person_name("值班员王宁 <console:duty>") == "值班员王宁"
    assert timeline_line("emergency.checklist", {"actor": "孙伟 <13900000021>", "item": "核实情况", "done": True}) \
        == "孙伟完成：核实情况"
    assert timeline_line("emergency.checklist", {"actor": "孙伟", "item": "核实情况", "done": False}) == "孙伟取消完成：核实情况"
    assert timeline_line("emergency.opened", {"actor": "system", "trigger": "红色预警且中央媒体发布"}) == \
        "启动应急响应（红色预警且中央媒体发布）"
    assert timeline_line("emergency.bulletin", {"number": 2, "recipients": ["a", "b"]}) == "发送续报第2期（2人）"
    assert timeline_line("routed", {"decision": "MAINSTREAM_PICKUP"}) == "主流媒体转载，再次通知"
    assert timeline_line("routed", {"decision": "ALREADY_RECORDED"}) is None
    assert timeline_line("notification.retaken", {}) is None
