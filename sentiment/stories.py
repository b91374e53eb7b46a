"""Near-duplicates and stories: the pure logic (the store is pipeline/stories.py).

A story is one event as it spreads: the original, its reposts (【转载】, 转发:
prefixes) and near-copies (another site's edit of the same text). Two
documents join one story when

* their normalised titles are equal (at least 6 characters), or
* their texts are near-copies — estimated Jaccard similarity of character
  4-gram shingles at least ``NEAR_DUPLICATE`` — and the numbers in one title
  are among those of the other: 第3期 and 第4期 of a bulletin, or complaints
  numbered 12 and 13, share their boilerplate but are different items, while
  a repost may add a date to the title.

Fingerprints are one-permutation MinHash signatures over CRC-32 hashes of the
shingles: no tokenisation, one hash per shingle, stable across processes;
two signatures estimate the Jaccard similarity of the shingle sets, and LSH
bands of them let the store find candidates with an index lookup.
A story keeps first and last seen, document count, channels, sites and an
hourly spread (documents per hour), updated by :func:`add_document`.
"""
from __future__ import annotations

import binascii
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Final

import numpy as np

from sentiment.shingle_tables import (
    CRC_BYTES,
    CRC_LOW,
    CRC_PLANE,
    CRC_ZERO,
    EMPTY,
    HALVES,
    IRREGULAR,
    KEEP_BMP,
    KEPT_LOWER,
    LOWER_CHARS,
    NUMPY_FROM,
    SHINGLE,
)
from sentiment.title_keys import numbers_of, story_id_of

if TYPE_CHECKING:  # mypyc's native 64-bit int: compiled, C arithmetic (no tagged-int checks); from source, an int
    from mypy_extensions import i64

SKETCH: Final = 32
BAND: Final = 2
NEAR_DUPLICATE: Final = 0.6
MIN_TITLE: Final = 6
FINGERPRINT_CHARS: Final = 3000  # the lead carries the identity; the tail adds cost, not signal

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_REPOST_PREFIX = re.compile(r"^(转载|转发|转|原创|【[^】]*】|\[[^\]]*\]|[:：\s])+")
_PREFIX_STARTS: Final = "转原【[:："  # what a match of _REPOST_PREFIX after str.strip() starts with ("" too)


def normalise_title(title: str) -> str:
    return _title(title)[1]


def title_numbers(title: str) -> tuple[str, ...]:
    return _title(title)[2]


def title_parts(title: str) -> tuple[str, tuple[str, ...]]:
    """``(normalise_title(title), title_numbers(title))``, normalising once."""
    parts = _title(title)
    return parts[1], parts[2]


def story_id_for(title: str, fallback: str) -> str:
    """The id a new story gets: from its normalised title, so reposts scored
    at the same moment by two workers agree; from ``fallback`` (the document
    id) when the title is too short to identify anything."""
    by_title = _title(title)[3]
    return by_title if by_title else story_id_of(fallback)


# A title's normalised forms, kept: the scorer asks for the story id, the story
# store for the title key and its numbers, the fingerprint for the title's
# noise-free characters — one normalisation for all of them.
_TITLES: dict[str, tuple[str, str, tuple[str, ...], str]] = {}
_TITLES_KEPT: Final = 4096


def _title(title: str) -> tuple[str, str, tuple[str, ...], str]:
    """``(noise-free title, normalised title, its numbers, story id by title or "")``.

    The noise-free title is ``_NOISE.sub("", title)`` (not lowered): the characters the fingerprint hashes. The
    normalised title is the same without a repost prefix (【转载】, 转发:), lowered. ``_NOISE`` drops characters
    one by one, so the noise-free title is that of the prefix followed by that of the rest."""
    found = _TITLES.get(title)
    if found is not None:
        return found
    stripped = title.strip()  # most titles start with no _PREFIX_STARTS: no repost prefix
    rest = _REPOST_PREFIX.sub("", stripped) if stripped[:1] in _PREFIX_STARTS else stripped
    clean_rest = _noise_free(rest)
    head = stripped[:len(stripped) - len(rest)]
    clean = _noise_free(head) + clean_rest if head else clean_rest
    norm = _lower(clean_rest)
    parts = (clean, norm, numbers_of(norm), story_id_of(norm) if len(norm) >= MIN_TITLE else "")
    if len(_TITLES) >= _TITLES_KEPT:
        _TITLES.clear()
    _TITLES[title] = parts
    return parts


