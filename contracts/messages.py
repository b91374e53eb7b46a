"""Messages that cross the bus: Document, ScoredDocument, Alert.

Every message is JSON with a ``schema_version``. Unknown fields are kept
(``extra="allow"``) so that an older worker forwarding a newer message does
not strip what it does not understand.

Ids are derived, never random, so that a replay after a crash produces the
same ids and every effect (index upsert, alert upsert, notification) is
idempotent:

* document id     = hash(canonical URL)
* story id        = assigned by the scorer (near-duplicate grouping)
* alert id        = hash(story id, member unit id)
* notification id = hash(alert id, contact, channel, escalation step)
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import Enum
from json.decoder import scanstring  # type: ignore[attr-defined]  # the C scanner json.loads uses
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.urls import canonical_url

SCHEMA_VERSION = 1


def stable_id(*parts: str, length: int = 20) -> str:
    """A short, stable hex id from the given parts (order matters)."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


class Channel(str, Enum):
    news = "news"
    epaper = "epaper"
    blog = "blog"
    weibo = "weibo"
    douyin = "douyin"
    wechat = "wechat"
    forum = "forum"
    tieba = "tieba"
    overseas = "overseas"


CHANNEL_LABELS = {
    Channel.news: "新闻网站",
    Channel.epaper: "电子报刊",
    Channel.blog: "博客",
    Channel.weibo: "微博",
    Channel.douyin: "抖音",
    Channel.wechat: "微信公众号",
    Channel.forum: "论坛",
    Channel.tieba: "贴吧",
    Channel.overseas: "境外媒体",
}


