"""Detection classes of brief detect12 (held-out batch 12's misses and the lists of batches 9-11), each with a look-alike
that must stay unflagged: business news told by its measures (the agent force counted falling, a ranking lost, a product
no longer renewed, solvency falling quarter after quarter, insurer shares falling after a list of names), the customer's
identity used, signatures on blank forms, renewal messages counted, a loss called below the threshold, a part paid as a
count, a deposit however said, an arrival promised then the wait, nobody able to explain, promises said plainly, a
hotline's queue in minutes, speed praised in quotation marks; and the false alarms — the court ordering money paid back
to the insurer, staff keeping the customer company, a reply whose answer is the thing done, a brand inside a longer
common word (众安 in 群众安全) — and English results told by income and the dividend."""
from __future__ import annotations

import pytest

from tests.kit import lexicon_risks, scored_levels


@pytest.mark.parametrize("text, risk", [
    ("某人寿规模人力较年初减少18%", "业绩下滑"),
    ("某人寿月均合格人力同比下降两成", "业绩下滑"),
    ("某财险公司保费排名跌出全省前三", "业绩下滑"),
    ("某财险公司市场排名滑落至第七", "业绩下滑"),
    ("某保险公司一款医疗险宣布明年起停止续保", "业绩下滑"),
    ("某人寿核心偿付能力充足率连续三个季度下滑", "偿付能力"),
    ("中国人寿、新华保险等保险股午后集体走低", "市场波动"),
    ("代理人盗用客户的身份给亲戚投了保", "代理人违规"),
    ("业务员拿我爸的身份证开了个账户", "代理人违规"),
    ("代理人让我在几张空白投保单上签名", "代理人违规"),
    ("续保短信一晚上发了十几条", "代理人违规"),
    ("定损员说损失太小，不够赔", "理赔纠纷"),
    ("两个后视镜只能赔一个", "理赔纠纷"),
    ("业务员说是存钱，其实是分红险", "销售误导"),
    ("救援电话里说半小时内到，结果三个小时才到", "服务纠纷"),
    ("业务员换了三个，谁也说不明白", "服务纠纷"),
    ("买的时候说随时能取，现在却要扣一大笔", "服务纠纷"),
    ("理赔真是“神速”，两个月了还在审核", "讽刺反语"),
])
def test_each_class_is_found(demo_app, text, risk):
    risks = lexicon_risks(demo_app, text)
    assert risk in risks, (text, risks)


@pytest.mark.parametrize("text", [
    "某人寿规模人力较年初增长5%",
    "某人寿人力成本较年初减少",
    "某财险公司保费排名升至全省第二",
    "某保险公司医疗险保证续保二十年",
    "某人寿综合偿付能力充足率连续三个季度上升",
    "保险股午后集体走高",
    "理赔时需要拿我的身份证复印件",
    "请在投保单空白处签名",
    "收到续保提醒短信，按提示完成了续保",
    "理赔员说这个情况够赔",
    "两个后视镜都赔了",
    "存钱还是买保险，先想清楚",
    "说半小时内到，二十分钟就到了",
    "换了新业务员，讲得很明白",
    "买的时候说三天到账，两天就到了",
    "理赔速度很快，三天就到账",
])
def test_their_look_alikes_are_not(demo_app, text):
    assert demo_app.scorer.negativity.lexicon_hits(text) == [], text


@pytest.mark.parametrize("title, want", [
    # a hotline's queue told in minutes; a short one, and a rescue's minutes (no hotline)
    ("阳光财险转人工排了五十分钟", {"sinosig-jl"}),
    ("阳光财险转人工等了五分钟就接通了", set()),
    ("阳光财险的救援四十分钟就到了", set()),
    # staff keeping the customer company; the customer kept waiting
    ("人保财险的查勘员陪我在医院等了一上午", set()),
    ("人保财险的查勘员让我在医院等了一上午", {"picc-pc-jl"}),
])
def test_whose_wait(demo_app, title, want):
    assert scored_levels(demo_app, title, title, channel="weibo") == want, title


@pytest.mark.parametrize("title, text, want", [
    # the court ordering the insurer's money paid back; the insurer ordered to pay
    ("人保财险起诉车主虚构事故 法院判令返还赔款", "人保财险吉林省分公司起诉车主虚构事故，法院判令其返还赔款5万元。", set()),
    ("人保财险被判支付车主赔款", "法院判令人保财险吉林省分公司支付车主赔款5万元。", {"picc-pc-jl"}),
    # a reply whose answer is the thing done; the grievance itself
    ("国寿回应“理赔慢”：已为客户办理赔付", "中国人寿吉林省分公司表示，已为客户办理赔付。", set()),
    ("国寿被指理赔慢 客户至今未获赔付", "客户反映中国人寿吉林省分公司理赔慢，至今未获赔付。", {"chinalife-jl"}),
    # 众安 inside 群众安全 is no other insurer: the delay after it is still the unit's
    ("大地保险的电动车险事关群众安全，理赔却拖了半年", "大地保险承保的电动车险，事关群众安全，理赔却拖了半年。",
     {"ccic-jl"}),
    ("大地保险的理赔，群众安全感何在？拖了半年没结果", "大地保险的理赔，群众安全感何在？拖了半年没结果。", {"ccic-jl"}),
])
def test_good_news_with_bad_looking_words_and_its_twin(demo_app, title, text, want):
    assert scored_levels(demo_app, title, text) == want, title


def test_a_brand_inside_a_longer_common_word_is_no_organisation():
    """众安 begins no word in 群众安全 (群众|安全), nor 英大 in 精英大会; 水滴 is the head of a longer fixed word
    (水滴石穿); named by itself, or run into the next character (众安买的), each is another insurer."""
    from sentiment.clauses import begins_word, org_starts
    for text, starts in [("群众安全出行受影响", []), ("召开精英大会", []), ("水滴石穿", []), ("告别家人", []),
                         ("众安的理赔卡了我半年", [0]), ("朋友在众安买的医疗险", [3]), ("华安那边一拖再拖", [0]),
                         ("之前在别家理赔拖了三个月", [3])]:
        assert org_starts(text) == starts, text
    assert begins_word("众安保险", 0, 2) and not begins_word("群众安全", 1, 3)


def _english_levels(app, title: str) -> set[str]:
    from contracts.messages import Document
    doc = Document.create(url=f"http://overseas.example.com/{abs(hash(title))}.html", source_id="x", channel="overseas",
                          site="overseas.example.com", title=title, text=title, language="en")
    return set(app.scorer.score(doc).unit_levels)


@pytest.mark.parametrize("title, levels", [
    ("New China Life cuts dividend as investment income slumps", {"newchina-jl"}),
    ("Taikang Life premium income fell 9% in the first half", {"taikang-jl"}),
    ("New China Life raises dividend as investment income climbs", set()),
])
def test_english_results_told_by_income_and_the_dividend(demo_app, title, levels):
    assert _english_levels(demo_app, title) == levels, title