def _noise_free(text: str) -> str:
    """``_NOISE.sub("", text)`` by LOWER_CHARS (0: a character it drops), the kept runs sliced: no regex call
    (thousands of instructions a headline). The regex where a character is beyond the Basic Multilingual Plane."""
    keep = LOWER_CHARS
    parts: list[str] = []
    start = -1  # where the run of kept characters being read began
    for i in range(len(text)):
        code = ord(text[i])
        if code >= 0x10000:
            return _NOISE.sub("", text)
        if ord(keep[code]) == 0:
            if start >= 0:
                parts.append(text[start:i])
                start = -1
        elif start < 0:
            start = i
    return text if start == 0 else "".join(parts) + text[start:] if start > 0 else "".join(parts)


_WINDOWS = [slice(4 * i, 4 * (i + SHINGLE)) for i in range(NUMPY_FROM)]
_WHOLE = [slice(None)]  # a text shorter than a shingle: one window
# Compiled (mypyc), short texts' windows are hashed by table lookups in native code; from source, each window is
# sliced and hashed by zlib in C (fewer interpreted steps). The same values either way.
_COMPILED: Final = not __file__.endswith(".py")
# Python's own str.lower, called as an object: mypyc compiles ``s.lower()`` without the final-sigma rule (Σ
# lowers to ς at a word's end, else σ), so the two builds would hash and name a story with a Σ differently.
_PY_LOWER: Final[Callable[[str], str]] = str.lower


def _lower(text: str) -> str:
    """``text.lower()`` as Python gives it, in either build."""
    return _PY_LOWER(text) if "Σ" in text else text.lower()


def _normalised(text: str) -> str:
    """``_NOISE.sub("", text).lower()``, by a table lookup in numpy when the text is long and all in the BMP."""
    if len(text) < NUMPY_FROM:
        return _lower(_NOISE.sub("", text))
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # lone surrogates: dropped
    if codes.max() >= 0x10000:
        return _lower(_NOISE.sub("", text))
    return _lower(codes[KEEP_BMP[codes]].tobytes().decode("utf-32-le"))


def _lowered_codes(clean_title: str, lead: str) -> np.ndarray | None:
    """The code points of ``(clean_title + _NOISE.sub("", lead)).lower()`` by one table lookup, or None where
    the table does not say (a character beyond the BMP, or one whose lower case is irregular)."""
    codes = np.frombuffer(f"{clean_title}{lead}".encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if codes.max() >= 0x10000:  # lone surrogates are in the BMP (and dropped)
        return None
    lowered = KEPT_LOWER.take(codes)
    if lowered.max() == IRREGULAR:
        return None
    return lowered[lowered != 0]


def shingle_hashes(norm: str) -> np.ndarray:
    """CRC-32 (zlib's) of each character 4-gram of ``norm`` as UTF-32-LE bytes, one per start (one window if shorter)."""
    count = len(norm) - SHINGLE + 1
    if count < NUMPY_FROM:
        return np.fromiter(_few_hashes(norm), dtype=np.int64, count=max(1, count))
    return _code_hashes(np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32))


def _code_hashes(codes: np.ndarray) -> np.ndarray:
    """:func:`shingle_hashes` of at least ``NUMPY_FROM`` windows, from the code points."""
    count = codes.size - SHINGLE + 1
    low = (codes & 0xFFFF).astype(np.intp)
    hashes = np.full(count, CRC_ZERO, dtype=np.uint32)
    for k in range(SHINGLE):
        hashes ^= CRC_LOW[k].take(low[k:k + count])
    plane = codes >> 16
    if plane.any():  # characters beyond the Basic Multilingual Plane
        for k in range(SHINGLE):
            hashes ^= CRC_PLANE[k].take(plane[k:k + count])
    return hashes.astype(np.int64)


def _few_hashes(norm: str) -> Iterator[int]:
    """:func:`shingle_hashes` of a text with fewer than ``NUMPY_FROM`` windows: each sliced and hashed in C by map."""
    count = len(norm) - SHINGLE + 1
    return map(binascii.crc32, map(norm.encode("utf-32-le").__getitem__, _WINDOWS[:count] if count > 0 else _WHOLE))


