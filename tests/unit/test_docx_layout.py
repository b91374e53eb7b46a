"""The house Word layout, read back with python-docx: A4, 报头, PAGE field, TOC, headings, 期号."""
import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from console.reports import docx_layout as layout


def _sample() -> bytes:
    doc = layout.new_document()
    layout.masthead(doc, "吉林省保险行业协会", "舆情监测日报", issue=7, date_text="2026年11月30日",
                    compiler="吉林省保险行业协会")
    layout.toc(doc)
    layout.heading(doc, "一、综述", 1)
    layout.paragraph(doc, "本期共监测到相关信息 10 条。")
    layout.heading(doc, "（一）渠道", 2)
    layout.table(doc, ["渠道", "信息量"], [["微博", 3]])
    return layout.to_bytes(doc)


def _instructions(element) -> list[str]:
    return [t.text.strip() for t in element.iter(qn("w:instrText"))]


def test_a4_with_margins_page_numbers_and_update_on_open():
    doc = Document(io.BytesIO(_sample()))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(0.01)
    assert abs(section.left_margin - Cm(2.8)) < Cm(0.01) and abs(section.top_margin - Cm(3.7)) < Cm(0.01)
    footer = _instructions(section.footer._element)
    assert "PAGE" in footer and "NUMPAGES" in footer
    flag = doc.settings.element.find(qn("w:updateFields"))
    assert flag is not None and flag.get(qn("w:val")) == "true"


def test_masthead_is_red_with_issue_number_and_compiler_and_toc_over_headings():
    doc = Document(io.BytesIO(_sample()))
    first = doc.paragraphs[0]
    assert "舆情监测日报" in first.text and first.runs[0].font.color.rgb == layout.RED
    texts = [p.text for p in doc.paragraphs]
    assert "第7期" in texts and any("编制单位：吉林省保险行业协会" in t and "2026年11月30日" in t for t in texts)
    assert any(i.startswith("TOC ") for i in _instructions(doc.element.body))
    styles = {p.style.name: p.text for p in doc.paragraphs if p.style.name.startswith("Heading")}
    assert styles == {"Heading 1": "一、综述", "Heading 2": "（一）渠道"}
    east_asia = doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia"))
    assert east_asia == layout.HEADING_FONT


def test_issue_counter_counts_per_kind_and_keeps_a_regenerated_reports_number(tmp_path):
    counter = layout.IssueCounter(tmp_path)
    assert counter.number("daily", "daily-2026-11-29") == 1
    assert counter.number("daily", "daily-2026-11-30") == 2
    assert counter.number("weekly", "weekly-2026-11-29") == 1
    assert counter.number("daily", "daily-2026-11-29") == 1  # regenerated: same 期号
    assert layout.IssueCounter(tmp_path).number("daily", "daily-2026-12-01") == 3  # persisted
