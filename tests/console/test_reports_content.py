"""日报 / 周报 content on a constructed data set with a fake clock: 环比, 误报 excluded and
listed apart, 典型案例 with 研判, handling per unit (time to acknowledge), and the Word file
read back (A4, PAGE field, TOC, 期号 counting per kind)."""
from __future__ import annotations

import io
import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document as Docx
from docx.oxml.ns import qn
from docx.shared import Cm

from console import alert_service
from console.reports import build, render
from contracts.clock import FakeClock
from contracts.messages import AlertStatus, Channel
from tests.console.conftest import PASSWORD, UNIT_A, UNIT_B, Api, add_users
from tests.kit import CHROMEDRIVER, CHROMIUM, build_test_app, chromium, seed_app, seed_doc
from yuqing.bootstrap import App
from yuqing.console_role import ConsoleServer

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 29)  # the reported day; 11-28 is the previous period
FALSE_TITLE = "某某保险代理公司虚假宣传（同名误报）"


@pytest.fixture
def world(tmp_path):
    clock = FakeClock(datetime(2026, 11, 28, 8, 0, tzinfo=TZ))
    app = build_test_app(tmp_path, clock=clock)
    names = {u.id: u.name for u in app.config.members.units}
    server = ConsoleServer(App(app.config, clock=clock))  # not started: the report service is called directly
    add_users(server)
    ports = server.web.state.ports
    seq = iter(range(1000))

    def put(day: date, hour: int, units: dict, title: str, risk: tuple[str, ...] = ("拖延理赔",)) -> list:
        at = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=hour)
        clock._now = at  # the router sees the document when it appears
        n = next(seq)
        doc = seed_doc(units, title=title, text=title + "，消费者投诉。", url=f"http://news.example.cn/r/{n}.html",
                       at=at, phrases=risk, unit_names=names)
        return seed_app(app, [doc])

    prev = DAY - timedelta(days=1)
    put(prev, 9, {UNIT_A: "red"}, "前日甲理赔纠纷")
    put(prev, 10, {UNIT_B: "orange"}, "前日乙销售误导", ("销售误导",))
    put(prev, 11, {UNIT_A: None}, "前日甲公益活动")
    put(prev, 12, {UNIT_B: None}, "前日乙新品发布")
    red = put(DAY, 9, {UNIT_A: "red"}, "甲公司拖延理赔半年引发投诉")[0]
    put(DAY, 10, {UNIT_A: "yellow"}, "甲公司客服电话无人接听", ("投诉",))
    orange = put(DAY, 11, {UNIT_B: "orange"}, "乙公司销售误导老人投保", ("销售误导",))[0]
    false = put(DAY, 12, {UNIT_B: "yellow"}, FALSE_TITLE, ("虚假宣传",))[0]
    for hour, title in ((13, "甲公司开展保险进社区"), (14, "乙公司理赔服务获好评"), (15, "行业动态")):
        put(DAY, hour, {UNIT_A: None}, title)

    # Handling: 甲's red alert acknowledged 45 minutes after it was raised, 乙's orange resolved, one 误报.
    clock._now = datetime.combine(DAY, datetime.min.time(), TZ) + timedelta(hours=9, minutes=45)
    ports.change_status(red.id, AlertStatus.acknowledged, actor="duty", via="console")
    clock._now += timedelta(hours=2)  # 11:45: 乙's orange (raised 11:00) resolved
    ports.change_status(orange.id, AlertStatus.resolved, actor="duty", via="console")
    clock._now += timedelta(hours=1)
    alert_service.act(ports, ports.users.get_user("duty"), false.id, "false_alarm", text="同名非会员机构")
    clock._now = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    yield app, server, ports
    if server.thread.is_alive():
        server.stop()
    server.app.close()
    app.close()


