"""应急响应 on a fake clock, through the composition root, on SQLite and PostgreSQL: an alert raised
to an 事件 gets a checklist from its playbook, 续报 by real e-mail on schedule (once per due time) to
the unit's contact and the association's leader while it is open and none after it closes; a red
alert picked up by a mainstream outlet is raised by the rules.yaml emergency.auto rule."""
from datetime import timedelta

import pytest

from alerting.emergency import EmergencyError
from contracts.messages import AlertStatus
from pipeline.config.emergency import EmergencyTrigger
from tests.kit import make_scored

PRIMARY = "sunwei@chinalife-jl.example.cn"
LEADER = "leader@jiaxh.example.cn"
EVERY = timedelta(hours=4)  # config/demo/rules.yaml emergency.bulletin_every


def route(app, level="red", story="s1", site="news.example.cn", n=1):
    [routed] = app.router.handle(make_scored({"chinalife-jl": level}, story=story, site=site,
                                             url=f"http://{site}/{story}/{n}", at=app.clock.now()))
    app.notifier.run_once()
    return routed.alert


def bulletins(smtp, address):
    return [m for m in smtp.to(address) if "续报" in m.subject]


def test_an_emergency_sends_bulletins_on_schedule_until_it_closes(app, smtp):
    alert = route(app)
    desk = app.emergency
    em = desk.open(alert.id, actor="值班员王宁", via="console")
    assert desk.open(alert.id, actor="值班员刘洋", via="console")["id"] == em["id"]  # one 事件 per alert
    # red 理赔纠纷: the playbook's red steps, then the closing steps
    texts = [i["text"] for i in em["checklist"]]
    assert texts[0] == "主要负责人牵头处置，4小时内向省协会报告" and texts[-1] == "事件关闭并形成复盘报告"
    assert em["risk_type"] == "理赔纠纷" and {p["name"] for p in em["people"]} >= {"孙伟", "值班员王宁"}

    desk.tick(em["id"], "c1", True, actor="值班员王宁", via="console")
    app.alert_store.change_status(alert.id, AlertStatus.acknowledged, app.clock.now(), actor="孙伟", via="ack-link")
    app.clock.advance((EVERY - timedelta(minutes=1)).total_seconds())
    app.notifier.run_once()
    assert bulletins(smtp, PRIMARY) == []
    route(app, story="s1", site="bbs.example.cn", n=2)  # a repost joins the alert
    app.clock.advance(60)
    app.notifier.run_once()
    app.notifier.run_once()  # the timer fired once: a second pass sends nothing more
    [first] = bulletins(smtp, PRIMARY)
    [to_leader] = bulletins(smtp, LEADER)
    assert first.subject.startswith("【续报1】") and "清单1/" in first.subject
    assert "较上期新增1篇" in first.body and "新增站点：bbs.example.cn" in first.body
    assert "孙伟确认收到" in first.body and "值班员王宁完成：主要负责人牵头处置" in first.body and "☑ 主要负责人牵头处置" in first.body
    assert to_leader.body.startswith("秘书长李明：")

    app.clock.advance(EVERY.total_seconds())
    app.notifier.run_once()
    assert len(bulletins(smtp, PRIMARY)) == 2 and "本期无新增报道和处置动态" in bulletins(smtp, PRIMARY)[1].body

    desk.close(em["id"], actor="值班员王宁", via="console", summary="已妥善处置", lessons="提前准备口径")
    app.clock.advance(3 * EVERY.total_seconds())
    app.notifier.run_once()
    assert len(bulletins(smtp, PRIMARY)) == 2  # none after closing
    with pytest.raises(EmergencyError):
        desk.tick(em["id"], "c2", True, actor="值班员王宁", via="console")
    events = [t["event"] for t in desk.timeline(desk.get(em["id"]))]
    assert events.count("emergency.bulletin") == 2 and events[-1] == "emergency.closed"
    assert "emergency.checklist" in events and "notification.accepted" in events
    shown = desk.bulletins(desk.get(em["id"]))
    assert [b["number"] for b in shown] == [1, 2] and all(m["state"] == "accepted" for m in shown[0]["messages"])


