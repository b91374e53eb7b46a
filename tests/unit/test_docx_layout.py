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
    width, height, left, top = section.page_width, section.page_height, section.left_margin, section.top_margin
    assert width is not None and height is not None and left is not None and top is not None  # all set
    assert abs(width - Cm(21)) < Cm(0.01) and abs(height - Cm(29.7)) < Cm(0.01)
    assert abs(left - Cm(2.8)) < Cm(0.01) and abs(top - Cm(3.7)) < Cm(0.01)
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
    styles = {p.style.name: p.text for p in doc.paragraphs
              if p.style is not None and p.style.name and p.style.name.startswith("Heading")}
    assert styles == {"Heading 1": "一、综述", "Heading 2": "（一）渠道"}
    east_asia = doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia"))
    assert east_asia == layout.HEADING_FONT


def test_the_toc_shows_the_section_titles_until_word_updates_it():
    doc = layout.new_document()
    layout.toc(doc, ["一、综述", "二、舆情走势", "三、研判与建议"])
    layout.heading(doc, "一、综述", 1)
    body = Document(io.BytesIO(layout.to_bytes(doc)))
    texts = [p.text for p in body.paragraphs]
    start = texts.index("目  录")
    assert texts[start + 1:start + 4] == ["一、综述", "二、舆情走势", "三、研判与建议"]  # not an empty 目录
    kinds = [(i, c.get(qn("w:fldCharType"))) for i, p in enumerate(body.paragraphs)
             for c in p._p.iter(qn("w:fldChar"))]
    assert kinds == [(start + 1, "begin"), (start + 1, "separate"), (start + 3, "end")]  # one field over the entries


def test_tables_repeat_a_shaded_header_never_split_rows_keep_short_tables_together_and_take_widths():
    doc = layout.new_document()
    layout.heading(doc, "五、各单位预警处置情况", 1)
    layout.table(doc, ["会员单位", "预警数"], [["中国人寿保险股份有限公司吉林省分公司", 2], ["人保财险", 1]], widths=[9.0, 3.0])
    layout.table(doc, ["日期", "信息量"], [[f"11月{d}日", d] for d in range(1, 21)])
    short, long = Document(io.BytesIO(layout.to_bytes(doc))).tables
    header = short.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    assert all((tr := r._tr.trPr) is not None and tr.find(qn("w:cantSplit")) is not None for r in [*short.rows, *long.rows])
    cell = short.rows[0].cells[0]._tc.tcPr
    shading = cell.find(qn("w:shd")) if cell is not None else None
    assert shading is not None and shading.get(qn("w:fill")) == layout.HEADER_FILL
    keep = [r.cells[0].paragraphs[0].paragraph_format.keep_with_next for r in short.rows]
    assert keep == [True, True, None]  # the short table stays on one page
    assert [r.cells[0].paragraphs[0].paragraph_format.keep_with_next for r in long.rows[:3]] == [True, None, None]
    grid = [int(c.get(qn("w:w")) or -1) for c in short._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert grid == [int(Cm(9).twips), int(Cm(3).twips)]
    assert short.rows[1].cells[1].paragraphs[0].alignment == layout.WD_ALIGN_PARAGRAPH.CENTER  # figures centred