def test_daily_numbers_have_mom_change_and_false_alarms_are_taken_out(world):
    app, server, ports = world
    r = build.build(ports, build.Period.ending("daily", DAY), issue=3)
    keys = {k["key"]: k for k in r["key_numbers"]}
    # 7 documents on the day (the 误报 one still monitored), 4 the day before.
    assert (keys["total"]["value"], keys["total"]["previous"], keys["total"]["change"]) == (7, 4, "上升75.0%")
    # Negative: 4 on the day minus the 误报 = 3, against 2.
    assert (keys["negative"]["value"], keys["negative"]["previous"], keys["negative"]["change"]) == (3, 2, "上升50.0%")
    assert (keys["alerts"]["value"], keys["alerts"]["change"]) == (3, "上升50.0%")
    assert (keys["red"]["value"], keys["red"]["change"]) == (1, "持平")
    assert keys["false_alarms"]["value"] == 1
    assert r["trend"]["days"][-2:] == ["2026-11-28", "2026-11-29"] and r["trend"]["negative"][-2:] == [2, 3]
    assert "共监测到相关信息7条，环比上升75.0%" in r["summary"] and "负面信息3条" in r["summary"]
    assert "1起预警经核实为误报" in r["summary"]
    assert FALSE_TITLE not in r["summary"]
    # Cases: the three real alerts, the red one first, each with its 研判; never the 误报.
    titles = [c["title"] for c in r["cases"]]
    assert titles[0] == "甲公司拖延理赔半年引发投诉" and len(titles) == 3 and FALSE_TITLE not in titles
    assert r["cases"][0]["risk_type"] == "理赔纠纷" and r["cases"][0]["steps"] and r["cases"][0]["stage"]
    assert [f["title"] for f in r["false_alarms"]] == [FALSE_TITLE] and r["false_alarms"][0]["reason"] == "同名非会员机构"
    # Handling per unit: acknowledged, time to acknowledge, resolved, 误报.
    rows = {h["unit"]: h for h in r["handling"]}
    a, b = rows[app.config.unit(UNIT_A).name], rows[app.config.unit(UNIT_B).name]
    assert (a["alerts"], a["acknowledged"], a["ack_time"], a["unacknowledged"]) == (2, 1, "45分钟", 1)
    assert (b["alerts"], b["resolved"], b["false_alarms"], b["ack_time"]) == (1, 1, 1, "45分钟")
    assert any("未确认" in line and app.config.unit(UNIT_A).name in line for line in r["advice"])
    # What changed per unit: each unit's negatives the day before beside today's, in the page and in Word.
    assert sum(r["unit_previous"].values()) == keys["negative"]["previous"] == 2
    html = render.to_html(r, {})
    table = html[html.index('id="unit-table"'):]
    assert "<th>上期负面</th>" in table[:table.index("</thead>")]
    for name, _, _ in r["by_unit"]:
        assert f"<td>{name}</td>" in table


def test_a_unit_whose_negatives_dropped_to_zero_stays_in_the_unit_table(world):
    app, server, ports = world
    r = build.build(ports, build.Period.ending("daily", DAY + timedelta(days=1)))  # nothing on 11-30 yet
    a, b = app.config.unit(UNIT_A).name, app.config.unit(UNIT_B).name
    assert {(name, n, neg) for name, n, neg in r["by_unit"]} == {(a, 0, 0), (b, 0, 0)}
    assert r["unit_previous"][a] == 2 and r["unit_previous"][b] == 1  # 乙's 误报 taken out
    html = render.to_html(r, {})
    table = html[html.index('id="unit-table"'):]
    assert f"<tr><td>{a}</td><td>0</td><td>0</td><td>2</td></tr>" in table
    words = [[c.text for c in row.cells] for t in Docx(io.BytesIO(render.to_docx(r))).tables for row in t.rows]
    assert [a, "0", "0", "2"] in words


