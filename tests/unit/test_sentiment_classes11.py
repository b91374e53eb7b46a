"""Detection classes of brief detect11 (held-out batch 10's misses and batch 9's list), each with a look-alike that
must stay unflagged: business news told by its measures (market share, persistency, agents lost, a product withdrawn,
last place, the solvency line, a share price at a low), kickbacks and forged signatures, plain complaints (a cheaper
part, money never seen, the cost advanced, a small surrender value, a deposit's promise, a survey in passing, the same
demand counted, an add-on forced, a condition called concealed); and the false alarms — a loss that shrank, a profit
against last year's loss, paid in full as the answer to a quoted allegation, staff running the customer's errands,
casualties as what a policy covers, another insurer told by whose it is or named without 保险 — and English headlines
(results falling, an outlook cut, the group's own results no branch's)."""
from __future__ import annotations

import pytest

from tests.kit import lexicon_risks, scored_levels


@pytest.mark.parametrize("text, risk", [
    ("某寿险公司个险渠道13个月保单继续率跌至六成", "业绩下滑"),
    ("某财险公司车险市场占有率两年来持续萎缩", "业绩下滑"),
    ("某人寿营销队伍半年内缩水三成", "业绩下滑"),
    ("某人寿一年内流失两千多名代理人", "业绩下滑"),
    ("某保险公司一款百万医疗险突然下架", "业绩下滑"),
    ("某人寿热销的年金险突然停售", "业绩下滑"),
    ("某财险公司在年度服务测评中排名末位", "评级下调"),
    ("某寿险公司理赔时效考核得分垫底", "评级下调"),
    ("某财险公司综合偿付能力充足率跌破监管红线", "偿付能力"),
    ("某人寿H股今日创历史新低", "市场波动"),
    ("某查勘员多次收受汽修厂回扣", "代理人违规"),
    ("某代理人伪造投保人签名办理退保", "代理人违规"),
])
def test_business_news_told_by_its_measures_is_a_class(demo_app, text, risk):
    risks = lexicon_risks(demo_app, text)
    assert risk in risks, (text, risks)


@pytest.mark.parametrize("text", [
    "某财险公司综合成本率同比下降2个百分点",
    "某人寿退保率降至1%以下",
    "某寿险公司在年度服务评价中排名第一",
    "某财险公司偿付能力充足率远高于监管红线",
    "某人寿代理人队伍止跌企稳，人均产能提升",
    "某财险公司综合成本率创三年新低",
    "某人寿市场份额稳步提升",
    "某保险公司一款百万医疗险正式上架",
])
def test_their_good_news_twins_are_not(demo_app, text):
    assert demo_app.scorer.negativity.lexicon_hits(text) == [], text


@pytest.mark.parametrize("title", [
    "大地保险定损时把原厂大灯按副厂件算，差价还得补",
    "人保财险的理赔款说月底到，到今天一分钱都没见着",
    "阳光保险的查勘员叫我先垫钱修车，回头再报",
    "平安人寿的保单交了三年，现金价值只有八千",
    "国寿的业务员说这份年金跟存款一样，随时能取",
    "太平人寿的理赔材料递上去都四十天了",
    "中华联合的查勘员到地里看了一眼就说不够标准",
    "新华保险的理赔员每次都要新材料，这已经是第五回了",
    "安华农险的协保员查勘就是走过场",
    "太保产险续保时非要我加一份意外险",
    "太平人寿说我妈带病投保，可投保时根本没人问",
    "平安人寿交了五年的钱，到头来只拿回一半",
    "阳光保险出险第十二天，还没派人来",
])
def test_plain_complaints_of_each_class_alert(demo_app, title):
    assert scored_levels(demo_app, title, title, channel="weibo"), title


@pytest.mark.parametrize("title", [
    "大地保险定损全部按原厂件，一点没打折",
    "人保财险的赔款一分都没少，三天就到了",
    "阳光保险直赔，不用我先垫钱",
    "平安人寿的保单现金价值已经超过所交保费",
    "新华保险的业务员每年都来回访，这已经是第三年了",
    "安华农险查勘从不走过场",
    "续保时业务员说交强险必须买，商业险自愿",
    "太平人寿说我妈身体好，可以正常投保",
    "阳光保险出险第二天，就把钱赔了",
])
def test_their_look_alikes_do_not(demo_app, title):
    assert not scored_levels(demo_app, title, title, channel="weibo"), title


