"""The words of a report from its numbers: 环比 wording, durations, risk shifts, advice."""
import pytest

from console.reports import narrative


@pytest.mark.parametrize("cur, prev, text", [(7, 4, "上升75.0%"), (2, 4, "下降50.0%"), (3, 3, "持平"),
                                             (5, 0, "上期为0"), (0, 0, "持平"), (0, 3, "下降100.0%"),
                                             (1, 3, "下降66.7%")])
def test_change_names_the_direction_and_never_divides_by_zero(cur, prev, text):
    assert narrative.change(cur, prev) == text


@pytest.mark.parametrize("cur, prev, text", [(7, 4, "环比上升75.0%"), (3, 3, "与上期持平"), (5, 0, "上期为0")])
def test_versus_reads_as_a_sentence(cur, prev, text):
    assert narrative.versus(cur, prev) == text


@pytest.mark.parametrize("minutes, text", [(0.4, "0分钟"), (45, "45分钟"), (90, "1.5小时"), (3 * 1440, "3.0天")])
def test_duration(minutes, text):
    assert narrative.duration(minutes) == text


def test_risk_shifts_biggest_first_and_unchanged_left_out():
    lines = narrative.risk_shifts([("理赔纠纷", 6, 2), ("销售误导", 1, 1), ("服务质量", 0, 3), ("监管处罚", 2, 0)])
    assert lines == ["理赔纠纷类负面信息6条，环比上升200.0%", "服务质量类负面信息由上期3条降为0", "监管处罚类负面信息新出现2条"]


def _report(kind="daily", **extra):
    base = {"kind": kind, "cases": [], "handling": [], "risks": [], "false_alarms": []}
    return {**base, **extra}


def test_advice_when_nothing_stands_out_is_the_standing_advice():
    assert narrative.advice(_report("weekly")) == [
        "本期未发现需重点处置的负面舆情，下周保持常态化监测，重点关注理赔服务与销售行为相关信息。"]


def test_advice_names_open_red_cases_slow_units_and_rising_risks():
    case = {"unit": "甲公司", "title": "拖延理赔", "subject": "甲公司“拖延理赔”", "level_value": "red", "status_value": "notified",
            "steps": ["核实案件进度", "联系当事人"], "deadline_hours": 24, "stage": "发酵"}
    lines = narrative.advice(_report(cases=[case], handling=[{"unit": "甲公司", "unacknowledged": 2}],
                                     risks=[("理赔纠纷", 5, 1)]))
    assert lines[0] == "甲公司“拖延理赔”为红色预警且尚未办结，建议：核实案件进度；联系当事人；并在24小时内形成回应口径。"
    assert any("甲公司（2起）仍有预警未确认" in line for line in lines)
    assert any(line.startswith("理赔纠纷类负面信息增多（5条，上期1条）") for line in lines)
    # A first period says 较多 (the weekly report said 增多（5条，上期0条） under 上期无数据 everywhere else).
    first = narrative.advice(_report("weekly", risks=[("理赔纠纷", 5, 0)], first_period=True))
    assert "理赔纠纷类负面信息较多（5条），建议下周重点关注此类问题，会员单位对照排查同类风险。" in first
    # A weekly report days after the alert: past its deadline, not "within 24 hours" as if it had just begun.
    late = narrative.advice(_report("weekly", cases=[{**case, "overdue": True}]))
    assert late[0] == "甲公司“拖延理赔”为红色预警且尚未办结，建议：核实案件进度；联系当事人；已超过24小时回应时限，请尽快形成并发布回应口径。"
    resolved = {**case, "status_value": "resolved"}
    assert not any("尚未办结" in line for line in narrative.advice(_report(cases=[resolved])))


def test_advice_names_open_orange_and_yellow_cases_instead_of_saying_nothing_stands_out():
    case = {"unit": "乙公司", "title": "退保难", "subject": "乙公司“退保难”", "level": "橙色", "level_value": "orange", "status_value": "acknowledged",
            "steps": [], "deadline_hours": 24, "stage": "萌芽"}
    assert narrative.advice(_report(cases=[case, {**case, "level": "黄色", "level_value": "yellow"}])) == [
        "本期2起预警（橙色1起、黄色1起）尚未办结，涉及乙公司，请相关单位按处置建议跟进并及时回应，今日持续关注后续报道。"]
    done = {**case, "status_value": "resolved"}
    assert narrative.advice(_report(cases=[done]))[0].startswith("本期未发现需重点处置的负面舆情")


def _summary(by_channel, by_unit, unit=None):
    report = _report("weekly", period="2026年11月27日至2026年12月3日", by_level=[], by_channel=by_channel,
                     by_unit=by_unit, unit=unit)
    figures = {"total": 19, "negative": 7, "alerts": 0, "false_alarms": 0}
    return narrative.summary(report, figures, {**figures, "total": 15})


def test_summary_names_every_channel_and_unit_tied_at_the_top():
    """A 综述 said 负面信息主要来自新闻网站（2条） where 论坛 had 2 as well, and named one of three units with 2 as 最多."""
    text = _summary([("新闻网站", 8, 2), ("论坛", 4, 2), ("微博", 2, 1)],
                    [("甲公司", 4, 2), ("乙公司", 3, 2), ("丙公司", 3, 2), ("丁公司", 1, 0)])
    assert "负面信息主要来自新闻网站、论坛（各2条）" in text
    assert "会员单位中，甲公司、乙公司、丙公司负面信息最多（各2条）" in text


def test_summary_names_one_leader_alone_and_caps_a_long_tie():
    text = _summary([("新闻网站", 8, 3), ("论坛", 4, 2)], [(f"{c}公司", 1, 1) for c in "甲乙丙丁戊"])
    assert "负面信息主要来自新闻网站（3条）" in text
    assert "会员单位中，甲公司、乙公司、丙公司等5家单位负面信息最多（各1条）" in text
    quiet = _summary([("新闻网站", 8, 0)], [("甲公司", 4, 0)])
    assert "主要来自" not in quiet and "最多" not in quiet


def test_a_units_own_report_asks_the_unit_itself():
    rising = {"risks": [("理赔纠纷", 4, 1)], "handling": [{"unit": "甲公司", "unacknowledged": 2}]}
    assert any("会员单位对照排查" in line for line in narrative.advice(_report("weekly", **rising)))
    own = narrative.advice(_report("weekly", unit={"id": "a", "name": "甲公司"}, **rising))
    assert any("本单位对照排查同类风险" in line for line in own) and not any("会员单位" in line for line in own)
    assert "本单位仍有2起预警未确认，请尽快确认并反馈处置进展。" in own and not any("甲公司" in line for line in own)
