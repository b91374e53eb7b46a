"""What the alert messages say, as a recipient reads them: the SMS names whole risk types, the e-mail
gives the 研判's every step (the unit's lead reading it has no console at hand)."""
from alerting.templates import advice_lines, sms_risk


def test_the_sms_names_whole_risk_types_never_a_cut_one():
    assert sms_risk({"risk_types": ["监管处罚", "销售误导", "理赔纠纷"]}) == "监管处罚、销售误导"  # not …、理赔
    assert sms_risk({"risk_types": ["理赔纠纷", "投诉维权"]}) == "理赔纠纷、投诉维权"
    assert sms_risk({"risk_types": ["非常非常非常长的一个风险类型名称"]}) == "非常非常非常长的一个风…"
    assert sms_risk({}) == "负面舆情"


def test_the_email_lists_every_step_of_the_advice():
    brief = {"assessment": "理赔纠纷·萌芽（上升）；建议：核实案件进度等3项，24小时内回应",
             "card": {"head": "理赔纠纷·萌芽（上升）", "hours": 24.0,
                      "steps": ["核实案件进度", "24小时内联系当事人\n说明进展", "准备回应口径"]}}
    assert advice_lines(brief) == ("研判建议：理赔纠纷·萌芽（上升），24小时内回应：\n  1. 核实案件进度\n"
                                   "  2. 24小时内联系当事人 说明进展\n  3. 准备回应口径\n")
    # An alert routed before the steps were kept: the short form, pointing where the rest is.
    assert advice_lines({"assessment": "理赔纠纷·萌芽（上升）；建议：核实案件进度等3项，24小时内回应"}) == \
        "研判建议：理赔纠纷·萌芽（上升）；建议：核实案件进度等3项，24小时内回应（完整建议见确认链接页面）\n"
    # After the association's review, its edited advice replaces the card's.
    assert advice_lines({**brief, "review": {"advice": "两小时内联系车主", "by": "值班员王宁"}}) == \
        "研判建议（协会复核）：两小时内联系车主\n协会复核：已由值班员王宁复核转发\n"


def test_the_duty_groups_review_card_carries_the_judgement_and_asks_for_a_review():
    from datetime import datetime, timezone

    from alerting.templates import robot_message
    from contracts.messages import Alert, DocRef, Level
    from tests.kit import make_scored
    doc = make_scored({"chinalife-jl": "red"}, title="中国人寿吉林省分公司拖延理赔半年")
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    alert = Alert(id="a1", story_id="s1", unit_id="chinalife-jl", unit_name="国寿吉林", level=Level.red,
                  first_seen=at, last_seen=at, channels=[doc.channel], sites=[doc.site],
                  representative=DocRef.of(doc), negativity=0.99)
    brief = {"assessment": "理赔纠纷·萌芽（上升）；建议：核实案件进度等4项，24小时内回应"}
    card = robot_message(alert, brief, "http://x/ack/t", "review", "请于20:58前复核并转发",
                         mention=[("值班员王宁", "13800000001")])["markdown"]
    assert "**研判**：理赔纠纷·萌芽（上升）" in card and card.endswith("@13800000001 请及时复核")
    unit = robot_message(alert, brief, "http://x/ack/t", "alert", mention=[("孙伟", "13900000021")])["markdown"]
    assert "**研判**：" in unit and unit.endswith("@13900000021 请及时处置")
    update = robot_message(alert, brief, "http://x/ack/t", "update", "新增2篇")["markdown"]
    assert "**研判**" not in update  # an update says what is new


def test_the_source_is_the_site_by_its_name_or_a_posts_author():
    from alerting.templates import source_label
    from contracts.messages import Document
    news = Document.create(url="http://www.jlbxzx.cn/a/1", source_id="demo-news", channel="news", site="www.jlbxzx.cn",
                           title="t", text="x", source_name="吉林保险资讯网")
    assert source_label(news) == "吉林保险资讯网（www.jlbxzx.cn）"
    # A Weibo post found by our keyword search: its author is the source, not the search (微博·吉林保险关键词).
    post = news.model_copy(update={"channel": "weibo", "site": "weibo.com", "author": "四平的老刘",
                                   "source_name": "微博·吉林保险关键词"})
    assert source_label(post) == "四平的老刘（weibo.com）"
    assert source_label(post.model_copy(update={"author": ""})) == "微博·吉林保险关键词（weibo.com）"
    # A forum post: the forum is what readers know (长春社区), not the user who wrote it.
    forum = post.model_copy(update={"channel": "forum", "site": "bbs.ccshequ.com", "source_name": "长春社区"})
    assert source_label(forum) == "长春社区（bbs.ccshequ.com）"