def _window_sketch(norm: str) -> tuple[int, ...]:
    """``_sketch(list(_few_hashes(norm)))`` by table lookups in native code: the CRC-32 of a window is that of 16
    zero bytes XOR each of its bytes' own entry in ``CRC_BYTES`` (four characters of four bytes: ``SHINGLE`` is 4)."""
    data = norm.encode("utf-32-le")
    count = len(norm) - SHINGLE + 1
    if count <= 0:
        return _sketch([binascii.crc32(data)])
    t = CRC_BYTES
    zero: int = CRC_ZERO
    sketch = [EMPTY] * SKETCH
    for i in range(count):
        at = 4 * i
        h = (zero ^ t[data[at]] ^ t[256 + data[at + 1]] ^ t[1024 + data[at + 4]] ^ t[1280 + data[at + 5]]
             ^ t[2048 + data[at + 8]] ^ t[2304 + data[at + 9]] ^ t[3072 + data[at + 12]] ^ t[3328 + data[at + 13]])
        if data[at + 2] or data[at + 6] or data[at + 10] or data[at + 14]:  # beyond the BMP
            h ^= t[512 + data[at + 2]] ^ t[1536 + data[at + 6]] ^ t[2560 + data[at + 10]] ^ t[3584 + data[at + 14]]
        if h < sketch[h & (SKETCH - 1)]:
            sketch[h & (SKETCH - 1)] = h
    return tuple([-1 if h == EMPTY else h for h in sketch])


def _char_sketch(title: str, lead: str) -> tuple[int, ...] | None:
    """``_sketch(list(_few_hashes((title + _NOISE.sub("", lead)).lower())))`` (``title`` noise-free) in one pass
    over the characters, for short texts in native code: each kept character, lowered by table, adds its CRC-32
    part at each position of the four windows it is in (``SHINGLE`` is 4). None where the tables do not say (a
    character beyond the BMP, an irregular lower case) or the text has fewer than ``SHINGLE`` kept characters.
    A bin's values share their low 5 bits (``SKETCH`` is 32), so the bins keep ``h >> 5``; the locals are i64."""
    text = f"{title}{lead}"
    lower = LOWER_CHARS
    half = HALVES
    zero: i64 = CRC_ZERO
    empty: i64 = 1 << 27
    sketch: list[i64] = [empty] * SKETCH
    kept: i64 = 0
    w1 = w2 = w3 = kept  # the windows ending 1, 2 and 3 characters after this one, so far (i64 as kept)
    i: i64
    for i in range(len(text)):
        code: i64 = ord(text[i])
        if code >= 0x10000:
            return None
        c: i64 = ord(lower[code])
        if c == 0:
            continue
        if c == 0xFFFF:
            return None
        # Each high half read into an i64 before it is shifted: shifted as it comes (an int), it is shifted with
        # an overflow check and then unboxed.
        h3: i64 = ord(half[0x70000 + c])
        h2: i64 = ord(half[0x50000 + c])
        h1: i64 = ord(half[0x30000 + c])
        h0: i64 = ord(half[0x10000 + c])
        done: i64 = w1 ^ ord(half[0x60000 + c]) ^ (h3 << 16)
        w1 = w2 ^ ord(half[0x40000 + c]) ^ (h2 << 16)
        w2 = w3 ^ ord(half[0x20000 + c]) ^ (h1 << 16)
        w3 = ord(half[c]) ^ (h0 << 16)
        kept += 1
        if kept >= SHINGLE:
            h: i64 = done ^ zero
            v: i64 = h >> 5
            b: i64 = h & 31
            if v < sketch[b]:
                sketch[b] = v
    if kept < SHINGLE:
        return None
    return tuple([-1 if sketch[b] == empty else sketch[b] << 5 | b for b in range(SKETCH)])


def _sketch(hashes: list[int]) -> tuple[int, ...]:
    """The smallest hash per bin (the bin: the hash's low bits), -1 for an empty bin."""
    sketch = [EMPTY] * SKETCH
    for h in hashes:
        if h < sketch[h & (SKETCH - 1)]:
            sketch[h & (SKETCH - 1)] = h
    return tuple([-1 if h == EMPTY else h for h in sketch])


def _signature(hashes: np.ndarray) -> tuple[int, ...]:
    """:func:`_sketch` of many hashes, in C."""
    signature = np.full(SKETCH, EMPTY, dtype=np.int64)
    np.minimum.at(signature, hashes & (SKETCH - 1), hashes)
    return tuple([-1 if h == EMPTY else h for h in signature.tolist()])


