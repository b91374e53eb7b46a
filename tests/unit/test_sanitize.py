"""Crawled text made inert per medium (contracts/sanitize.py), and the
spreadsheet exports that use it: no cell starts a formula."""
import csv
import io

import pytest
from openpyxl import load_workbook

from alerting.audit import export
from console.search_service import EXPORT_COLUMNS, to_csv, to_xlsx
from contracts.sanitize import cell, markdown_text, markdown_url, multiline, one_line

FORMULAS = ["=HYPERLINK(\"http://evil.example.com\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("raw", ["a\u2028b", "a\u2029b", "a\r\nb", "a\nb", "a\x0bb", "a\x0cb", "a\x85b"])
def test_one_line_turns_every_line_break_into_a_space(raw):
    assert one_line(raw) == "a b"


def test_one_line_drops_controls_and_bidi_overrides_and_keeps_chinese():
    assert one_line("拒赔\x00\x07\x1b[31m\u202e通知\u2066") == "拒赔[31m通知"


def test_markdown_text_cannot_make_a_link_image_or_tag():
    out = markdown_text("标题](http://evil) [确认收到](http://evil) ![x](http://evil/i.png) <a href=x>y</a> **粗**")
    assert not any(ch in out for ch in "[]()<>*!")
    assert "确认收到" in out and "http://evil" in out  # shown, not linked


@pytest.mark.parametrize("url, expected", [
    ("http://news.example.cn/a/1.html", "http://news.example.cn/a/1.html"),
    ("https://news.example.cn/a?x=1&y=2#p", "https://news.example.cn/a?x=1&y=2#p"),
    ("http://x.cn/a) [确认收到](http://evil", None),
    ("javascript:alert(1)", ""), ("data:text/html,hi", ""), ("//evil.example.com", ""),
])
def test_markdown_url_is_one_http_link(url, expected):
    out = markdown_url(url)
    if expected is not None:
        assert out == expected
    else:
        assert not any(ch in out for ch in "()[] ") and out.startswith("http://x.cn/a")


def test_multiline_keeps_newlines_and_drops_other_controls():
    assert multiline("一\r\n二\u2028三\x07") == "一\n二\n三"


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_never_starts_a_formula(value):
    out = cell(value)
    assert isinstance(out, str) and out.startswith("'")


def test_cells_that_are_not_text_or_not_formulas_pass_unchanged():
    assert cell(0.85) == 0.85 and cell(None) is None and cell("理赔纠纷") == "理赔纠纷"


def rows():
    def value(key: str, i: int):
        if key == "negativity":
            return 0.5
        return FORMULAS[i % len(FORMULAS)] if key in ("title", "site", "phrases") else "x"
    return [{k: value(k, i) for k, _, _ in EXPORT_COLUMNS} for i in range(len(FORMULAS))]


def test_search_exports_have_no_formula_cells():
    table = list(csv.reader(io.StringIO(to_csv(rows()).decode("utf-8-sig"))))[1:]
    assert table and all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in table for c in r)
    sheet = load_workbook(io.BytesIO(to_xlsx(rows()))).active
    values = [c.value for r in sheet.iter_rows(min_row=2) for c in r]
    assert all(c.data_type != "f" for r in sheet.iter_rows(min_row=2) for c in r)
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))) for v in values)
    assert 0.5 in values  # numbers stay numbers


def test_audit_csv_has_no_formula_cells():
    out = io.StringIO()
    export([{"at": "2026-01-01", "event": "=cmd|' /C calc'!A0", "who": "+张三", "error": "@x"}], "csv", out)
    body = list(csv.reader(io.StringIO(out.getvalue())))[1]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in body)


def test_every_code_point_is_kept_or_dropped_as_the_printable_rule_says():
    # The one-pass expression must drop exactly what the per-character rule
    # drops (tab and line feed aside, which the callers handle), over all of Unicode.
    from contracts.sanitize import _UNPRINTABLE, _printable
    for cp in range(0x110000):
        ch = chr(cp)
        if ch in "\t\n":
            assert not _UNPRINTABLE.match(ch)
            continue
        assert bool(_UNPRINTABLE.match(ch)) is not _printable(ch), hex(cp)
    assert multiline("a\u202eb\x00c\r\nd\te") == "abc\nd\te"
    assert one_line("a\u2066b\x7f\tc\nd") == "ab c d"
    assert cell("x\x1by\nz\t") == "xy\nz\t"
