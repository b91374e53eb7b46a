"""Render a report (``build.build`` data) as a standalone HTML file and as Word .docx.

Both renderings walk the same list of sections (``sections``), so the
console's web version and the Word file say the same things in the same
order. A 日报 and a 周报 differ in their sections, not only their period:
the 周报 leads with the week's per-day trend and the shifts between risk
types, and closes with 下周研判与建议.

The HTML is self-contained (inline CSS, charts as PNG data URIs), so the
file can be mailed or opened from disk; the console serves the same file.
The Word file uses the house layout (``docx_layout``: A4, 报头 with 期号,
page numbers, headings, table of contents).
"""
from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from console.reports import charts
from console.reports import docx_layout as layout
from console.reports.narrative import NO_PREVIOUS, change

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NUMERALS = "一二三四五六七八九十"

SECTIONS = {
    "daily": [("summary", "综述"), ("trend", "舆情走势"), ("distribution", "传播分布"),
              ("cases", "典型案例与研判"), ("handling", "各单位预警处置情况"), ("advice", "研判与建议"),
              ("false_alarms", "误报情况说明")],
    "weekly": [("summary", "综述"), ("trend", "本周舆情走势"), ("risks", "风险类型变化"),
               ("distribution", "渠道与会员单位分布"), ("cases", "本周典型案例与研判"),
               ("handling", "各单位预警处置情况"), ("advice", "下周研判与建议"), ("false_alarms", "误报情况说明")],
}


# A unit's own report (``report["unit"]``) has no distribution over units and handles one unit.
UNIT_TITLES = {"distribution": "传播渠道分布", "handling": "本单位预警处置情况"}


def sections(report: dict) -> list[dict]:
    titles = UNIT_TITLES if report.get("unit") else {}
    return [{"key": key, "title": f"{NUMERALS[i]}、{titles.get(key, title)}"}
            for i, (key, title) in enumerate(SECTIONS[report["kind"]])]


def chart_images(report: dict) -> dict[str, bytes]:
    t = report["trend"]
    images = {
        "trend": charts.trend(t["days"], t["volume"], t["negative"], "每日信息量与负面占比"),
        "channels": charts.bars(report["by_channel"], "各渠道信息量"),
    }
    if not report.get("unit"):
        short = report.get("unit_labels", {})  # 人保财险, not "中国人民财产保险股份有限公司吉林省…" cut off
        images["units"] = charts.bars([(short.get(name, name), n, neg) for name, n, neg in
                                       sorted(report["by_unit"], key=lambda r: -r[1])], "各会员单位信息量")
    return images