def test_a_case_that_began_as_a_post_is_headed_by_the_press_reports_headline(world):
    app, server, ports = world
    names = {u.id: u.name for u in app.config.members.units}
    at = datetime.combine(DAY, datetime.min.time(), TZ) + timedelta(hours=16)
    post = seed_doc({UNIT_B: "red"}, title="在乙公司买的重疾险，确诊后申请理赔，对方以未如实告知为由拒赔，打了十…",
                    text="在乙公司买的重疾险，确诊后申请理赔被拒。", url="http://weibo.example.cn/p/1", at=at,
                    story="post-1", channel="weibo", source_id="demo-weibo", site="weibo.example.cn", unit_names=names)
    press = seed_doc({UNIT_B: "red"}, title="市民重疾险确诊后理赔遭拒 乙公司称正在复核", text="市民反映重疾险理赔被拒。",
                     url="http://news.example.cn/r/press.html", at=at + timedelta(minutes=30), story="post-1",
                     unit_names=names)
    seed_app(app, [post])
    seed_app(app, [press])
    r = build.build(ports, build.Period.ending("daily", DAY))
    [case] = [c for c in r["cases"] if c["unit"] == names[UNIT_B] and c["level_value"] == "red"]
    assert (case["title"], case["url"]) == ("市民重疾险确诊后理赔遭拒 乙公司称正在复核", "http://news.example.cn/r/press.html")
    assert case["title"] in r["summary"]  # 需重点关注的是… names it so too


def test_a_post_with_no_press_report_is_told_as_what_netizens_reported_not_quoted_cut_off(world):
    app, server, ports = world
    names = {u.id: u.name for u in app.config.members.units}
    at = datetime.combine(DAY, datetime.min.time(), TZ) + timedelta(hours=18)
    opening = "在乙公司买的意外险，住院十天申请理赔，对方一直拖着不赔，打了十…"
    post = seed_doc({UNIT_B: "red"}, title=opening, text="在乙公司买的意外险，住院十天申请理赔，对方一直拖着不赔。",
                    url="http://weibo.example.cn/p/2", at=at, story="post-2", channel="weibo", source_id="demo-weibo",
                    site="weibo.example.cn", unit_names=names)
    seed_app(app, [post])
    r = build.build(ports, build.Period.ending("daily", DAY))
    [case] = [c for c in r["cases"] if c["url"] == "http://weibo.example.cn/p/2"]
    assert case["title"] == opening  # the case list still links the post as it reads
    assert case["subject"].startswith(f"微博网民反映{names[UNIT_B]}") and case["subject"].endswith("问题")
    said = r["summary"] + "".join(r["advice"])
    assert opening not in said and case["subject"] in said


def test_blue_alerts_are_counted_but_never_held_up_as_typical_cases(world):
    app, server, ports = world
    names = {u.id: u.name for u in app.config.members.units}
    at = datetime.combine(DAY, datetime.min.time(), TZ) + timedelta(hours=19)
    blue = seed_doc({UNIT_A: "blue"}, title="甲公司客服回复慢 网友吐槽", text="甲公司客服回复慢。", at=at,
                    url="http://news.example.cn/r/blue.html", story="blue-1", negativity=0.65, unit_names=names)
    seed_app(app, [blue])
    r = build.build(ports, build.Period.ending("daily", DAY))
    assert "甲公司客服回复慢 网友吐槽" not in [c["title"] for c in r["cases"]] and r["blue_alerts"] >= 1
    assert all(c["level_value"] != "blue" for c in r["cases"])
    note = render.cases_note(r)
    assert f"蓝色预警{r['blue_alerts']}起（一般关注）" in note and note in render.to_html(r, {})
    alone = render.cases_note({"cases": [], "blue_alerts": 2})
    assert alone == "本期无黄色及以上预警；蓝色预警2起（一般关注），见“各单位预警处置情况”。"
    assert render.cases_note({"cases": [], "blue_alerts": 0}) == "本期无有效预警。"


def test_a_case_is_named_by_its_headline_or_by_what_netizens_reported():
    assert build.subject("国寿吉林", "国寿吉林理赔遭投诉", None, ["拖延理赔"], "理赔纠纷") == "国寿吉林“国寿吉林理赔遭投诉”"
    assert build.subject("国寿吉林", "读者来信：国寿以“未如实告知”拒赔", None, [], "理赔纠纷") == \
        "国寿吉林“读者来信：国寿以‘未如实告知’拒赔”"
    post = build.subject("国寿吉林", "在国寿买的…", Channel.douyin, ["拖延理赔", "拒赔"], "理赔纠纷")
    assert post == "抖音网民反映国寿吉林拖延理赔、拒赔问题"
    assert build.subject("国寿吉林", "在国寿买的…", Channel.weibo, [], "理赔纠纷") == "微博网民反映国寿吉林理赔纠纷问题"


