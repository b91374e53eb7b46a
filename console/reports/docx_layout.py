"""The house layout of every Word document the console writes (日报, 周报, 专报, 复盘).

One place for what makes a file forwardable to leadership:

* A4 portrait (21 × 29.7 cm) with official-document margins (top 3.7,
  bottom 3.5, left 2.8, right 2.6 cm, as in GB/T 9704 公文格式);
* the 报头: a red title (e.g. "吉林省保险行业协会 舆情监测日报"), a line with
  第N期, the date and the 编制单位, and a red rule under it;
* page numbers in the footer as a ``PAGE`` field ("第 X 页 / 共 Y 页");
* ``Heading 1`` / ``Heading 2`` styles with the East Asian font set, so the
  navigation pane and the table of contents pick them up;
* a ``TOC`` field. python-docx cannot lay out pages, so the field is written
  with placeholder text and ``w:updateFields`` is set in the settings: Word
  asks to update fields when the file is opened and fills in the contents
  (LibreOffice updates the index on open as well).

Usage::

    doc = new_document()
    masthead(doc, "吉林省保险行业协会", "舆情监测日报", issue=12, date_text="2026年11月30日",
             compiler="吉林省保险行业协会舆情监测中心")
    toc(doc)
    heading(doc, "一、综述", 1)
    paragraph(doc, "本期共监测到……")
    table(doc, ["单位", "预警数"], [["甲", 3]])
    data = to_bytes(doc)

Issue numbers (期号) come from ``console.reports.issues`` (the console's store): one counter per
kind, so 日报 and 周报 count separately, and regenerating the same report keeps its number.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document as DocxDocument
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

CJK_FONT = "宋体"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
RED = RGBColor(0xC0, 0x00, 0x00)
A4 = (Cm(21), Cm(29.7))
MARGINS = {"top": Cm(3.7), "bottom": Cm(3.5), "left": Cm(2.8), "right": Cm(2.6)}


def set_font(run, size: float | None = None, bold: bool = False, font: str = CJK_FONT,
             color: RGBColor | None = None) -> None:
    """Latin and East Asian font both: without w:eastAsia Word shows Chinese in a Latin fallback."""
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if size:
        run.font.size = Pt(size)
    run.bold = bold
    if color is not None:
        run.font.color.rgb = color


def _style_font(style, font: str, size: float | None = None, color: RGBColor | None = None) -> None:
    style.font.name = font
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if size:
        style.font.size = Pt(size)
    if color is not None:
        style.font.color.rgb = color


def new_document() -> Document:
    """An empty A4 document with the margins, fonts, heading styles and page-number footer set."""
    doc = DocxDocument()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = A4
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.footer_distance = Cm(2.0)
    _style_font(doc.styles["Normal"], CJK_FONT, 12)
    _style_font(doc.styles["Heading 1"], HEADING_FONT, 16, RGBColor(0, 0, 0))
    _style_font(doc.styles["Heading 2"], HEADING_FONT, 14, RGBColor(0, 0, 0))
    _page_footer(section)
    _update_fields_on_open(doc)
    return doc


def _field(paragraph, instruction: str, placeholder: str = "1", size: float = 10.5) -> None:
    """A complex field (begin / instrText / separate / cached result / end) in one paragraph."""
    def char(kind: str):
        r = OxmlElement("w:r")
        fc = OxmlElement("w:fldChar")
        fc.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            fc.set(qn("w:dirty"), "true")  # recompute on open
        r.append(fc)
        return r
    paragraph._p.append(char("begin"))
    instr = OxmlElement("w:r")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    instr.append(text)
    paragraph._p.append(instr)
    paragraph._p.append(char("separate"))
    set_font(paragraph.add_run(placeholder), size)
    paragraph._p.append(char("end"))


def _page_footer(section) -> None:
    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run("第 "), 10.5)
    _field(p, "PAGE")
    set_font(p.add_run(" 页 / 共 "), 10.5)
    _field(p, "NUMPAGES")
    set_font(p.add_run(" 页"), 10.5)


_AFTER_UPDATE_FIELDS = {qn(f"w:{t}") for t in (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema", "themeFontLang",
    "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade", "captions",
    "readModeInkLockDown", "smartTagType", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")} | {
    "{http://schemas.openxmlformats.org/officeDocument/2006/math}mathPr"}


def _update_fields_on_open(doc: Document) -> None:
    settings = doc.settings.element
    flag = settings.find(qn("w:updateFields"))
    if flag is None:
        flag = OxmlElement("w:updateFields")
        # Schema order (CT_Settings): before hdrShapeDefaults, compat, rsids…; Word may refuse a file otherwise.
        later = next((child for child in settings if child.tag in _AFTER_UPDATE_FIELDS), None)
        if later is not None:
            later.addprevious(flag)
        else:
            settings.append(flag)
    flag.set(qn("w:val"), "true")


_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


def _red_rule(paragraph) -> None:
    """A red bottom border under the paragraph (the 报头's 红线)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # pPr children have a schema order (Word refuses a file otherwise): pBdr goes before these.
    ppr.insert_element_before(borders, *_AFTER_PBDR)


def masthead(doc: Document, organisation: str, title: str, *, issue: int | None, date_text: str,
             compiler: str, subtitle: str = "") -> None:
    """The 报头: red "<organisation> <title>", then 第N期, the 编制单位 and date over a red rule."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run(f"{organisation}\n{title}" if len(organisation) + len(title) > 16 else
                       f"{organisation} {title}"), 24, True, TITLE_FONT, RED)
    if issue is not None:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(p.add_run(f"第{issue}期"), 14)
    if subtitle:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(p.add_run(subtitle), 12)
    p = doc.add_paragraph()
    set_font(p.add_run(f"编制单位：{compiler}"), 12)
    p.add_run("\t")
    set_font(p.add_run(date_text), 12)
    right = A4[0] - MARGINS["left"] - MARGINS["right"]  # the text width: date flush right
    p.paragraph_format.tab_stops.add_tab_stop(Cm(right / 360000), alignment=WD_TAB_ALIGNMENT.RIGHT)
    _red_rule(p)


def toc(doc: Document, entries: Sequence[str] = (), title: str = "目  录", levels: str = "1-2") -> None:
    """A table of contents field over the Heading styles; Word fills it in (with page numbers) when the file
    is opened. Until then — and in a viewer that does not update fields (a phone, a PDF export) — the field
    shows ``entries``, the section titles, not an empty 目录."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run(title), 14, True, HEADING_FONT)
    lines = list(entries) or ["（打开文件时更新目录；如未更新，请右键“更新域”）"]
    first = doc.add_paragraph()
    _field(first, f'TOC \\o "{levels}" \\h \\z \\u', lines[0], size=12)
    if len(lines) > 1:
        end = first._p[-1]  # the field's end: after the last entry's paragraph
        first._p.remove(end)
        for line in lines[1:]:
            last = doc.add_paragraph()
            set_font(last.add_run(line), 12)
        last._p.append(end)


def heading(doc: Document, text: str, level: int = 1):
    return doc.add_heading(text, level)


def paragraph(doc: Document, text: str, size: float = 12, bold: bool = False, center: bool = False,
              indent: bool = True):
    p = doc.add_paragraph()
    set_font(p.add_run(text), size, bold)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)  # 首行缩进两字
    return p


