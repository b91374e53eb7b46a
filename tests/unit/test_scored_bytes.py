"""The score role's encoding (ScoredDocument.to_bytes_from): the bus record's own bytes for the document's
fields, then the scored fields — it decodes to the message to_bytes() gives, whatever the record held."""
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from contracts.messages import Document, Reason, ScoredDocument, UnitMatch
from sentiment.scored import scored_document

T = datetime(2026, 12, 2, 20, 5, 7, 123456, tzinfo=timezone(timedelta(hours=8)))

TEXTS = [
    "",
    "国寿吉林拒赔，“未如实告知”。\n第二段\t制表\r回车",
    'ASCII "quotes" and \\backslashes\\ and a trailing backslash \\',
    "控制字符\x00\x01\x1f\x7f之间",
    "emoji 😀🙏 beyond the BMP, and 𠀀",
    "line\u2028and paragraph\u2029separators",
    '"text":"not a key" inside the text, and }',
    "长" * 3000,
]  # (a lone surrogate, "\ud800", is no valid JSON: the record is dead-lettered when decoded, never scored)


def doc_of(text: str, **fields) -> Document:
    base: dict[str, Any] = dict(url="http://a.example.cn/1", source_id="s", channel="weibo", site="a.example.cn",
                title='标题 "quoted" \\ 😀', text=text, crawled_at=T, published_at=T - timedelta(hours=1),
                engagement={"likes": 3}, author="王\n先生")
    base.update(fields)
    return Document.create(**base)


def scored_from(doc: Document) -> ScoredDocument:
    units = [UnitMatch(unit_id="u1", unit_name="国寿吉林", aliases=["国寿"], positions=[0, 5])]
    reasons = [Reason(phrase="拒赔", sentence=doc.text[:20] or "句", risk_type="理赔纠纷", weight=0.8)]
    return scored_document(doc, units, [], 0.8, {"u1": 0.8}, reasons, None, {}, {"u1": "因为"}, "", [], ["拒赔"],
                           "story1", T, {"u1": 1.0})


def assert_same_message(out: ScoredDocument, doc: Document, raw: bytes) -> bytes:
    spliced = out.to_bytes_from(doc, raw)
    assert ScoredDocument.from_bytes(spliced) == ScoredDocument.from_bytes(out.to_bytes()) == out
    return spliced


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_the_records_bytes_and_the_scored_fields_decode_to_the_message(text):
    doc = Document.from_bytes(doc_of(text).to_bytes())
    out = scored_from(doc)
    # A record as pydantic writes it (as the crawlers publish): the same bytes as to_bytes() gives.
    assert out.to_bytes_from(doc, doc_of(text).to_bytes()) == out.to_bytes()
    # Written another way (every non-ASCII character escaped, spaces): its own bytes kept, the text not written again.
    raw = json.dumps(json.loads(doc_of(text).to_bytes()), ensure_ascii=True, indent=1).encode()
    doc = Document.from_bytes(raw)
    spliced = assert_same_message(scored_from(doc), doc, raw)
    assert spliced.startswith(raw[:-1]) and len(spliced) > len(out.to_bytes())


def test_a_record_written_another_way_decodes_the_same():
    # Other escapes (\\u for every non-ASCII character), spacing, key order, a field written twice (the
    # last one read, as when the document was decoded), a field left at its default, another time zone.
    raw = json.dumps({"title": "标题", "id": "d1", "url": "http://a.example.cn/1", "source_id": "s",
                      "channel": "news", "site": "a.example.cn", "crawled_at": "2026-12-02T12:05:07Z",
                      "published_at": "2026-12-02 20:05:07+08:00", "engagement": {"likes": "3"},
                      "text": "国寿吉林\u2028拒赔\n“未如实告知”"}, ensure_ascii=True, indent=1).encode() + b"  \n"
    raw = b'{"te\\u0078t": "\\u65e9\\u5148\\u7684",' + raw[1:]  # written twice, first with an escaped key
    doc = Document.from_bytes(raw)
    assert doc.text == "国寿吉林\u2028拒赔\n“未如实告知”" and doc.engagement == {"likes": 3}
    spliced = assert_same_message(scored_from(doc), doc, raw)
    assert spliced.startswith(raw.rstrip()[:-1])