def test_an_english_headline_is_said_to_be_an_english_report_in_the_cases_and_the_summary(world):
    app, server, ports = world
    names = {u.id: u.name for u in app.config.members.units}
    at = datetime.combine(DAY, datetime.min.time(), TZ) + timedelta(hours=17)
    doc = seed_doc({UNIT_B: "red"}, title="Regulator fines insurer over mis-selling", text="The regulator fined it.",
                   url="http://wire.example.com/a/1", at=at, story="wire-1", channel="overseas", unit_names=names)
    seed_app(app, [doc])
    r = build.build(ports, build.Period.ending("daily", DAY))
    [case] = [c for c in r["cases"] if c["url"] == "http://wire.example.com/a/1"]
    assert case["title"] == "英文报道：Regulator fines insurer over mis-selling"
    assert "“英文报道：Regulator fines" in r["summary"]  # 需重点关注的是… quotes it so
    assert all(c["title"] == build.reader_title(c["title"]) for c in r["cases"])  # Chinese headlines as they are


def test_the_daily_trend_starts_where_the_data_starts_and_says_so(world):
    app, server, ports = world
    r = build.build(ports, build.Period.ending("daily", DAY))  # documents on 11-28 and 11-29 only
    assert r["trend"]["days"] == ["2026-11-28", "2026-11-29"] and r["trend"]["volume"] == [4, 7]
    assert r["trend"]["labels"] == ["11月28日（周六）", "11月29日（周日）"] and r["trend"]["note"] == "11月28日前无数据"
    first = build.build(ports, build.Period.ending("daily", DAY - timedelta(days=1)))
    assert first["trend"]["days"] == ["2026-11-28"] and first["trend"]["note"] == "无此前数据"
    words = "\n".join(p.text for p in Docx(io.BytesIO(render.to_docx(first))).paragraphs)
    assert "注：无此前数据。" in words
    html = render.to_html(first, {"trend": b"", "channels": b"", "units": b""})
    assert "无此前数据" in html and "每日信息量与负面占比" not in html  # one day is no trend: no chart
    week = build.build(ports, build.Period.ending("weekly", DAY))
    assert len(week["trend"]["days"]) == 7 and not week["trend"]["note"]  # the week's own days: zero is a figure


def test_the_masthead_dates_a_report_the_day_it_is_issued(world):
    app, server, ports = world  # the clock: Monday 2026-11-30 09:00
    assert build.build(ports, build.Period.ending("weekly", DAY))["date_text"] == "2026年11月30日"  # week to Sunday
    assert build.build(ports, build.Period.ending("daily", DAY))["date_text"] == "2026年11月30日"
    old = build.build(ports, build.Period.ending("daily", DAY - timedelta(days=1)))  # issued the morning after
    assert old["date_text"] == "2026年11月29日"
    today = build.build(ports, build.Period.ending("daily", DAY + timedelta(days=1)))  # not over yet: today
    assert today["date_text"] == "2026年11月30日"


