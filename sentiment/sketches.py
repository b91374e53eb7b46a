"""The fingerprints of a batch of documents at once (the story store's batch of 100): sentiment/stories.py
``fingerprint`` of each, the long texts' sketches from one numpy call per step over the batch's texts joined.

A long text's fingerprint is a dozen numpy calls on ~1,000 values, and each call has a cost of its own
(argument parsing, dtype resolution, a new array). Joined, the batch's texts pay it once: the texts' code points
lowered and noise dropped by one table look-up, every window's CRC-32 by four, and the smallest hash per
(document, bin) by one ``np.minimum.at``; a window that spans two documents goes to a bin of none, so each sketch
is its document's own. Whatever the one-document way treats apart (a Σ, a character beyond the BMP or with an
irregular lower case, a text short once noise is dropped) is fingerprinted alone, as before.
"""
from __future__ import annotations

from typing import Final

import numpy as np

from sentiment.shingle_tables import CRC_LOW, CRC_ZERO, EMPTY, IRREGULAR, KEPT_LOWER, NUMPY_FROM, SHINGLE
from sentiment.stories import SKETCH, fingerprint, fingerprint_parts


def fingerprints(docs: list[tuple[str, str]]) -> list[tuple[int, ...]]:
    """``[fingerprint(title, text) for title, text in docs]``."""
    found: list[tuple[int, ...] | None] = [None] * len(docs)
    joined: list[int] = []  # the documents whose title and lead are hashed together
    texts: list[str] = []
    for i, (title, text) in enumerate(docs):
        parts = fingerprint_parts(title, text)
        if parts is not None and parts[2]:
            joined.append(i)
            texts.append(f"{parts[0]}{parts[1]}")
    if len(joined) > 1:
        for i, sketch in zip(joined, _joined_sketches(texts)):
            found[i] = sketch
    return [fingerprint(title, text) if sketch is None else sketch for (title, text), sketch in zip(docs, found)]


# The tables as the joined way reads them: the lowered code of each BMP character (as KEPT_LOWER) and, per
# position k of the window, the CRC-32 part of a character's low 16 bits (as CRC_LOW[k]; the CRC of 16 zero bytes
# folded into the first), as 64-bit integers: indices and hashes without a conversion pass over the batch's values.
_LOWER64: Final = KEPT_LOWER.astype(np.int64)
_CRC64: Final = [(CRC_LOW[k] ^ np.uint32(CRC_ZERO if k == 0 else 0)).astype(np.int64) for k in range(SHINGLE)]


def _joined_sketches(texts: list[str]) -> list[tuple[int, ...] | None]:
    """Each text's sketch as ``fingerprint`` makes it from its lowered, noise-free code points (``_lowered_codes``,
    ``_signature(_code_hashes(...))``), or None where that is not the way (the caller fingerprints it alone)."""
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if codes.max() >= 0x10000:  # beyond the BMP (lone surrogates are in it)
        return _apart(texts, codes >= 0x10000)
    # mode="wrap": every code is below the table's size (no bounds test per value)
    lowered = _LOWER64.take(codes, mode="wrap")
    if lowered.max() == IRREGULAR:
        return _apart(texts, lowered == IRREGULAR)
    keep = lowered != 0
    kept = lowered[keep]
    starts = np.zeros(len(texts), dtype=np.intp)
    np.cumsum([len(t) for t in texts[:-1]], out=starts[1:])
    counts = np.add.reduceat(keep, starts, dtype=np.intp)  # each text's kept characters
    # A text with fewer windows than NUMPY_FROM is hashed without numpy, alone (fingerprint's ``norm`` way).
    whole = counts - SHINGLE + 1 >= NUMPY_FROM
    if not whole.all():
        if not whole.any():
            return [None] * len(texts)
        kept = kept[np.repeat(whole, counts)]
        counts = counts[whole]
    m = counts.size
    count = kept.size - SHINGLE + 1  # every window; those spanning two texts are set apart below
    tables = _CRC64
    hashes = tables[0].take(kept[:count], mode="wrap")
    for k in range(1, SHINGLE):
        hashes ^= tables[k].take(kept[k:k + count], mode="wrap")
    bins = hashes & (SKETCH - 1)
    bins += np.repeat(np.arange(0, m * SKETCH, SKETCH), counts)[:count]  # the window's first character's text
    ends = np.cumsum(counts[:-1])
    bins[(ends[:, None] - np.arange(1, SHINGLE)).ravel()] = m * SKETCH  # spanning two texts: a bin of no text
    signatures = np.full((m + 1) * SKETCH, EMPTY, dtype=np.int64)
    np.minimum.at(signatures, bins, hashes)
    rows: list[list[int]] = signatures[:m * SKETCH].reshape(m, SKETCH).tolist()
    found: list[tuple[int, ...] | None] = [None] * len(texts)
    at = 0
    for i, ok in enumerate(whole.tolist()):
        if ok:
            found[i] = tuple([-1 if h == EMPTY else h for h in rows[at]])
            at += 1
    return found


def _apart(texts: list[str], odd: np.ndarray) -> list[tuple[int, ...] | None]:
    """The texts with no ``odd`` code point joined, None for the others (fingerprinted alone by the caller)."""
    owner = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    bad = set(owner[odd].tolist())
    rest = [i for i in range(len(texts)) if i not in bad]
    found: list[tuple[int, ...] | None] = [None] * len(texts)
    if len(rest) > 1:
        for i, sketch in zip(rest, _joined_sketches([texts[i] for i in rest])):
            found[i] = sketch
    return found
