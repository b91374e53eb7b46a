"""SMS templates as the providers approve them (pipeline/config/sms.py): the link's domain fixed in
the text, no variable inside a link, no adjacent variables; values fitted Chinese-aware (… at the
end, never after a comma), with whatever reads as a web address taken out."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.config.sms import SmsTemplate, SmsTemplates, default_templates, placeholders, render, trim, without_links

ALERT = "{unit}舆情{level}：{risk}，{title}。详见https://yuqing.example.cn/a/{code}"
NOTICE = "{unit}运行{level}：{title}（{source}）。详见https://yuqing.example.cn/ops"


def test_the_alert_template_fixes_the_address_and_varies_only_the_short_id():
    templates = SmsTemplates(alert=SmsTemplate(code="SMS_1", text=ALERT), notice=SmsTemplate(code="SMS_2", text=NOTICE))
    assert templates.link_base() == "https://yuqing.example.cn"
    assert placeholders(ALERT) == ["unit", "level", "risk", "title", "code"]
    text = render(ALERT, {"unit": "国寿吉林", "level": "红色预警", "risk": "理赔纠纷", "title": "拖延理赔", "code": "Ab3dE9xZ"})
    assert text == "国寿吉林舆情红色预警：理赔纠纷，拖延理赔。详见https://yuqing.example.cn/a/Ab3dE9xZ"
    assert default_templates("http://127.0.0.1:8080/").link_base() == "http://127.0.0.1:8080"


@pytest.mark.parametrize("alert, notice, why", [
    ("{unit}{level}：{title}。详见https://x.cn/a/{code}", NOTICE, "touch"),
    ("{unit}：{title}。详见https://{domain}/a/{code}", NOTICE, "inside the link"),
    ("{unit}：{title}。详见{link}", NOTICE, "/a/{code}"),
    ("【保协】{unit}：{title}。详见https://x.cn/a/{code}", NOTICE, "signature"),
    (ALERT, "{unit}运行{level}：{title}，编号{code}。详见https://yuqing.example.cn/ops", "no short id"),
    ("详见https://x.cn/a/", NOTICE, "variables"),
])
def test_templates_no_provider_would_approve_are_refused(alert, notice, why):
    with pytest.raises(ValidationError, match=why):
        SmsTemplates(alert=SmsTemplate(code="SMS_1", text=alert), notice=SmsTemplate(code="SMS_2", text=notice))


def test_values_are_cut_chinese_aware_with_an_ellipsis():
    assert trim("中国人寿吉林省分公司拖延理赔半年，患病客户多次投诉", 17) == "中国人寿吉林省分公司拖延理赔半年…"  # not "…，…"
    assert trim("理赔纠纷", 4) == "理赔纠纷" and len(trim("理" * 40, 35)) == 35 and trim("理" * 40, 35).endswith("…")
    assert trim("（投诉）拖延理赔", 3) == "（投…"
    # English is cut between words, not inside one (a bundle's "Regulator fi…" read as nonsense)
    assert trim("Regulator fines insurer over claims", 15) == "Regulator…"
    assert trim("Regulator fines insurer", 17) == "Regulator fines…"
    assert trim("Supercalifragilistic", 8) == "Superca…"  # one long word: no space to go back to
    assert trim("国寿Claims delayed", 9) == "国寿Claims…"


def test_web_addresses_are_taken_out_of_values_and_figures_are_kept():
    assert without_links("记者调查www.jl-news.cn：中国人寿") == "记者调查：中国人寿"
    assert without_links("详见 http://a.example.com/x?y=1 后续") == "详见 后续"
    assert without_links("jl.example.cn报道理赔") == "报道理赔"
    assert without_links("净利润7255.12万元，同比减少3.2%") == "净利润7255.12万元，同比减少3.2%"


def test_no_room_leaves_nothing():
    assert trim("理赔纠纷", 0) == "" and trim("理赔纠纷", -3) == "" and trim("理赔纠纷", 1) == "理"


def test_e_mail_subjects_summaries_and_bundles_are_cut_by_the_same_function():
    from datetime import datetime, timezone

    from alerting.templates import email_subject, summary_line
    from alerting.templates_bundle import bundle
    from contracts.messages import Alert, DocRef, Level
    from tests.kit import make_scored

    title = "中国人寿吉林省分公司拖延理赔半年之久，患病客户多次投诉无果，家属将向监管反映，后续仍在跟进中"  # 39th: "，"
    doc = make_scored({"chinalife-jl": "orange"}, title=title)
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    alert = Alert(id="a1", story_id="s1", unit_id="chinalife-jl", unit_name="国寿吉林", level=Level.orange,
                  first_seen=at, last_seen=at, doc_count=1, channels=[doc.channel], sites=[doc.site],
                  representative=DocRef.of(doc), negativity=0.9)
    cut = trim(title, 40)
    assert cut == "中国人寿吉林省分公司拖延理赔半年之久，患病客户多次投诉无果，家属将向监管反映…"  # not "反映，…"
    assert email_subject(alert) == f"【舆情预警·橙色】国寿吉林：{cut}"
    assert f"国寿吉林：{cut}（" in summary_line(alert)
    params = {"unit": "国寿吉林", "level": "橙色预警", "risk": "理赔纠纷", "title": "拖延理赔近半年客户多次投诉，家属将向监管反映…",
              "code": "Ab3dE9xZ"}
    sms = bundle("sms", [{"sms": {"params": params}, "unit_name": "国寿吉林", "level": "orange"}] * 2, at)
    assert sms["sms"]["params"]["title"] == "拖延理赔近半年客户多次投诉…等2条"  # not "投诉，…"


def test_a_bundles_counts_survive_the_variable_limit_and_the_text_before_them_is_cut():
    from datetime import datetime, timezone

    from alerting.channels._sms import template_values
    from alerting.templates_bundle import bundle
    from pipeline.config.sms import default_templates

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    params = {"unit": "中国人寿吉林省分公司", "level": "红色预警", "risk": "理赔纠纷", "title": "拖延理赔近半年客户多次投诉",
              "code": "Ab3dE9xZ"}
    items = [{"sms": {"params": params}, "unit_name": name, "level": "red"} for name in ("国寿吉林", "人保财险", "国寿吉林")]
    sms = bundle("sms", items, at)["sms"]
    templates = default_templates("http://127.0.0.1:8080")
    for limit, unit, title in [(12, "中国人寿吉林省分…等单位", "拖延理赔近半年客…等3条"), (35, "中国人寿吉林省分公司等单位", "拖延理赔近半年客户多次投诉等3条")]:
        values = dict(template_values(templates, limit, sms)[1])
        assert (values["unit"], values["title"]) == (unit, title) and len(values["title"]) <= limit
    # A row queued before bundles named their counts is fitted as before (the end may be cut).
    old = {"template": "alert", "params": sms["params"]}
    assert dict(template_values(templates, 12, old)[1])["title"] == "拖延理赔近半年客户多次…"


def _alert(title: str, unit_id: str = "chinalife-jl", unit_name: str = "国寿吉林"):
    from datetime import datetime, timezone

    from contracts.messages import Alert, DocRef, Level
    from tests.kit import make_scored

    doc = make_scored({unit_id: "orange"}, title=title)
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return Alert(id="a1", story_id="s1", unit_id=unit_id, unit_name=unit_name, level=Level.orange,
                 first_seen=at, last_seen=at, doc_count=1, channels=[doc.channel], sites=[doc.site],
                 representative=DocRef.of(doc), negativity=0.9)


@pytest.mark.parametrize("title, expected", [
    # 14 left: the full cue leaves 9, short of "Regulator…" (a word cut inside, 「Regulato…」, read as nonsense)
    ("Regulator fines Ping An over misleading sales", "英文：Regulator…"),
    ("平安产险代理人销售误导被罚", "平安产险代理人销售误导被罚"),
    ("平安产险 fined", "平安产险 fined"),  # some Chinese: read as it is
    ("ESG", "英文报道：ESG"),
])
def test_an_sms_says_an_english_title_is_an_english_report(title, expected):
    from alerting.templates import sms_params
    from pipeline.config.sms import SmsForm

    form = SmsForm(default_templates("http://127.0.0.1:8080"), 35)
    params = sms_params(_alert(title, "pingan-pc", "平安产险"), "Ab3dE9xZ", "alert", form, risk="监管处罚、销售误导")
    assert params["title"] == expected
    text = render(form.templates.alert.text, params)
    assert len(text) <= 70 and f"：监管处罚、销售误导，{expected}。" in text


@pytest.mark.parametrize("room, expected", [
    (40, "英文报道：Regulator fines Ping An over…"),
    (21, "英文报道：Regulator fines…"),  # "fines" ends exactly at the cut: kept whole
    (20, "英文报道：Regulator…"),
    (14, "英文：Regulator…"),
    (13, "英文：Regulator…"),
    (12, ""),  # no whole word fits with a cue: the caller cuts the title as any other (Regulator…)
])
def test_an_english_sms_title_is_cut_between_words(room, expected):
    from alerting.templates import foreign_title
    got = foreign_title("Regulator fines Ping An over misleading sales", room)
    assert got == expected and len(got) <= room


def test_an_emails_summary_of_an_english_text_ends_between_words():
    from alerting.templates import brief_of
    from tests.kit import make_scored
    text = ("The Jilin branch of Ping An Property & Casualty was fined 450,000 yuan by the provincial financial "
            "regulator for mis-selling add-on policies to car owners and delaying claim payments, according to a "
            "person familiar with the matter.")
    summary = brief_of(make_scored({"pingan-pc": "orange"}, title="Regulator fines Ping An", text=text), "pingan-pc")["summary"]
    assert summary.endswith("according to a…") and len(summary) <= 201  # was 「…according to a p…」
    chinese = "车主称保险公司拒赔，已向监管部门投诉。" * 20
    summary = brief_of(make_scored({"pingan-pc": "orange"}, title="拒赔", text=chinese), "pingan-pc")["summary"]
    assert summary.startswith(chinese[:150]) and summary.endswith("…") and len(summary) <= 201


def test_an_emails_subject_says_an_english_title_is_an_english_report():
    from datetime import datetime, timezone

    from alerting.templates import email_subject
    from contracts.messages import Alert, DocRef, Level
    from tests.kit import make_scored
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def subject(title: str) -> str:
        doc = make_scored({"pingan-pc": "orange"}, title=title)
        return email_subject(Alert(id="a1", story_id="s1", unit_id="pingan-pc", unit_name="平安产险", level=Level.orange,
                                   first_seen=at, last_seen=at, doc_count=1, channels=[doc.channel], sites=[doc.site],
                                   representative=DocRef.of(doc), negativity=0.9))
    assert subject("Regulator fines Ping An's Jilin property unit over mis-selling and delayed claims") == (
        "【舆情预警·橙色】平安产险：英文报道：Regulator fines Ping An's Jilin…")
    assert subject("平安产险 fined") == "【舆情预警·橙色】平安产险：平安产险 fined"


NAMES = ["中国人寿保险股份有限公司吉林省分公司", "国寿吉林", "中国人寿吉林省分公司", "中国人寿吉林分公司"]


@pytest.mark.parametrize("title, expected", [
    # the SMS names the unit first: the room goes to what happened
    ("中国人寿吉林省分公司理赔拖了三个月，谁能管管？", "理赔拖了三个月，谁能管管"),
    ("国寿吉林：重疾险理赔被拒引发客户不满投诉", "重疾险理赔被拒引发客户不满投诉"),
    ("中国人寿吉林省分公司的代理人销售误导老人购买理财险", "中国人寿吉林省分公司的代理人销售误导…"),  # the name is the subject
    ("中国人寿吉林省分公司被罚款", "中国人寿吉林省分公司被罚款"),  # fits whole: kept whole
    ("中国人寿吉林省分公司被罚", "中国人寿吉林省分公司被罚"),
    ("读者来信：重疾险交了五年，中国人寿吉林省分公司以未如实告知拒赔", "读者来信：重疾险交了五年，中国人寿吉…"),  # not at the front
    ("客户投诉理赔。", "客户投诉理赔"),  # the template's 。 follows: no 。。
    ("中国人寿吉林分公司因销售误导被吉林监管局罚款", "因销售误导被吉林监管局罚款"),  # a brand and its branch
    ("中国人寿广东分公司理赔纠纷一审判决出炉了", "中国人寿广东分公司理赔纠纷一审判决出…"),  # not the unit's branch
    ("中国人寿却以未如实告知为由拒赔重疾险客户", "中国人寿却以未如实告知为由拒赔重疾险…"),  # a bare brand: kept
])
def test_an_sms_title_gives_the_units_name_at_its_front_to_what_happened(title, expected):
    from alerting.templates import sms_params
    from pipeline.config.sms import SmsForm

    form = SmsForm(default_templates("http://127.0.0.1:8080"), 35)
    params = sms_params(_alert(title), "Ab3dE9xZ", "alert", form, unit="国寿吉林", risk="理赔纠纷", names=NAMES)
    assert params["title"] == expected
    text = render(form.templates.alert.text, params)
    assert len(text) <= 70 and text.startswith("国寿吉林舆情橙色预警：理赔纠纷，") and "。。" not in text and "？。" not in text


def test_the_planner_offers_a_units_chinese_names():
    from alerting.planner import sms_names
    from pipeline.config import load_config
    from tests.kit import DEMO_CONFIG

    unit = next(u for u in load_config(DEMO_CONFIG).members.units if u.id == "chinalife-jl")
    names = sms_names(unit)
    assert {"中国人寿保险股份有限公司吉林省分公司", "国寿吉林", "中国人寿吉林省分公司", "国寿吉林省分公司"} <= set(names)
    assert "中国人寿" not in names and "China Life" not in names  # a brand only with the unit's own branch
    assert not any("广东" in n for n in names) and len(names) == len(set(names))
    cpic = next(u for u in load_config(DEMO_CONFIG).members.units if u.id == "cpic-pc-jl")
    assert "太平洋保险吉林分公司" in sms_names(cpic)  # 太平洋保险 (a brand) + the place of 中国太平洋…公司吉林分公司