def test_anything_the_record_does_not_carry_as_decoded_is_written_whole():
    doc = doc_of("正文")
    raw = doc.to_bytes()
    doc = Document.from_bytes(raw)
    out = scored_from(doc)
    whole = out.to_bytes()
    # a document field changed after decoding (equal, but not the object decoded): not the record's
    changed = out.model_copy(update={"published_at": doc.published_at.astimezone(timezone.utc)})
    assert changed.to_bytes_from(doc, raw) == changed.to_bytes()
    retitled = out.model_copy(update={"title": "另一个标题"})
    assert ScoredDocument.from_bytes(retitled.to_bytes_from(doc, raw)).title == "另一个标题"
    # an extra field in the record (it might name a scored field), or in the message; raw not bytes
    extra = Document.from_bytes(raw[:-1] + b',"units":[]}')
    assert ScoredDocument.from_document(extra, story_id="s").to_bytes_from(extra, raw) == \
        ScoredDocument.from_document(extra, story_id="s").to_bytes()
    assert out.to_bytes_from(doc, bytearray(raw)) == whole  # type: ignore[arg-type]
    assert out.to_bytes_from(doc, raw.decode()) == whole  # type: ignore[arg-type]
    # the engagement the scorer copies: equal is the record's, changed is not
    counted = out.model_copy(update={"engagement": {"likes": 4}})
    assert ScoredDocument.from_bytes(counted.to_bytes_from(doc, raw)).engagement == {"likes": 4}
    assert out.to_bytes_from(doc, raw) == whole  # the record as pydantic writes it: the same bytes


# Decoding: a long text read apart from the rest (contracts/messages.py _text_apart), as pydantic reads it.

def _raw(text_json: bytes | None, **members) -> bytes:
    """A document's JSON with its text member written as ``text_json`` (None: none), other members added."""
    base = json.loads(doc_of("x").to_bytes())
    base.pop("text")
    base.update(members)
    body = json.dumps(base, ensure_ascii=False, separators=(",", ":")).encode()
    return body if text_json is None else body[:-1] + b',"text":' + text_json + b"}"


ODD = [
    '"plain 正文"'.encode(), b'""', b'"\\\\"', b'"\\\\\\""', b'"a\\\\\\\\"', b'"quote \\" inside"', b'"\\n\\t\\/\\b\\f\\r"',
    b'"\\u4e2d\\u6587"', b'"\\ud83d\\ude00"', b'"\\ud800"', b'"raw\ttab"', b'"raw\x01"', b'"bad \\x escape"',
    b'"\xff\xfe"', b'"emoji \xf0\x9f\x98\x80 \xe2\x80\xa8"', b'"unterminated', b'5', b'null',
]


@pytest.mark.parametrize("text_json", ODD, ids=range(len(ODD)))
@pytest.mark.parametrize("cls", [Document, ScoredDocument])
def test_a_text_read_apart_is_what_pydantic_reads_or_the_same_error(cls, text_json):
    for raw in (_raw(text_json), _raw(text_json, author="作者")[:-1] + b"}"):
        try:
            want = cls.model_validate_json(raw)
        except ValueError as e:
            with pytest.raises(ValueError) as got:
                cls.from_bytes(raw)
            assert str(got.value) == str(e)  # the dead-letter record says what pydantic says
        else:
            got = cls.from_bytes(raw)
            assert got == want and got.text == want.text and got.model_fields_set == want.model_fields_set


def test_a_text_member_that_is_not_the_messages_own_is_left_to_pydantic():
    own = b'"the text"'
    cases = [
        _raw(None, engagement={"text": "5"}),  # nested, lax int; no text of the message's own
        _raw(own, engagement={"text": "5"}),  # nested as well as the message's own
        _raw(own)[:-1] + b',"text":"again"}',  # written twice: the last counts
        _raw(own).replace(b'"title":"', b'"te\\u0078t":"later",' b'"title":"', 1),  # the key spelled with an escape
        _raw(None, extra={"text": "an extra's"}),  # an unknown member's own text
        _raw(None, title='"text":"in a title'),  # the key's bytes inside a string
        _raw(None, **{'"text': "a key with a quote"}),
        _raw(b'"a"', title="[转载] 标题 {"),  # a bracket before it: read by pydantic, the same
        b"  " + _raw(own), _raw(own).replace(b'"text":', b'"text" : '),
    ]
    for raw in cases:
        for cls in (Document, ScoredDocument):
            try:
                want = cls.model_validate_json(raw)
            except ValueError:
                with pytest.raises(ValueError):
                    cls.from_bytes(raw)
                continue
            got = cls.from_bytes(raw)
            assert got == want and got.text == want.text and got.__pydantic_extra__ == want.__pydantic_extra__


def test_the_crawlers_and_the_scorers_messages_have_their_text_read_apart():
    from contracts.messages import _text_apart
    for text in TEXTS:
        raw = doc_of(text).to_bytes()
        apart = _text_apart(raw)
        if b"\\u" in raw:  # pydantic writes a control character so: left to pydantic (as a lone surrogate would be)
            assert apart is None and "\x00" in text
            continue
        written = json.dumps(text, ensure_ascii=False)[1:-1].encode()
        assert apart == (raw.replace(b'"text":"' + written + b'"', b'"text":"\\u0000"', 1), text)
        scored = scored_from(Document.from_bytes(raw)).to_bytes()
        assert _text_apart(scored) is not None
        assert ScoredDocument.from_bytes(scored) == ScoredDocument.model_validate_json(scored)