def to_html(report: dict, images: dict[str, bytes] | None = None) -> str:
    images = images if images is not None else chart_images(report)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    uris = {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii") for k, v in images.items()}
    return env.get_template("report.html").render(r=report, charts=uris, sections=sections(report), change=change,
                                                 handling_note=handling_note(report), cases_note=cases_note(report))


# ---------------------------------------------------------------- Word

def _summary(doc, r: dict, images: dict[str, bytes]) -> None:
    layout.paragraph(doc, r["summary"])
    layout.table(doc, ["指标", "本期", "上期", "环比"],
                 [[k["label"], f"{k['value']}{k['unit']}",
                   "—" if k["change"] == NO_PREVIOUS else f"{k['previous']}{k['unit']}", k["change"]]
                  for k in r["key_numbers"]])
    layout.paragraph(doc, f"注：负面信息指负面度不低于{r['threshold']}的信息；上期为{r['previous_period']}。", 10.5)


def _trend(doc, r: dict, images: dict[str, bytes]) -> None:
    t = r["trend"]
    if len(t["days"]) > 1:  # one day is no trend
        layout.picture(doc, images["trend"])
    days = layout.table(doc, ["日期", "信息量", "负面信息"],
                        [[d, v, n] for d, v, n in zip(t["labels"], t["volume"], t["negative"])], widths=[6.0, 4.5, 4.5])
    if t.get("note"):
        layout.keep_with_next(days)
        layout.paragraph(doc, f"注：{t['note']}。", 10.5)


def _risks(doc, r: dict, images: dict[str, bytes]) -> None:
    for line in r["risk_shifts"] or ["各风险类型负面信息与上期持平。"]:
        layout.paragraph(doc, line + ("" if line.endswith("。") else "。"))
    _risk_table(doc, r)


def _risk_table(doc, r: dict) -> None:
    layout.table(doc, ["风险类型", "本期负面信息", "上期", "环比"],
                 [[name, cur, "—", NO_PREVIOUS] if r.get("first_period") else [name, cur, prev, change(cur, prev)]
                  for name, cur, prev in r["risks"]] or [["-", 0, 0, "持平"]])


def _distribution(doc, r: dict, images: dict[str, bytes]) -> None:
    layout.heading(doc, "（一）渠道分布", 2)
    layout.picture(doc, images["channels"])
    layout.table(doc, ["渠道", "信息量", "负面信息"], [list(x) for x in r["by_channel"]] or [["-", 0, 0]])
    if not r.get("unit"):
        layout.heading(doc, "（二）会员单位分布", 2)
        layout.picture(doc, images["units"])
        layout.table(doc, ["会员单位", "信息量", "负面信息", "上期负面"],
                     [[*x, "—" if r.get("first_period") else r.get("unit_previous", {}).get(x[0], 0)] for x in r["by_unit"]]
                     or [["-", 0, 0, "-"]], widths=[8.4, 2.2, 2.2, 2.2])
    if r["kind"] == "daily":
        layout.heading(doc, "（二）风险类型分布" if r.get("unit") else "（三）风险类型分布", 2)
        _risk_table(doc, r)


def cases_note(r: dict) -> str:
    """The 典型案例 section's word on what it leaves out: blue alerts (一般关注) are counted, not told as cases."""
    blue = r.get("blue_alerts", 0)
    if r["cases"]:
        return f"另有蓝色预警{blue}起（一般关注），未列为典型案例，见“各单位预警处置情况”。" if blue else ""
    if blue:
        return f"本期无黄色及以上预警；蓝色预警{blue}起（一般关注），见“各单位预警处置情况”。"
    return "本期无有效预警。"


def _cases(doc, r: dict, images: dict[str, bytes]) -> None:
    if not r["cases"]:
        layout.paragraph(doc, cases_note(r))
        return
    for i, c in enumerate(r["cases"], 1):
        layout.heading(doc, f"{i}. {c['title']}", 2)
        layout.paragraph(doc, f"涉及单位：{c['unit']}；预警等级：{c['level']}；首次发现：{c['first_seen']}；"
                              f"来源：{c['source']}（{c['channels']}，相关报道{c['docs']}篇）；处置状态：{c['status']}。")
        layout.paragraph(doc, f"研判：{c['risk_type']}，处于{c['stage']}阶段（{c['stage_reason'] or c['trend']}），"
                              f"传播主体：{c['carriers']}。")
        if c["assessment"]:
            layout.paragraph(doc, f"值班研判意见：{c['assessment']}")
        else:
            layout.paragraph(doc, f"处置建议：{'；'.join(c['steps']) or '核实情况'}（{c['deadline_hours']:g}小时内回应）。")
        for note in c["handling_notes"]:
            layout.paragraph(doc, f"处置记录：{note}", 10.5)
    if cases_note(r):
        layout.paragraph(doc, cases_note(r))


def _handling(doc, r: dict, images: dict[str, bytes]) -> None:
    if not r["handling"]:
        layout.paragraph(doc, "本期无预警。")
        return
    layout.table(doc, ["会员单位", "预警数", "等级", "已确认", "确认用时（中位）", "未确认", "处置中", "已处置", "误报"],
                 [[h["unit"], h["alerts"], h["levels"], h["acknowledged"], h["ack_time"], h["unacknowledged"],
                   h["handling"], h["resolved"], h["false_alarms"]] for h in r["handling"]], 9,
                 widths=[3.3, 1.45, 1.7, 1.45, 1.9, 1.45, 1.45, 1.45, 1.1])
    if note := handling_note(r):
        layout.paragraph(doc, note, 10.5)


def handling_note(r: dict) -> str:
    """The note under 各单位预警处置情况 (Word and HTML) on alerts the association closed while held."""
    by_association = sum(h.get("association_resolved", 0) for h in r["handling"])
    if not by_association:
        return ""
    return f"注：另有{by_association}条预警在复核阶段由协会处置完毕、未转发单位，计入预警数，不计入单位的已确认与已处置。"


def _advice(doc, r: dict, images: dict[str, bytes]) -> None:
    for i, line in enumerate(r["advice"], 1):
        layout.paragraph(doc, f"{i}. {line}")


def _false_alarms(doc, r: dict, images: dict[str, bytes]) -> None:
    if not r["false_alarms"]:
        layout.paragraph(doc, "本期无误报。")
        return
    layout.paragraph(doc, "以下预警经核实为误报，未计入本期负面信息、预警数与典型案例：")
    layout.table(doc, ["标题", "会员单位", "原等级", "首次发现", "误报原因", "标记人"],
                 [[f["title"], f["unit"], f["level"], f["first_seen"], f["reason"], f["by"]] for f in r["false_alarms"]],
                 10.5, widths=[4.2, 3.0, 1.5, 2.2, 3.0, 1.7])


WORD = {"summary": _summary, "trend": _trend, "risks": _risks, "distribution": _distribution, "cases": _cases,
        "handling": _handling, "advice": _advice, "false_alarms": _false_alarms}


def to_docx(report: dict, images: dict[str, bytes] | None = None) -> bytes:
    images = images if images is not None else chart_images(report)
    doc = layout.new_document()
    layout.masthead(doc, report["association"], report["masthead"], issue=report["issue"],
                    date_text=report["date_text"], compiler=report["association"],
                    subtitle=f"（{report['period']}）")
    layout.toc(doc, [s["title"] for s in sections(report)])
    for section in sections(report):
        layout.heading(doc, section["title"], 1)
        WORD[section["key"]](doc, report, images)
    layout.paragraph(doc, f"生成时间：{report['generated_at']}", 10.5, indent=False)
    return layout.to_bytes(doc)
