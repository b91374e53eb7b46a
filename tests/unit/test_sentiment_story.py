"""Complaints told as a story with no complaint word (brief recall): an expectation then its
violation (rules.yaml HEAD……TAIL phrases of 服务纠纷), the service unreachable, sarcasm by a lesson
or an errand repeated, and praise after a runaround at an unnamed other insurer (别家)."""
from __future__ import annotations

import pytest

from sentiment import irony
from sentiment.clauses import names_org
from sentiment.gapped import gapped_heads
from tests.kit import scored_levels


def test_an_expectation_then_its_violation_is_one_phrase_with_words_between(demo_app):
    neg = demo_app.scorer.negativity
    [hit] = neg.lexicon_hits("当初说好七个工作日到账，现在一个月了还在走流程")
    assert hit[:2] == ("当初说好七个工作日到账，现在", "服务纠纷")
    # without its violation the head is the 投诉维权 phrase it always was
    assert [h[:2] for h in neg.lexicon_hits("当初说好的事情")] == [("当初说好", "投诉维权")]
    # not across a sentence end, nor further than the gap allows
    assert neg.lexicon_hits("答应三天办好。至今还没动静") == []
    assert neg.lexicon_hits("公司承诺，今后理赔时效缩短至三天，目前还在试点") == []
    # a violation told before the expectation is none (the head's tails are looked for after it only)
    assert [h[:2] for h in neg.lexicon_hits("现在一个月了，当初说好七个工作日到账")] == [("当初说好", "投诉维权")]


def test_a_head_of_words_between_may_be_a_plain_phrase_but_not_of_both_gaps():
    heads = gapped_heads([("说好的……结果", "服务纠纷", 1.0)], {"说好的": ("投诉维权", 0.7)})
    assert heads["说好的"].plain == ("说好的", "投诉维权", 0.7)
    assert heads["说好的"].match("说好的三天，结果一个月", 3) is not None
    with pytest.raises(ValueError, match="both"):
        gapped_heads([("退保…只拿回", "退保纠纷", 1.0), ("退保……遭拒", "退保纠纷", 1.0)], {})


@pytest.mark.parametrize("title", [
    "中华财险吉林分公司当初说好七个工作日到账，现在一个月了还在走流程",
    "新华保险的业务员当初拍胸脯说随时能取，结果要取钱才知道要扣一大笔",
    "太平洋财险的理赔员让我等通知，等了二十天电话都打不通",
    "太平人寿的业务员加我微信三年，我要理赔的时候他把我删了",
    "多名客户要求太平洋人寿全额退保遭拒",
])
def test_a_story_of_a_broken_promise_or_no_answer_alerts(demo_app, title):
    assert scored_levels(demo_app, title, title, channel="weibo")


@pytest.mark.parametrize("title", [
    "平安产险承诺小额理赔一天到账，至今已服务客户十万人次",
    "太平人寿答应帮忙协调，理赔员还在现场协助",
    "大地保险查勘员联系不上车主，多次上门送达理赔通知",
    "说好三天到账，泰康人寿果然三天就到了，靠谱",
])
def test_a_promise_kept_or_the_insurer_trying_does_not(demo_app, title):
    assert not scored_levels(demo_app, title, title, channel="weibo")


def test_sarcasm_by_a_lesson_or_an_errand_repeated():
    assert irony.ironic("感谢阳光保险给我上了一课")[0] >= 0
    assert irony.ironic("感谢阳光保险教会我一个道理：买之前看懂合同")[0] >= 0
    assert irony.ironic("客服真是太贴心了，转了八次人工终于听到了挂断音")[0] >= 0
    assert irony.ironic("客服真是太及时了，催了一次就赔了")[0] < 0
    assert irony.ironic("老师给学生上了一堂安全课")[0] < 0


def test_another_insurer_left_unnamed_is_another_organisation(demo_app):
    assert names_org("之前在别家保险公司理赔拖了三个月") and not names_org("理赔拖了三个月")
    title = "之前在别家保险公司理赔拖了三个月，这次在人保财险两天就赔了，点赞"
    assert not scored_levels(demo_app, title, title, channel="weibo")
    assert scored_levels(demo_app, "人保财险理赔拖了三个月，之前在别家两天就赔了", "", channel="weibo")


@pytest.mark.parametrize("text", [
    "定损员说下午到，我在路边从中午等到天黑",
    "柜台只开一个窗口，排了三个多小时",
    "车主等了47天仍未结案",
    "来回折腾了四次才办成",
    "客服打了十几个电话都说不清",
    "周一来了又说系统升级",
    "续保短信退订了还发",
    "定损员来一句爱修不修",
])
def test_a_complaint_told_as_its_cost_is_a_service_phrase(text):
    start, end, risk = irony.DEFAULT.story(text)
    assert risk == "服务纠纷" and start >= 0 and end > start