def fingerprint_parts(title: str, text: str) -> tuple[str, str, bool] | None:
    """What :func:`fingerprint` hashes by the tables (sentiment/shingle_tables.py), and
    sentiment/sketches.py ``fingerprints`` for a batch: the noise-free title (:func:`_title`), the lead (the
    text's first ``FINGERPRINT_CHARS`` characters) and whether they are long enough for numpy (its fixed cost per
    call pays from ``NUMPY_FROM`` characters); None where a Σ is in them (its lower case depends on its
    neighbours, σ or ς at a word's end, which the per-character tables cannot say)."""
    lead = text[:FINGERPRINT_CHARS]
    if "Σ" in title or "Σ" in lead:
        return None
    clean_title = _title(title)[0]
    return clean_title, lead, len(clean_title) + len(lead) >= NUMPY_FROM


def fingerprint(title: str, text: str) -> tuple[int, ...]:
    """One-permutation MinHash of the title and the start of the text: character 4-gram shingles hashed with
    CRC-32 into ``SKETCH`` bins by the hash's low bits, the smallest value kept per bin (-1: an empty bin, in very
    short texts). Position i of two signatures agrees with probability equal to the Jaccard similarity of the
    shingle sets.

    The text hashed is ``_NOISE.sub("", title + lead).lower()`` (lead: the text's first ``FINGERPRINT_CHARS``
    characters); ``_NOISE`` drops characters one by one, so the title's part is the noise-free title
    :func:`_title` keeps for the story id."""
    parts = fingerprint_parts(title, text)
    if parts is None:  # a Σ: the whole text, lowered by Python's own str.lower
        norm = _normalised(f"{title}{text[:FINGERPRINT_CHARS]}")
        if not norm:
            return ()
        return _signature(shingle_hashes(norm)) if len(norm) - SHINGLE + 1 >= NUMPY_FROM \
            else _sketch(list(_few_hashes(norm)))
    clean_title, lead, by_numpy = parts
    if by_numpy:
        codes = _lowered_codes(clean_title, lead)
        if codes is not None and codes.size - SHINGLE + 1 >= NUMPY_FROM:
            return _signature(_code_hashes(codes))
        norm = codes.tobytes().decode("utf-32-le") if codes is not None else (clean_title + _NOISE.sub("", lead)).lower()
    else:
        found = _char_sketch(clean_title, lead) if _COMPILED else None
        if found is not None:
            return found
        norm = (clean_title + _NOISE.sub("", lead)).lower()
    if not norm:
        return ()
    if len(norm) - SHINGLE + 1 >= NUMPY_FROM:  # beyond the tables' characters
        return _signature(shingle_hashes(norm))
    # Headlines and posts: the smallest hash per bin in Python (numpy's fixed
    # cost per call is more than a few dozen windows take here).
    return _window_sketch(norm) if _COMPILED else _sketch(list(_few_hashes(norm)))


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    both = [(x, y) for x, y in zip(a, b) if x >= 0 or y >= 0]
    if not both or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in both if x == y) / len(both)


def band_keys(signature: tuple[int, ...]) -> list[int]:
    """LSH bands (``BAND`` positions each): two documents with Jaccard
    similarity J share at least one band with probability 1 - (1 - J^2)^16
    (0.99 at J = 0.5), so the store looks up candidates by these keys."""
    if BAND != 2:  # the general form; the key is the CRC of "start:[a, b]" (the list's repr)
        return [zlib.crc32(f"{start}:{list(signature[start:start + BAND])}".encode())
                for start in range(0, len(signature) - BAND + 1, BAND) if min(signature[start:start + BAND]) >= 0]
    crc = zlib.crc32
    return [crc(b"%d:[%d, %d]" % (start, a, b))
            for start, a, b in zip(range(0, len(signature), 2), signature[::2], signature[1::2]) if a >= 0 and b >= 0]


@dataclass
class Candidate:
    """A document already in some story, as the store found it."""
    story_id: str
    title_key: str
    numbers: tuple[str, ...]
    sketch: tuple[int, ...]


def choose_story(title: str, sketch: tuple[int, ...], candidates: list[Candidate],
                 parts: tuple[str, tuple[str, ...]] | None = None) -> str | None:
    """The story a new document joins, or None for a new story (``parts``:
    the title's ``title_parts`` when the caller has them)."""
    key, title_nums = parts or title_parts(title)
    if len(key) >= MIN_TITLE:
        for c in candidates:
            if c.title_key == key:
                return c.story_id
    numbers = set(title_nums)
    best, best_sim = None, NEAR_DUPLICATE
    for c in candidates:
        theirs = set(c.numbers)
        if not (numbers <= theirs or theirs <= numbers):
            continue  # 第3期 vs 第4期; a repost may add a date, not change a number
        sim = similarity(sketch, c.sketch)
        if sim >= best_sim:
            best, best_sim = c.story_id, sim
    return best