HEADER_FILL = "E7ECF2"  # the header row's light grey-blue, as in the HTML report
KEEP_TOGETHER = 15  # rows: a table this short is kept on one page (with the heading before it)


def table(doc: Document, header: list[str], rows: list[list], size: float = 10.5,
          widths: list[float] | None = None):
    """A bordered table: a bold, shaded header row repeated on every page, rows never split across pages,
    figures centred; a short table is kept on one page. ``widths``: the columns' widths in cm (else equal)."""
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(t.rows[0].cells, header):
        cell.text = ""
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(cell.paragraphs[0].add_run(text), size, True)
        _shade(cell, HEADER_FILL)
    _row_flags(t.rows[0], "w:tblHeader")
    for row in rows:
        cells = t.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row)):
            cell.text = ""
            if i and isinstance(value, int | float):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            set_font(cell.paragraphs[0].add_run(str(value)), size)
    for row in t.rows[1:]:
        _row_flags(row)
    # Kept with the next row: the table is not left as a header at the foot of a page.
    keep_with_next(t, t.rows[:-1] if len(t.rows) <= KEEP_TOGETHER else t.rows[:1])
    if widths:
        _widths(t, widths)
    return t


def keep_with_next(t, rows=None) -> None:
    """Keep ``rows`` (all of ``t``'s: the table with the paragraph after it, e.g. its note) with what follows."""
    for row in t.rows if rows is None else rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shd.set(qn(key), value)
    cell._tc.get_or_add_tcPr().append(shd)


def _row_flags(row, *flags: str) -> None:
    """w:cantSplit (always) and ``flags`` (w:tblHeader) on the row, in schema order."""
    trpr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", *flags):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        trpr.append(el)


def _widths(t, widths: list[float]) -> None:
    t.autofit = False
    grid = t._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in t.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = Cm(w)


def picture(doc: Document, png: bytes, width_cm: float = 15.5) -> None:
    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def to_bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
