"""研判 card logic (sentiment/assess.py): stage and trend on a fake timeline,
playbook fallback (risk × level → risk default → 默认), statement filling."""
from datetime import datetime, timedelta, timezone

from sentiment.assess import Playbook, build_card, fill, playbook_for, stage_of

T0 = datetime(2026, 11, 30, 8, tzinfo=timezone.utc)


def at(*minutes):
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_stages():
    assert stage_of(at(0), T0 + timedelta(minutes=5))[0] == "萌芽"
    assert stage_of(at(0, 10, 20, 30, 40, 50, 55), T0 + timedelta(minutes=58))[:2] == ("高峰", "上升")
    rising = stage_of(at(*range(0, 300, 20)), T0 + timedelta(minutes=300))
    assert rising[0] == "发酵" and "近6小时15篇" in rising[2]
    falling = stage_of(at(0, 5, 10, 15, 400), T0 + timedelta(minutes=700))
    assert falling[:2] == ("回落", "下降")
    quiet = stage_of(at(0, 60), T0 + timedelta(hours=30))
    assert quiet[0] == "回落" and "已29小时无新报道" in quiet[2]


def test_playbook_fallback_and_statement():
    red = Playbook(4, ("主要负责人牵头",), "{unit}：{title}")
    books = {"理赔纠纷": {"red": red, "default": Playbook(24, ("核实",))}, "默认": {"default": Playbook(48, ("跟踪",))}}
    assert playbook_for(books, "理赔纠纷", "red") is red
    blue, other = playbook_for(books, "理赔纠纷", "blue"), playbook_for(books, "监管处罚", "red")
    assert blue is not None and blue.deadline_hours == 24
    assert other is not None and other.steps == ("跟踪",)
    assert playbook_for({}, "监管处罚", "red") is None
    assert fill("{unit}于{date}{missing}", {"unit": "某公司", "date": "11月30日"}) == "某公司于11月30日〔missing〕"
    card = build_card(risks=["投诉维权", "理赔纠纷", "理赔纠纷"], level="red", times=at(0), channels=["微博", "微博"],
                      carriers=["主流媒体·城市晚报"], raised_at=T0, now=T0, facts={"unit": "某公司", "title": "标题"},
                      playbooks=books)
    assert card.risk_type == "理赔纠纷" and card.deadline == T0 + timedelta(hours=4) and card.channels == ["微博"]
    assert card.statement == "某公司：标题"
    assert card.short() == "理赔纠纷·萌芽（上升）；建议：主要负责人牵头等1项，4小时内回应"