class Level(str, Enum):
    """Alert levels, most severe first."""

    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the most severe level; lower is worse."""
        return _LEVEL_RANK[self]


_LEVEL_RANK = {level: i for i, level in enumerate(Level)}
LEVEL_LABELS = {Level.red: "红色", Level.orange: "橙色", Level.yellow: "黄色", Level.blue: "蓝色"}


class Message(BaseModel):
    model_config = ConfigDict(extra="allow", use_enum_values=False)

    schema_version: int = SCHEMA_VERSION
    kind: ClassVar[str] = "message"

    def to_bytes(self) -> bytes:
        # model_dump_json's bytes as the serializer makes them (it decodes
        # them to a str, which was encoded back: two copies of every message).
        return self.__pydantic_serializer__.to_json(self)

    @classmethod
    def from_bytes(cls, data: bytes | str):
        if type(data) is bytes and cls in _TEXT_APART:
            apart = _text_apart(data)
            if apart is not None:
                try:
                    message = cls.model_validate_json(apart[0])
                except ValueError:  # pydantic's ValidationError: said again below, of the message as it came
                    pass
                else:
                    fields = message.__dict__
                    if fields["text"] == _HELD:  # else a "text" member after it counted (the last one does)
                        fields["text"] = apart[1]
                        return message
        return cls.model_validate_json(data)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Document(Message):
    """A crawled item as published on ``docs.raw``."""

    kind: ClassVar[str] = "document"

    id: str
    url: str
    source_id: str
    channel: Channel
    site: str  # host name, e.g. news.sina.com.cn
    title: str
    text: str = ""
    author: str | None = None
    published_at: AwareDatetime | None = None
    crawled_at: AwareDatetime
    engagement: dict[str, int] = Field(default_factory=dict)
    language: str = "zh"
    source_name: str = ""  # the source's name in sources.yaml, as people call it (新浪新闻·吉林)

    @staticmethod
    def id_for(url: str) -> str:
        return stable_id("doc", canonical_url(url))

    @classmethod
    def create(cls, *, url: str, **fields: Any) -> Document:
        """Build a document whose id and url come from the canonical URL."""
        canon = canonical_url(url)
        fields.setdefault("crawled_at", utcnow())
        return cls(id=stable_id("doc", canon), url=canon, **fields)


class UnitMatch(BaseModel):
    model_config = ConfigDict(extra="allow")

    unit_id: str
    unit_name: str
    aliases: list[str]
    # Character offsets in "title\ntext" where an alias matched.
    positions: list[int] = Field(default_factory=list)


class RuleMatch(BaseModel):
    model_config = ConfigDict(extra="allow")

    rule_id: str
    unit_id: str | None = None
    terms: list[str] = Field(default_factory=list)


# The phrase of a Reason when no lexicon phrase was found and the sentiment
# model's judgement of the sentence carried the score: what a reader is told
# instead of the model's words (官方、程序、在线 explain nothing).
MODEL_EVIDENCE = "模型判断该句偏负面"


class Reason(BaseModel):
    """Why a document scored negative: a phrase, its sentence, its risk type.
    ``phrase`` is MODEL_EVIDENCE (and ``risk_type`` None) when the model
    carried the sentence, with no lexicon phrase."""

    model_config = ConfigDict(extra="allow")

    phrase: str
    sentence: str = ""
    risk_type: str | None = None
    weight: float = 0.0

    @property
    def by_model(self) -> bool:
        return self.phrase == MODEL_EVIDENCE


class ScoredDocument(Document):
    """A Document plus what the scorer found, as published on ``docs.scored``."""

    kind: ClassVar[str] = "scored_document"

    units: list[UnitMatch] = Field(default_factory=list)
    rules: list[RuleMatch] = Field(default_factory=list)
    negativity: float = Field(0.0, ge=0.0, le=1.0)
    # Negativity per matched unit (a story may be bad for one unit, not another).
    unit_negativity: dict[str, float] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=list)
    level: Level | None = None
    # Level per matched unit; the document-wide level is the most severe one.
    unit_levels: dict[str, Level] = Field(default_factory=dict)
    # Why each unit's level (or none), in Chinese: the values that decided it
    # and what the next more severe level lacked (sentiment/levels.py).
    unit_level_reasons: dict[str, str] = Field(default_factory=dict)
    # The carrier's authority class (regulator, central_media, mainstream,
    # big_account; "" for none) and whether the item is each unit's own reply.
    authority: str = ""
    own_response_units: list[str] = Field(default_factory=list)
    # The identifying terms of the title and lead (sentiment/incidents.py):
    # how reports of one event from other channels find its open alert.
    key_terms: list[str] = Field(default_factory=list)
    story_id: str = ""
    simhash: str | None = None
    scored_at: AwareDatetime | None = None
    # How much the document is about each matched unit, in [0, 1] (sentiment/relevance.py).
    unit_relevance: dict[str, float] = Field(default_factory=dict)
    # The story as the shared story store saw it when this document joined
    # (pipeline/stories.py): first seen, documents so far, channels, spread.
    story: dict[str, Any] | None = None

    @classmethod
    def from_document(cls, doc: Document, **fields: Any) -> ScoredDocument:
        data = doc.model_dump()
        data.update(fields)
        return cls.model_validate(data)

    def to_bytes_from(self, doc: Document, raw: bytes) -> bytes:
        """``to_bytes()`` of this message scored from ``doc``, which was decoded from ``raw`` (the bus record's
        JSON): ``raw``'s members as they came, then this message's own fields, so the text and the other fields
        of the document are not written again (the score role's encoding of a long text ≈ 260 k ->
        ≈ 215 k instructions, bench/README.md). It decodes to a message equal to ``to_bytes()``'s: ``raw``'s
        members are read by the same validators as when ``doc`` was decoded from them (whatever their
        escapes, spacing, order or repeats), so they give the same values, which are this message's own
        (each checked to be the very object ``doc`` holds); and none of them is a field written after them
        (``doc`` has no extra field, so ``raw`` has no key but the document's fields). Anything else — an
        extra field, a changed document field, ``raw`` not a JSON object's bytes — takes ``to_bytes()``."""
        if (type(raw) is bytes and type(doc) is Document and not doc.__pydantic_extra__
                and type(self) is ScoredDocument and not self.__pydantic_extra__):
            mine, theirs = self.__dict__, doc.__dict__
            same = all(mine[name] is theirs[name] for name in _DOC_SCALARS)
            if same and mine["engagement"] == theirs["engagement"]:
                end = len(raw.rstrip())
                if end > 1 and raw[end - 1] == _CLOSE:  # the object's last byte, "}"
                    own = self.__pydantic_serializer__.to_json(self, exclude=_DOC_FIELD_NAMES)
                    return raw[:end - 1] + b"," + own[1:]
        return self.to_bytes()


_CLOSE = ord("}")
_BACKSLASH = ord("\\")
_HELD = "\x00"  # the text member's value while the rest is validated, written \u0000 (NUL: in no text read apart)
# The messages whose long text from_bytes reads apart: their ``text`` is a plain str field.
_TEXT_APART: tuple[type[Message], ...] = (Document, ScoredDocument)


def _text_apart(data: bytes) -> tuple[bytes, str] | None:
    """``data`` with the value of its ``text`` member replaced by ``_HELD`` (``\\u0000``), and that value (read by
    the json module's string scanner, strictly); None where that is not what the JSON parser would read.

    pydantic's JSON parser takes ≈ 40 instructions a byte of a long Chinese text (finding its end, checking and
    decoding its UTF-8), ≈ 118 k of a long document's 148 k; CPython's UTF-8 decoder and the json module's scanner
    take ≈ 16 (bench/README.md). The member is the message's own ``"text":"``: the first, not after a backslash
    (a quote inside a string), with no ``{`` or ``[`` before it (nothing nested opened: it is the object's own).
    Its value ends at the first quote no backslash escapes; it is read as pydantic reads it: invalid UTF-8, a raw
    control character or a bad escape raise (the caller then lets pydantic say what is wrong), and a ``\\u``
    escape (a lone surrogate: json reads it, pydantic does not) is left to pydantic. The rest is valid JSON
    exactly when the message is; a ``text`` member after this one, however its key is spelled, counts instead
    (the last one does), which the caller sees as a text other than ``_HELD`` — none after it holds ``_HELD``
    itself, as there is no ``\\u`` after it."""
    if data[:1] != b"{":
        return None
    key = data.find(b'"text":"')
    if key < 1 or data[key - 1] == _BACKSLASH or data.find(b"{", 1, key) >= 0 or data.find(b"[", 1, key) >= 0:
        return None
    start = key + 8
    end = data.find(b'"', start)
    while end > 0 and data[end - 1] == _BACKSLASH:  # escaped unless the backslashes before it are an even run
        first = end - 1
        while data[first - 1] == _BACKSLASH:
            first -= 1
        if (end - first) % 2 == 0:
            break
        end = data.find(b'"', end + 1)
    if end < 0 or data.find(b"\\", end) >= 0 and data.find(b"\\u", end) >= 0:
        return None
    value = data[start:end]
    if value.find(b"\\") >= 0 and value.find(b"\\u") >= 0:
        return None
    try:
        text = scanstring(value.decode("utf-8") + '"', 0, True)[0]
    except ValueError:  # UnicodeDecodeError, json's JSONDecodeError
        return None
    return data[:start] + b"\\u0000" + data[end:], text
# A Document's fields as the scored message's bytes take them from the raw message: a set (pydantic-core reads a
# set's members faster than a frozenset's), never changed; all but ``engagement`` compared by identity (the
# scorer copies that dict).
_DOC_FIELD_NAMES: set[str] = set(Document.model_fields)
_DOC_SCALARS: tuple[str, ...] = tuple(name for name in Document.model_fields if name != "engagement")


class AlertStatus(str, Enum):
    new = "new"
    notified = "notified"
    acknowledged = "acknowledged"
    handling = "handling"
    resolved = "resolved"
    dismissed = "dismissed"


class DocRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    url: str
    title: str
    site: str
    channel: Channel
    published_at: AwareDatetime | None = None

    @classmethod
    def of(cls, doc: Document) -> DocRef:
        return cls(id=doc.id, url=doc.url, title=doc.title, site=doc.site,
                   channel=doc.channel, published_at=doc.published_at)


class NotificationRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    channel: str
    recipient: str
    step: int = 0
    state: str
    at: AwareDatetime
    detail: str = ""


class Alert(Message):
    """One (story, member unit) alert, as published on ``alerts``."""

    kind: ClassVar[str] = "alert"

    id: str
    story_id: str
    unit_id: str
    unit_name: str
    level: Level
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    doc_count: int = 1
    channels: list[Channel] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    representative: DocRef
    negativity: float = 0.0
    # Why this level (Chinese): the values that decided it, what the next
    # more severe level lacked, and any raise as the story spread.
    level_reason: str = ""
    status: AlertStatus = AlertStatus.new
    notifications: list[NotificationRecord] = Field(default_factory=list)

    @staticmethod
    def id_for(story_id: str, unit_id: str) -> str:
        return stable_id("alert", story_id, unit_id)


def notification_id(alert_id: str, contact: str, channel: str, step: int) -> str:
    return stable_id("notif", alert_id, contact, channel, str(step))


class OpsAlert(Message):
    """An operational problem the duty officers must see (topic ``ops.alerts``):
    a source failing or silent beyond its expected interval, a channel down.
    A blind channel must never look like a quiet one."""

    kind: ClassVar[str] = "ops_alert"

    id: str  # derived from (kind of problem, subject, period) so repeats dedupe
    problem: str  # e.g. "source_failing", "source_silent", "channel_down"
    subject: str  # e.g. the source id
    severity: Level = Level.orange
    summary: str  # Chinese, one line, for SMS / email subject
    detail: str = ""
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    resolved: bool = False
