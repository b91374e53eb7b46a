"""An insurer's own good news is no alert: its PR writing puts praise in quotation marks (以“专业”赢得信赖, 理赔有“速度”
更有“温度”), tells of the fraud it fights (“以案说险”揭秘保险欺诈套路) and of claims paid to victims' families
(为遇难者家属送去理赔款). Quoted praise is sarcasm only with the emphasis that makes it one (真是“高效”, 所谓的“专业”,
好一个“负责”), and those forms stay found; a claim refused to a victim's family still alerts."""
from __future__ import annotations

import pytest

from tests.kit import lexicon_risks, scored_levels


@pytest.mark.parametrize("title, text", [
    ("平安产险吉林分公司：以“专业”赢得信赖 以“温度”守护民生",
     "平安产险吉林分公司在防汛救灾中开辟理赔绿色通道，做到应赔尽赔、快赔早赔。"),
    ("中国人寿吉林省分公司：“高效”理赔暖人心",
     "中国人寿吉林省分公司开通重疾理赔绿色通道，客户提交材料后当天即完成赔付，客户家属送来锦旗。"),
    ("人保财险吉林省分公司打造“贴心”服务品牌",
     "人保财险吉林省分公司推出上门理赔、线上定损等多项服务举措，客户满意度持续提升。"),
    ("人保财险吉林省分公司：理赔有“速度”更有“温度”",
     "近日，人保财险吉林省分公司快速处理一起车险理赔案件，从报案到赔款到账仅用时2小时。"),
    ("中国人寿吉林省分公司以“效率”赢得客户信赖",
     "中国人寿吉林省分公司推出理赔快速通道，小额理赔案件平均处理时间缩短至1天。"),
    ("太平洋保险吉林分公司：做客户“靠谱”的保障伙伴",
     "太平洋保险吉林分公司持续提升服务品质，今年以来累计赔付超过5亿元。"),
    ("国寿吉林分公司“以案说险”揭秘保险欺诈套路",
     "中国人寿吉林省分公司通过真实案例，向公众讲解骗保手法，帮助消费者增强风险意识。"),
    ("平安产险吉林分公司为暴雨遇难者家属送去理赔款",  # the claim paid, however sad the case: no 停产事故
     "暴雨灾害中，一名投保意外险的客户不幸遇难，公司开通绿色通道，三天内将赔款送到家属手中。"),
])
def test_an_insurers_good_news_told_in_quotation_marks_is_no_alert(demo_app, title, text):
    assert scored_levels(demo_app, title, text) == set(), title


def test_a_claim_refused_to_a_victims_family_still_alerts(demo_app):
    assert scored_levels(demo_app, "平安产险吉林分公司拒赔暴雨遇难者家属",
                         "家属申请理赔被拒，平安产险吉林分公司至今未送去理赔款。") == {"pingan-pc-jl"}


@pytest.mark.parametrize("text", [
    "理赔真是“高效”，三个月了还没消息",
    "这就是你们所谓的“专业”？",
    "好一个“负责”的公司",
    "客服可真“贴心”，电话打了二十遍没人接",
    "理赔速度真是“神速”，两个月了还在审核",
])
def test_quoted_praise_with_its_emphasis_stays_sarcasm(demo_app, text):
    risks = lexicon_risks(demo_app, text)
    assert "讽刺反语" in risks, (text, risks)