@pytest.mark.parametrize("text", [
    "理赔真是快，才用了两天就到账了",  # praise: a short time
    "等了两天理赔就下来了",  # days waited, then done
    "打了一个电话就办好了",
    "暴雨后启动应急预案，安排到每个乡镇查勘",  # 安排到 is no wait
    "员工连续加班，熬到凌晨完成定损",  # staff working late
    "活动从上午九点持续到下午四点",
    "客服态度很好，耐心解答",
    "养老社区真是好，才开业三个月就住满了",
])
def test_a_cost_quickly_paid_or_the_staff_s_effort_is_not(text):
    assert irony.DEFAULT.story(text)[0] < 0


def test_praise_called_short_of_a_long_time_or_taken_to_where_nothing_works_is_sarcasm():
    assert irony.ironic("效率真是高啊，报个门诊才用了三个月")[0] >= 0
    assert irony.ironic("服务可太好了，好到我想退保都找不着人")[0] >= 0
    assert irony.ironic("服务好到让人感动")[0] < 0


@pytest.mark.parametrize("title", [
    "大地保险的客服电话打了四十分钟没打通",
    "阳光财险的理赔款拖拖拉拉两个多月",
    "国寿的业务员天天忽悠我妈买保险",
    "泰康人寿的客服让我等回电，等了一周也没等到",
])
def test_colloquial_complaints_alert(demo_app, title):
    assert scored_levels(demo_app, title, title, channel="weibo")


@pytest.mark.parametrize(("title", "text"), [
    ("平安产险吉林分公司就客户车损投诉致歉 已完成赔付", "平安产险吉林分公司就客户车损投诉致歉，已完成赔付。"),
    ("之前吐槽过大地保险理赔慢，后来经理亲自打电话，两天就到账了", "后来经理亲自打电话道歉，两天就到账了。"),
])
def test_a_complaint_settled_and_told_in_the_past_does_not_alert(demo_app, title, text):
    assert not scored_levels(demo_app, title, text, channel="weibo")


def test_an_apology_without_the_money_still_alerts(demo_app):
    title = "泰康人寿客服道歉了三次，可理赔款还是迟迟没到账"
    assert scored_levels(demo_app, title, title, channel="weibo")


def test_the_seller_passing_himself_off_is_misleading_but_a_fraud_warning_is_not(demo_app):
    """冒充 is the seller's misleading only with the seller as its subject: the insurers' own anti-fraud
    warnings (谨防不法分子冒充工作人员) name them as the ones impersonated."""
    assert scored_levels(demo_app, "新华人寿的业务员冒充银行理财经理卖保险", "", channel="weibo")
    for title, text in [("人保财险吉林分公司：谨防不法分子冒充工作人员",
                         "人保财险吉林省分公司提示，近期有不法分子冒充公司理赔人员，以加快理赔为由索要费用。"),
                        ("国寿吉林开展反诈宣传进社区", "中国人寿吉林省分公司工作人员走进社区，讲解如何识别冒充保险公司的电信诈骗。")]:
        assert not scored_levels(demo_app, title, text)


@pytest.mark.parametrize("title, units", [
    ("泰康理赔拖了三个月没下文", {"taikang-jl"}),  # a bare brand is the province's branch, as 国寿 is
    ("太保车险定损员一句爱修不修", {"cpic-pc-jl"}),
    ("泰康在线理赔拖了三个月没下文", set()),  # another company of the group
    ("吉林银保监局推进阳光理赔，车险理赔拖延投诉下降", set()),  # the regulators' 阳光理赔 is no insurer
    ("长春市民在阳光下排队等待理赔被拒", set()),
    ("阳光保险理赔拖了三个月没下文", {"sinosig-jl"}),
])
def test_brands_name_the_branch_and_everyday_words_name_nobody(demo_app, title, units):
    doc_units = {u.unit_id for u in demo_app.scorer.score(_doc(title)).units}
    assert doc_units == units


def test_complaints_counted_as_falling_are_no_complaint(demo_app):
    assert not scored_levels(demo_app, "人保财险吉林分公司推进阳光理赔，理赔拖延类投诉同比下降三成")
    assert not scored_levels(demo_app, "国寿吉林：今年理赔投诉量同比下降40%")
    assert scored_levels(demo_app, "人保财险吉林分公司理赔拖延，投诉不降反升") == {"picc-pc-jl"}
    assert scored_levels(demo_app, "国寿吉林理赔拖延，投诉未减少") == {"chinalife-jl"}


def _doc(title: str):
    from contracts.messages import Document
    return Document.create(url=f"http://news.example.cn/{abs(hash(title))}.html", source_id="x", channel="news",
                           site="news.example.cn", title=title, text="")
