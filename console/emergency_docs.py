"""The 事件 documents as files: the 复盘 report (after closing) and the 专报 (on demand), each as a
standalone HTML page and a Word .docx on A4 (报头, 编号 and date, heading styles, page numbers in
the footer), from the dicts ``console.emergency_service.review`` / ``special`` build.

A small A4 layout of its own (python-docx): the report layout module the 日报/周报 get
(console/reports/) was not there when this was written; when it is, these should use it.
"""
from __future__ import annotations

import io
from pathlib import Path

from docx import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

CJK_FONT = "SimSun"
HEADING_FONT = "SimHei"
SECTIONS = {"review": ["一、事件概述", "二、时间线", "三、传播情况", "四、处置过程", "五、经验与改进"],
            "special": ["一、事件概况", "二、传播情况", "三、研判", "四、处置进展", "五、下一步建议"]}

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def to_html(data: dict) -> str:
    return _env.get_template("emergency_doc.html").render(r=data, sections=SECTIONS[data["kind"]])


def _fonts(run, size: float | None = None, bold: bool = False, font: str = CJK_FONT, color=None) -> None:
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if size:
        run.font.size = Pt(size)
    run.bold = bold
    if color is not None:
        run.font.color.rgb = color


def _para(doc, text: str, size: float = 12, bold: bool = False, center: bool = False, font: str = CJK_FONT,
          color=None, indent: bool = False):
    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _fonts(p.add_run(text), size, bold, font, color)
    return p


def _heading(doc, text: str, level: int = 1) -> None:
    h = doc.add_heading(level=level)
    _fonts(h.add_run(text), 15 if level == 1 else 13, True, HEADING_FONT, RGBColor(0, 0, 0))


def _table(doc, header: list[str], rows: list) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        _fonts(cell.paragraphs[0].add_run(text), 10, True)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = ""
            _fonts(cell.paragraphs[0].add_run(str(value)), 10)


def _page_numbers(section) -> None:
    """Footer: 第 N 页 / 共 M 页 (Word fields, filled in when the file is opened or printed)."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("第 ", None), (None, "PAGE"), (" 页 / 共 ", None), (None, "NUMPAGES"), (" 页", None)):
        run = p.add_run(text or "")
        _fonts(run, 9)
        if field:
            for kind, instr in (("begin", None), (None, field), ("end", None)):
                if kind:
                    el = OxmlElement("w:fldChar")
                    el.set(qn("w:fldCharType"), kind)
                else:
                    el = OxmlElement("w:instrText")
                    el.set(qn("xml:space"), "preserve")
                    el.text = f" {instr} \\* MERGEFORMAT "
                run._r.append(el)


def _a4(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    style = doc.styles["Normal"]
    style.font.name = CJK_FONT
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    _page_numbers(section)


def to_docx(data: dict) -> bytes:
    d = data["event"]
    doc = DocxDocument()
    _a4(doc)
    red = RGBColor(0xC0, 0x00, 0x00)
    _para(doc, data["association"], 22, True, center=True, font=HEADING_FONT, color=red)  # 报头
    _para(doc, data["title"], 18, True, center=True, font=HEADING_FONT, color=red)
    _para(doc, f"编号：{d['id']}　　　　{data['generated_at'][:10]}", 11, center=True)
    _para(doc, d["title"], 14, True, center=True)
    one, two, three, four, five = SECTIONS[data["kind"]]
    _heading(doc, one)
    _para(doc, data["overview"], indent=True)
    _table(doc, ["项目", "内容"], [["会员单位", d["unit_name"]], ["风险类型", d["risk_type"]],
                                 ["预警等级", d["level_label"]], ["启动方式", d["trigger"]],
                                 ["启动时间", data["opened"]], ["关闭时间", data["closed"]], ["持续时长", data["duration"]],
                                 ["首次确认", data["first_ack"]], ["状态", d["status_label"]]])
    if data["kind"] == "review":
        _heading(doc, two)
        _table(doc, ["时间", "事项"], data["timeline"] or [["—", "—"]])
    s = d["spread"]
    _heading(doc, three if data["kind"] == "review" else two)
    _para(doc, f"共监测到相关报道{s['documents']}篇，涉及站点{s['sites']}个，渠道：{'、'.join(s['channels']) or '—'}；"
               f"首次报道{s['first_seen'][:16].replace('T', ' ')}，最近报道{s['last_seen'][:16].replace('T', ' ')}；"
               f"当前预警等级{s['level_label']}。", indent=True)
    _table(doc, ["时间", "站点", "渠道", "标题"], data["documents"] or [["—", "—", "—", "—"]])
    if data["kind"] == "special":
        c = data["card"]
        _heading(doc, three)
        _para(doc, f"风险类型：{c['risk_type']}；阶段：{c['stage']}（{c['trend']}，{c['stage_reason']}）；"
                   f"传播主体：{'、'.join(c['carriers']) or '—'}；回应时限：{c['deadline']}前。", indent=True)
        for i, step in enumerate(c["steps"], 1):
            _para(doc, f"{i}. {step}")
        if c["statement"]:
            _para(doc, "回应口径（草稿）：", bold=True)
            _para(doc, c["statement"], indent=True)
    _heading(doc, four)
    _para(doc, f"处置清单完成{d['done']}/{d['total']}项；发送续报{d['bulletins']}期。", indent=True)
    _table(doc, ["", "事项", "完成人", "完成时间"], data["checklist"])
    _heading(doc, "责任人", 2)
    _table(doc, ["姓名", "职责", "电话", "邮箱"], data["people"] or [["—", "—", "—", "—"]])
    _heading(doc, "续报", 2)
    _table(doc, ["期数", "时间", "收件人数", "摘要"], data["bulletins"] or [["—", "—", "—", "本事件未发送续报"]])
    if data["kind"] == "review":
        _heading(doc, "处置情况小结", 2)
        _para(doc, data["summary_text"], indent=True)
        _heading(doc, five)
        _para(doc, data["lessons"], indent=True)
    else:
        _heading(doc, five)
        for i, step in enumerate(data["next_steps"], 1):
            _para(doc, f"{i}. {step}")
    _para(doc, f"生成时间：{data['generated_at']}", 9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