def test_a_red_alert_carried_by_central_media_becomes_an_emergency_by_the_demo_rule(app):
    alert = route(app, level="red")
    assert app.emergency.of_alert(alert.id) is None  # red, but carried by an ordinary site
    doc = make_scored({"chinalife-jl": "red"}, story="s1", site="www.people.com.cn", url="http://www.people.com.cn/1",
                      at=app.clock.now()).model_copy(update={"authority": "central_media"})
    app.router.handle(doc)
    em = app.emergency.of_alert(alert.id)
    assert em is not None and em["trigger"] == "红色预警且中央媒体或监管部门发布" and em["opened_by"] == "system"
    assert [t["text"] for t in app.emergency.timeline(em) if t["event"] == "emergency.opened"] == [
        "启动应急响应（红色预警且中央媒体或监管部门发布）"]


def test_a_red_alert_carried_by_a_mainstream_outlet_becomes_an_emergency_by_rule(app, smtp):
    app.emergency.conf = app.config.rules.emergency.model_copy(update={"auto": [
        EmergencyTrigger(name="红色预警且主流媒体转载", min_level="red", mainstream=True, min_documents=2)]})
    alert = route(app, level="orange")
    assert app.emergency.of_alert(alert.id) is None
    route(app, level="red", site="www.people.com.cn", n=2)  # mainstream pickup, two documents, red
    em = app.emergency.of_alert(alert.id)
    assert em is not None and em["trigger"] == "红色预警且主流媒体转载" and em["opened_by"] == "system"
    route(app, level="red", site="bbs.example.cn", n=3)
    assert len(app.emergency.find(status="open")) == 1


def test_an_orange_alert_is_not_raised_by_rule_and_ticks_are_kept_per_item(app):
    alert = route(app, level="orange", site="www.people.com.cn")
    route(app, level="orange", site="news.example.cn", n=2)
    assert app.emergency.of_alert(alert.id) is None
    em = app.emergency.open(alert.id, actor="值班员王宁", via="api")
    app.emergency.tick(em["id"], "c2", True, actor="孙伟", via="console")
    app.emergency.tick(em["id"], "c2", True, actor="孙伟", via="console")  # a double tick changes nothing
    app.emergency.tick(em["id"], "c1", True, actor="值班员王宁", via="console")
    app.emergency.tick(em["id"], "c1", False, actor="值班员王宁", via="console")
    em = app.emergency.get(em["id"])
    assert [(i["id"], i["done"], i["by"]) for i in em["checklist"][:2]] == [("c1", False, None), ("c2", True, "孙伟")]
    app.emergency.person(em["id"], name="张三", role="单位分管领导", email="zhangsan@chinalife-jl.example.cn",
                         actor="值班员王宁", via="console")
    with pytest.raises(EmergencyError):
        app.emergency.person(em["id"], name="李四", remove=True, actor="值班员王宁", via="console")
    ticks = [t for t in app.emergency.timeline(app.emergency.get(em["id"])) if t["event"] == "emergency.checklist"]
    assert len(ticks) == 3


def test_a_bulletin_asked_for_now_goes_at_once_and_the_schedule_runs_from_it(app, smtp):
    alert = route(app, level="orange")
    em = app.emergency.open(alert.id, actor="值班员王宁", via="console")
    app.clock.advance(600)
    app.emergency.bulletin_now(em["id"], actor="值班员王宁 <console:duty>", via="console")
    app.notifier.run_once()
    assert [m.subject[:5] for m in bulletins(smtp, LEADER)] == ["【续报1】"]
    app.clock.advance((EVERY - timedelta(minutes=1)).total_seconds())
    app.notifier.run_once()
    assert len(bulletins(smtp, LEADER)) == 1  # the next one is EVERY after the one sent now
    app.clock.advance(60)
    app.notifier.run_once()
    assert len(bulletins(smtp, LEADER)) == 2
