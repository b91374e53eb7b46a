"""The search export an analyst opens in Excel (console/search_service.py export_rows): Chinese headings,
a 摘要 and 倾向, and 负面要素 / 风险类型 only where they mean something — a negative document's lexicon
phrases, or the sentence the model found negative, never the words 模型判断该句偏负面."""
from __future__ import annotations

import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from console.search_service import EXPORT_COLUMNS, SearchForm, export_rows, to_xlsx
from contracts.messages import MODEL_EVIDENCE, Reason
from pipeline.index.base import Hit, SearchResult
from tests.kit import make_scored


def _ports(docs):
    def search(query):
        page = docs[query.offset:query.offset + query.limit]
        return SearchResult(total=len(docs), hits=[Hit(doc=d) for d in page])
    return SimpleNamespace(search=search, tz=ZoneInfo("Asia/Shanghai"), source_names={"demo-news": "吉林新闻网"},
                           unit_names={}, config=SimpleNamespace(rules=SimpleNamespace(negative_threshold=0.6)))


def _doc(n: int, negativity: float, reasons: list[Reason], level: bool = True):
    doc = make_scored({"chinalife-jl": "orange"}, url=f"http://news.example.cn/{n}.html", negativity=negativity,
                      text="第一段：长春市民反映理赔被拖延。\n\n第二段：" + "公司回应称正在核查。" * 30)
    return doc.model_copy(update={"reasons": reasons, **({} if level else {"level": None, "unit_levels": {}})})


def _rows(docs):
    return list(export_rows(_ports(docs), SearchForm()))


def test_a_document_the_model_alone_found_negative_quotes_its_sentence_not_the_models_label():
    model = Reason(phrase=MODEL_EVIDENCE, sentence="长春市民反映理赔被拖延了整整三个月，至今没有任何答复。")
    [row] = _rows([_doc(1, 0.9, [model])])
    assert row["phrases"] == "「长春市民反映理赔被拖延了整整三个月，至今没有任何答复。」"
    assert MODEL_EVIDENCE not in row["phrases"] and row["tendency"] == "负面"


def test_a_document_below_the_negative_line_shows_no_negative_elements_nor_risk_types():
    stray = [Reason(phrase="拖延", sentence="并未拖延", risk_type="理赔纠纷"), Reason(phrase=MODEL_EVIDENCE, sentence="x")]
    [row] = _rows([_doc(2, 0.3, stray, level=False)])
    assert (row["phrases"], row["risks"], row["level"], row["tendency"]) == ("", "", "", "非负面")


def test_lexicon_phrases_and_risk_types_of_a_negative_document_are_listed_once_each():
    reasons = [Reason(phrase="拖延理赔", sentence="a", risk_type="理赔纠纷"), Reason(phrase=MODEL_EVIDENCE, sentence="b"),
               Reason(phrase="拖延理赔", sentence="c", risk_type="理赔纠纷"), Reason(phrase="投诉", risk_type="投诉维权")]
    [row] = _rows([_doc(3, 0.95, reasons)])
    assert (row["phrases"], row["risks"]) == ("拖延理赔、投诉", "理赔纠纷、投诉维权")


def test_the_summary_is_the_texts_start_on_one_line_and_each_excel_column_has_its_width():
    [row] = _rows([_doc(4, 0.9, [])])
    assert row["summary"].startswith("第一段：长春市民反映理赔被拖延。 第二段：") and row["summary"].endswith("…")
    assert "\n" not in row["summary"] and len(row["summary"]) <= 120
    assert row["source"] == "吉林新闻网" and row["published_at"] == "2026-01-01 08:00"
    sheet = load_workbook(io.BytesIO(to_xlsx([row]))).active
    assert [c.value for c in sheet[1]] == [heading for _, heading, _ in EXPORT_COLUMNS]
    assert sheet.column_dimensions["N"].width == 50 and sheet["N1"].value == "链接"  # the last column too
