"""The seeded stories (tests/kit seed_doc, sample_docs: console tests, screenshots, reports) carry the risk
type the demo lexicon gives their words, as the scorer would: a 销售误导 story is not 理赔纠纷."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.kit import build_test_app, lexicon_risk_type, sample_docs, seed_doc

AT = datetime(2026, 11, 30, tzinfo=timezone.utc)


def risks(doc) -> dict[str, str]:
    return {r.phrase: r.risk_type for r in doc.reasons}


def test_each_phrase_gets_the_risk_type_the_lexicon_files_it_under():
    doc = seed_doc({"picc-jl": "orange"}, title="乙公司销售误导", text="乙公司销售误导，退保难，客户投诉。", url="http://x.cn/1",
                   at=AT, phrases=("销售误导", "退保难", "投诉", ("服务态度差", "投诉维权")))
    assert risks(doc) == {"销售误导": "销售误导", "退保难": "退保纠纷", "投诉": "投诉维权", "服务态度差": "投诉维权"}
    assert lexicon_risk_type("拖延理赔") == "理赔纠纷"
    with pytest.raises(KeyError, match="not a word of the demo lexicon"):
        seed_doc({"picc-jl": "orange"}, title="t", text="t", url="http://x.cn/2", at=AT, phrases=("服务态度差",))


def test_the_sample_stories_tell_their_own_risk_types(tmp_path):
    app = build_test_app(tmp_path)
    try:
        by_kind: dict[str, set[str | None]] = {}
        for doc in sample_docs(app):
            for word in ("理赔拖延", "销售误导", "客服电话"):
                if word in doc.title and not doc.title.startswith("转发"):
                    by_kind.setdefault(word, set()).update(r.risk_type for r in doc.reasons)
        assert by_kind == {"理赔拖延": {"理赔纠纷", "投诉维权"}, "销售误导": {"销售误导"}, "客服电话": {"服务纠纷"}}
    finally:
        app.close()
