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