def test_weekly_is_a_week_level_report_not_the_daily_over_seven_days(world, monkeypatch):
    app, server, ports = world
    r = build.build(ports, build.Period.ending("weekly", DAY))
    # For the association's leaders: the unit chart labelled with short names (full ones are cut off),
    # no scoring internals (负面指数, 来源权重…) in the cases.
    drawn: dict[str, list] = {}
    monkeypatch.setattr(render.charts, "bars", lambda items, title, **_: drawn.setdefault(title, items) and b"")
    render.chart_images(r)
    shorts = {u.short for u in app.config.members.units}
    assert drawn["各会员单位信息量"] and {name for name, _, _ in drawn["各会员单位信息量"]} <= shorts
    html = render.to_html(r, {})
    assert "定级依据" not in html and "来源权重" not in html
    # The cards, the risk table and the risk paragraph's one line.
    assert "上期为0" not in html and html.count("上期无数据") == 5 + len(r["risks"]) + 1
    assert r["previous_period"] == "2026年11月16日至2026年11月22日"
    assert len(r["trend"]["days"]) == 7 and r["trend"]["volume"][-2:] == [4, 7]
    keys = {k["key"]: k for k in r["key_numbers"]}
    # Nothing monitored the week before: every card says so (the cards said 上期为0 and 误报 0 环比持平 under
    # a 综述 saying 不作环比).
    assert {k["change"] for k in keys.values()} == {"上期无数据"} and keys["total"]["value"] == 11
    # Nor does the risk paragraph call every type 新出现: it says this week's figures once, 上期无数据.
    assert r["risk_shifts"] == ["本期各风险类型负面信息：理赔纠纷2条、销售误导2条、投诉维权1条（上期无数据，不作环比）"]
    # The association's report reads each unit's own reasons: each story its own risk type (the 误报 not counted).
    assert [(risk, cur) for risk, cur, _ in r["risks"]] == [("理赔纠纷", 2), ("销售误导", 2), ("投诉维权", 1)]
    assert keys["negative"]["value"] == 5
    assert "下周" in " ".join(r["advice"])
    # Nothing monitored the week before: said once, not "环比上期为0" after every figure.
    assert "共监测到相关信息11条（上期无监测数据，不作环比）" in r["summary"] and "上期为0" not in r["summary"]
    assert "会员单位中，" in r["summary"] and "中中" not in r["summary"]
    # A case names its source as readers know it, not the web host.
    names = {s.id: s.name for s in app.config.sources}
    assert {c["source"] for c in r["cases"]} == {names["demo-news"]}


def test_a_units_report_counts_that_unit_only(world):
    """人保财险's own 日报: its documents, alerts, handling and trend; 国寿吉林's alerts and 误报 are not there."""
    app, server, ports = world
    r = build.build(ports, build.Period.ending("daily", DAY), unit_id=UNIT_A)
    assert r["title"] == "人保财险舆情日报" and r["unit"]["id"] == UNIT_A
    keys = {k["key"]: k for k in r["key_numbers"]}
    # 甲 (UNIT_A): 5 documents on the day (red, yellow, 3 neutral), 2 the day before; 2 alerts, none false.
    assert (keys["total"]["value"], keys["total"]["previous"]) == (5, 2)
    assert (keys["negative"]["value"], keys["alerts"]["value"], keys["red"]["value"]) == (2, 2, 1)
    assert keys["false_alarms"]["value"] == 0 and r["false_alarms"] == []
    assert r["trend"]["volume"][-2:] == [2, 5]
    assert [c["title"] for c in r["cases"]] == ["甲公司拖延理赔半年引发投诉", "甲公司客服电话无人接听"]
    assert [h["unit"] for h in r["handling"]] == [app.config.unit(UNIT_A).name]
    assert [name for name, _, _ in r["by_unit"]] == [app.config.unit(UNIT_A).name]
    other = app.config.unit(UNIT_B)
    text = " ".join([r["summary"], *r["advice"]])
    assert other.name not in text and other.short not in text and "乙公司" not in text
    # Its own cases are 本单位's, not named in full after the masthead that names the unit already.
    assert f"需重点关注的是本单位“{r['cases'][0]['title']}”" in r["summary"]
    assert app.config.unit(UNIT_A).name not in r["summary"].split("需重点关注的是")[1]
    assert r["cases"][0]["unit"] == app.config.unit(UNIT_A).name  # the case card still says 涉及单位 in full


def _fields(element) -> list[str]:
    return [t.text.strip() for t in element.iter(qn("w:instrText"))]


