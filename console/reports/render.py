"""Render a report (``build.build`` data) as a standalone HTML file and as Word .docx.

The HTML is self-contained (inline CSS, charts as PNG data URIs), so the
file can be mailed or opened from disk; the console serves the same file.
The Word file uses python-docx with the East Asian font set explicitly,
otherwise Word falls back to a Latin font for Chinese text.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

from docx import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from jinja2 import Environment, FileSystemLoader, select_autoescape

from console.reports import charts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CJK_FONT = "宋体"


def chart_images(report: dict) -> dict[str, bytes]:
    t = report["trend"]
    return {
        "trend": charts.trend(t["days"], t["volume"], t["negative"], "每日信息量与负面占比"),
        "channels": charts.bars(report["by_channel"], "各渠道信息量"),
        "units": charts.bars(sorted(report["by_unit"], key=lambda r: -r[1]), "各会员单位信息量"),
    }


def to_html(report: dict, images: dict[str, bytes] | None = None) -> str:
    images = images if images is not None else chart_images(report)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    uris = {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii") for k, v in images.items()}
    return env.get_template("report.html").render(r=report, charts=uris)


def _font(run, size: float | None = None, bold: bool = False) -> None:
    run.font.name = CJK_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def _para(doc, text: str, size: float = 11, bold: bool = False, center: bool = False):
    p = doc.add_paragraph()
    _font(p.add_run(text), size, bold)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _table(doc, header: list[str], rows: list[list]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), 10, True)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(str(value)), 10)


def to_docx(report: dict, images: dict[str, bytes] | None = None) -> bytes:
    images = images if images is not None else chart_images(report)
    doc = DocxDocument()
    style = doc.styles["Normal"]
    style.font.name = CJK_FONT
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    _para(doc, f"{report['association']}{report['title']}", 18, True, center=True)
    _para(doc, f"{report['period']}　　生成时间：{report['generated_at']}", 10, center=True)

    _para(doc, "一、总体情况", 14, True)
    share = f"{report['negative'] / report['total']:.1%}" if report["total"] else "0%"
    _para(doc, f"本期共监测到相关信息 {report['total']} 条，其中负面信息 {report['negative']} 条（负面占比 {share}，"
               f"负面阈值 {report['threshold']}）；触发预警 {report['alerts_total']} 起"
               + ("（" + "，".join(f"{k}{v}起" for k, v in report["alerts_by_level"]) + "）"
                  if report["alerts_by_level"] else "") + "。")
    doc.add_picture(io.BytesIO(images["trend"]), width=Cm(16))

    _para(doc, "二、渠道分布", 14, True)
    doc.add_picture(io.BytesIO(images["channels"]), width=Cm(16))
    _table(doc, ["渠道", "信息量", "负面信息"], [list(r) for r in report["by_channel"]] or [["-", 0, 0]])

    _para(doc, "三、会员单位分布", 14, True)
    doc.add_picture(io.BytesIO(images["units"]), width=Cm(16))
    _table(doc, ["会员单位", "信息量", "负面信息"], [list(r) for r in report["by_unit"]] or [["-", 0, 0]])

    _para(doc, "四、重点负面舆情", 14, True)
    if report["top_stories"]:
        _table(doc, ["序号", "标题", "来源", "时间", "涉及单位", "负面度", "负面要素"],
               [[i + 1, s["title"], f"{s['site']}（{s['channel']}）", s["published_at"], s["units"], s["negativity"],
                 s["phrases"]] for i, s in enumerate(report["top_stories"])])
    else:
        _para(doc, "本期未发现负面舆情。")

    _para(doc, "五、各单位预警处置情况", 14, True)
    if report["handling"]:
        _table(doc, ["会员单位", "预警数", "等级", "未确认", "已确认", "处置中", "已处置", "误报"],
               [[h["unit"], h["alerts"], h["levels"], h["unacknowledged"], h["acknowledged"], h["handling"],
                 h["resolved"], h["dismissed"]] for h in report["handling"]])
    else:
        _para(doc, "本期无预警。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