@pytest.mark.parametrize("title, text, want", [
    # a loss that shrank, said against an earlier period; one that widened
    ("中华联合财险去年净亏损比上年明显收窄", "中华联合财险年报显示，去年净亏损比上年明显收窄，承保端有所改善。", set()),
    ("中华联合财险净亏损较上年扩大", "中华联合财险去年净亏损较上年扩大，保费收入同比减少。", {"cic-jl"}),
    # a profit against last year's loss; a loss against last year's
    ("阳光财险上半年盈利", "阳光财险上半年实现净利润1.2亿元，去年同期亏损0.8亿元。", set()),
    ("阳光财险上半年亏损扩大", "阳光财险上半年亏损3亿元，去年同期亏损2亿元。", {"sinosig-jl"}),
    # paid in full, the answer to a quoted allegation; the allegation itself
    ("人保财险回应“拒赔冰雹受损车辆”：涉事案件均已赔付", "人保财险吉林省分公司表示，涉事案件均已赔付。", set()),
    ("人保财险被指拒赔冰雹受损车辆", "多名车主称人保财险以免责条款为由拒赔冰雹受损车辆。", {"picc-pc-jl"}),
    # casualties as what a policy covers; an accident with casualties
    ("大地保险推出冬季出行意外险 提供人身伤亡保障", "大地保险推出冬季出行意外险，为驾乘人员提供人身伤亡保障。", set()),
    ("大地保险吉林分公司办公楼起火 造成人员伤亡", "大地保险吉林分公司办公楼昨夜起火，造成人员伤亡。", {"ccic-jl"}),
])
def test_good_news_with_bad_looking_words_and_its_twin(demo_app, title, text, want):
    assert scored_levels(demo_app, title, text) == want, title


@pytest.mark.parametrize("title, want", [
    # staff running the customer's errands, no done-verb; the customer sent on them
    ("国寿的查勘员替我们跑了两趟医院复印病历", set()),
    ("国寿的查勘员让我们跑了两趟医院复印病历", {"chinalife-jl"}),
    ("国寿的查勘员为什么让我跑了三趟医院", {"chinalife-jl"}),
    # a refund told as done; one still owed
    ("太平人寿多扣了三百块保费，第二天就退回来了", set()),
    ("太平人寿多扣了三百块保费，到现在还没退回来", {"taiping-life-jl"}),
    # another insurer told by whose it is, or named without 保险; the member blamed beside it
    ("朋友那家保险公司理赔拖了半年，还好我买的是人保财险", set()),
    ("朋友推荐的人保财险，理赔拖了半年", {"picc-pc-jl"}),
    ("众安的退保卡了我两个月，泰康人寿这边一周就办好了", set()),
    ("泰康人寿的退保拖了我两个月，众安那边一周就办好了", {"taikang-jl"}),
])
def test_whose_errand_and_whose_delay(demo_app, title, want):
    assert scored_levels(demo_app, title, title, channel="weibo") == want, title


def _english_levels(app, title: str) -> tuple[set[str], set[str]]:
    from contracts.messages import Document
    doc = Document.create(url=f"http://overseas.example.com/{abs(hash(title))}.html", source_id="x", channel="overseas",
                          site="overseas.example.com", title=title, text=title, language="en")
    scored = app.scorer.score(doc)
    return {u.unit_id for u in scored.units}, set(scored.unit_levels)


@pytest.mark.parametrize("title, units, levels", [
    ("China Life Jilin says first-half profit fell 20%", {"chinalife-jl"}, {"chinalife-jl"}),
    ("Fitch revises Taikang Life outlook to negative", {"taikang-jl"}, {"taikang-jl"}),
    ("Fitch revises Taikang Life outlook to stable from negative", {"taikang-jl"}, set()),
    # the group's own results and shares are no branch's news; the branch's fine is
    ("China Life says annual profit rose 12%", set(), set()),
    ("China Life shares fell 4% in Hong Kong", set(), set()),
    ("China Life Jilin branch fined over sales practices", {"chinalife-jl"}, {"chinalife-jl"}),
])
def test_english_results_outlooks_and_the_groups_own_news(demo_app, title, units, levels):
    assert _english_levels(demo_app, title) == (units, levels), title