def test_word_report_is_a4_with_masthead_page_numbers_toc_and_issue_numbers(world):
    app, server, ports = world
    service = server.web.state.reports
    first = service.generate("daily", DAY)
    assert first["issue"] == 1
    assert service.generate("daily", DAY + timedelta(days=1))["issue"] == 2
    assert service.generate("daily", DAY)["issue"] == 1  # regenerated: keeps its 期号
    assert service.generate("weekly", DAY)["issue"] == 1  # its own counter
    doc = Docx(io.BytesIO((service.dir / first["docx"]).read_bytes()))
    section = doc.sections[0]
    width, height = section.page_width, section.page_height
    assert width is not None and height is not None
    assert abs(width - Cm(21)) < Cm(0.01) and abs(height - Cm(29.7)) < Cm(0.01)
    assert "PAGE" in _fields(section.footer._element)
    assert any(f.startswith("TOC") for f in _fields(doc.element.body))
    texts = [p.text for p in doc.paragraphs]
    assert "舆情监测日报" in texts[0] and "第1期" in texts
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == ["一、综述", "二、舆情走势", "三、传播分布", "四、典型案例与研判", "五、各单位预警处置情况",
                        "六、研判与建议", "七、误报情况说明"]
    start = texts.index("目  录")  # the contents list the sections even before Word updates the field
    assert texts[start + 1:start + 1 + len(headings)] == headings
    trend = next(t for t in doc.tables if t.rows[0].cells[0].text == "日期")
    assert [row.cells[0].text for row in trend.rows[1:]] == ["11月28日（周六）", "11月29日（周日）"]
    assert not any(FALSE_TITLE in t for t in texts)  # not a case, not in the 综述
    false_rows = [row.cells[0].text for t in doc.tables for row in t.rows if FALSE_TITLE in row.cells[0].text]
    assert false_rows == [FALSE_TITLE]  # only in the 误报 table
    html = (service.dir / first["html"]).read_text("utf-8")
    assert "第1期" in html and "环比上升75.0%" in html and html.count(FALSE_TITLE) == 1


@pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                    reason="Debian chromium + chromium-driver not installed (.ci/run installs them)")
def test_console_generates_the_daily_report_and_the_browser_shows_the_same(world, tmp_path, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    app, server, ports = world
    server.start()
    driver = chromium(tmp_path / "profile", width=1100, height=900)
    try:
        driver.get(server.url + "/login")
        driver.find_element(By.ID, "username").send_keys("analyst")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login").click()
        WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "who")))
        driver.get(server.url + "/reports")
        driver.execute_script("document.getElementById('report-day').value = arguments[0]", DAY.isoformat())
        driver.find_element(By.ID, "do-report").click()
        link = WebDriverWait(driver, 60).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#report-list a[href$='daily-2026-11-29.html']")))
        assert "第1期" in driver.find_element(By.ID, "report-list").text
        driver.get(link.get_attribute("href"))
        report = build.build(ports, build.Period.ending("daily", DAY), issue=1)
        assert driver.find_element(By.ID, "summary-text").text == report["summary"]
        assert driver.find_element(By.ID, "issue").text == "第1期"
        assert "环比上升50.0%" in driver.find_element(By.ID, "key-negative").text
        assert FALSE_TITLE in driver.find_element(By.ID, "false-alarm-table").text
        assert FALSE_TITLE not in driver.find_element(By.ID, "cases").text
        assert [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#advice-list li")] == report["advice"]
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1100, min(height + 120, 8000))
        assert driver.save_screenshot(str(shots / "report-daily.png"))
        weekly = server.web.state.reports.generate("weekly", DAY)
        driver.get(f"{server.url}/reports/files/{weekly['html']}")
        assert "风险类型变化" in driver.find_element(By.ID, "risks").text
        assert "下周研判与建议" in driver.find_element(By.ID, "advice").text
        lead = Api(server.url, "lead_a")  # the association's reports are not a lead's: their list is their unit's
        assert lead.get("/api/reports").json() == [] and lead.get(f"/api/reports/{weekly['html']}").status_code == 404
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1100, min(height + 120, 8000))
        assert driver.save_screenshot(str(shots / "report-weekly.png"))
    finally:
        driver.quit()