@dataclass
class Story:
    id: str
    first_seen: datetime
    last_seen: datetime
    doc_count: int = 0
    channels: dict[str, int] = field(default_factory=dict)
    sites: dict[str, int] = field(default_factory=dict)
    spread: dict[str, int] = field(default_factory=dict)  # "YYYY-MM-DDTHH" (UTC) -> documents

    def to_dict(self) -> dict:
        return {"id": self.id, "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen),
                "doc_count": self.doc_count, "channels": self.channels, "sites": self.sites, "spread": self.spread}

    @classmethod
    def from_dict(cls, d: dict) -> Story:
        first_text: str = d["first_seen"]
        last_text: str = d["last_seen"]
        first, last = datetime.fromisoformat(first_text), datetime.fromisoformat(last_text)
        _keep_stored(first, first_text)
        _keep_stored(last, last_text)
        return cls(d["id"], first, last, d["doc_count"], dict(d["channels"]), dict(d["sites"]), dict(d["spread"]))


# A story's times as text, kept: the store writes a story's state after each of its
# documents and once more at the batch's end, and first_seen stays for many documents
# (``datetime.isoformat`` formats through C's printf: ~15 k instructions a call). Keyed by
# the object (kept in the entry, so its id is not reused while the entry lives).
_ISOS: dict[int, tuple[datetime, str]] = {}
# An hour of the spread as text by hours since the epoch (strftime costs ~10 k instructions).
_HOURS: dict[int, str] = {}
_KEPT: Final = 4096
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    """``t.isoformat()``."""
    found = _ISOS.get(id(t))
    if found is not None and found[0] is t:
        return found[1]
    return _keep_iso(t, _isoformat(t))


def _keep_stored(t: datetime, text: str) -> None:
    """Remember a stored time's text as ``t.isoformat()`` (``t`` read from it by ``fromisoformat``: a
    loaded story is written again after each document) where the offset is ``±HH:MM``: then the text
    is ``isoformat``'s own (an offset with seconds may not be; tests/unit/test_sentiment_stories.py)."""
    if len(text) > 6 and text[-3] == ":" and text[-6] in "+-":
        _keep_iso(t, text)


def _keep_iso(t: datetime, text: str) -> str:
    """Remember ``text`` as ``t.isoformat()``."""
    if len(_ISOS) >= _KEPT:
        _ISOS.clear()
    _ISOS[id(t)] = (t, text)
    return text


def _isoformat(t: datetime) -> str:
    """``t.isoformat()`` where the offset is whole minutes, from two-digit strings (the
    datetime module formats through C's printf, ~10 k instructions; so does %-formatting)."""
    offset = t.utcoffset()
    if offset is None or offset.microseconds or offset.seconds % 60:
        return t.isoformat()
    minutes: int = offset.days * 1440 + offset.seconds // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    two = _TWO
    year: int = t.year
    micro: int = t.microsecond
    fraction = f".{str(1_000_000 + micro)[1:]}" if micro else ""
    return (f"{str(year) if year >= 1000 else str(10_000 + year)[1:]}-{two[t.month]}-{two[t.day]}T{two[t.hour]}:"
            f"{two[t.minute]}:{two[t.second]}{fraction}{sign}{two[minutes // 60]}:{two[minutes % 60]}")


_TWO: Final = [f"{i:02d}" for i in range(100)]


def _hour(seen: datetime) -> str:
    """``seen.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")`` (``seen`` aware)."""
    if seen.tzinfo is None:  # local time, as astimezone takes it
        return seen.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")
    since = seen - _EPOCH
    hours: int = since.days * 24 + since.seconds // 3600
    found = _HOURS.get(hours)
    if found is None:
        if len(_HOURS) >= _KEPT:
            _HOURS.clear()
        found = _HOURS[hours] = seen.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")
    return found


def new_story(story_id: str, seen: datetime) -> Story:
    return Story(story_id, seen, seen)


def add_document(story: Story, seen: datetime, channel: str, site: str) -> Story:
    """Count one more document of the story (the caller makes this once per document)."""
    story.first_seen = min(story.first_seen, seen)
    story.last_seen = max(story.last_seen, seen)
    story.doc_count += 1
    story.channels[channel] = story.channels.get(channel, 0) + 1
    story.sites[site] = story.sites.get(site, 0) + 1
    hour = _hour(seen)
    story.spread[hour] = story.spread.get(hour, 0) + 1
    return story
