"""The story store's band index, in each scorer's memory (pipeline/stories.py keeps it in step).

The store finds a new document's near-copies by the LSH bands of its sketch (sentiment/stories.py
``band_keys``): the most recent documents sharing a band with it. Those were rows of a table
(``story_bands``, 16 rows written per document and a query merging 16 index ranges per document);
they are now a dict in each scorer process, key -> the documents under it, built from the stored
documents (``story_docs`` keeps each one's sketch) and brought up to date at the start of each
batch, inside the batch's transaction (writers take turns), from the rows other processes added
since (``story_docs.seq``, migration 143) and the prunes they made since (``story_prunes``).

Which documents count is what the table held: every stored document with bands (``banded``) that no
prune has dropped. A prune (``upto_seq``, ``before_us``) drops the documents stored up to then
(``seq <= upto_seq``) seen before ``before_us``, as its ``DELETE`` dropped the rows the table held;
a document stored later keeps its bands until the next prune, as its rows did.

Memory: per document a record (its sequence number, time, story, title key, numbers and the
sketch's 256 bytes) and one entry (time, id) shared by its keys, each key a dict slot holding the
entry itself, or a list of entries where several documents share the key (near-copies): about 2 kB
a document (bench/README.md measures it).
"""
from __future__ import annotations

import json
import struct
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from sentiment import stories as logic
from sentiment.bands import recent

_Entry = tuple[int, str]  # (seen_us, doc_id): the order of the band rows' index (key, seen_us, doc_id)
# A stored document: (seq, seen_us, story_id, title_key, numbers as JSON text, sketch as stored)
_Record = tuple[int, int, str, str, str, "bytes | str"]
_SKETCH_BYTES = struct.Struct(f">{logic.SKETCH}q")
PARSED = 20_000  # candidates kept parsed (~1.5 kB each): those of a day or more of a busy province


def sketch_bytes(sketch: tuple[int, ...]) -> bytes:
    """A sketch as stored (migration 140): 8-byte big-endian signed integers, as PostgreSQL's
    ``int8send`` (~16 k instructions less than its JSON text per document, and 256 bytes, not ~380)."""
    return _SKETCH_BYTES.pack(*sketch) if len(sketch) == logic.SKETCH else struct.pack(f">{len(sketch)}q", *sketch)


def sketch_of(stored: str | bytes | memoryview) -> tuple[int, ...]:
    """A stored sketch read back: 8-byte big-endian integers (migration 140), or JSON text in SQLite rows
    written before it."""
    if isinstance(stored, str):
        return tuple(json.loads(stored))
    data = bytes(stored)
    return _SKETCH_BYTES.unpack(data) if len(data) == _SKETCH_BYTES.size else struct.unpack(f">{len(data) // 8}q", data)


class BandIndex:
    """Band key -> the documents under it (an entry, or a list of entries in (seen_us, doc_id) order)."""

    def __init__(self, seq: int, prunes: int) -> None:
        self.bands: dict[int, _Entry | list[_Entry]] = {}
        self.docs: dict[str, _Record] = {}
        self.parsed: dict[str, logic.Candidate] = {}  # the candidates' parsed forms, by document id
        self.seq = seq  # the newest story_docs row this index has taken in (or whose absence it knows)
        self.prunes = prunes  # the newest story_prunes row it has applied

    def add(self, record: _Record, doc_id: str, keys: Iterable[int]) -> None:
        """A stored document with bands (``keys``: its band keys; a document's equal keys are one entry)."""
        self.docs[doc_id] = record
        entry = (record[1], doc_id)
        bands = self.bands
        for k in keys:
            held = bands.get(k)
            if held is None:
                bands[k] = entry
            elif not isinstance(held, list):
                if held != entry:
                    bands[k] = [held, entry] if held < entry else [entry, held]
            elif entry > held[-1]:
                held.append(entry)
            else:
                at = bisect_left(held, entry)
                if at == len(held) or held[at] != entry:
                    held.insert(at, entry)

    def add_row(self, row: Sequence) -> None:
        """A story_docs row (seq, doc_id, story_id, title_key, numbers, sketch, seen_us) with bands."""
        sketch = row[5]
        self.add((row[0], row[6], row[2], row[3], row[4], sketch), row[1], logic.band_keys(sketch_of(sketch)))

    def prune(self, upto_seq: int, before_us: int) -> int:
        """Drop the documents stored up to ``upto_seq`` and seen before ``before_us``; how many."""
        gone = [d for d, r in self.docs.items() if r[1] < before_us and r[0] <= upto_seq]
        bands = self.bands
        for doc_id in gone:
            record = self.docs.pop(doc_id)
            self.parsed.pop(doc_id, None)
            entry = (record[1], doc_id)
            for k in logic.band_keys(sketch_of(record[5])):
                held = bands.get(k)
                if held is None:
                    continue  # a key the document had twice, already dropped
                if not isinstance(held, list):
                    if held == entry:
                        del bands[k]
                    continue
                at = bisect_left(held, entry)
                if at < len(held) and held[at] == entry:
                    del held[at]
                    if len(held) == 1:
                        bands[k] = held[0]
        return len(gone)

    def recent(self, keys: list[int], since: int, limit: int) -> list[str]:
        """The documents sharing a band with ``keys``, seen since ``since`` (sentiment/bands.py ``recent``, compiled:
        each key's newest ``limit``, then the newest ``limit`` of all those), in document id order."""
        return recent(self.bands, keys, since, limit)

    def candidate(self, doc_id: str) -> logic.Candidate:
        """The document as ``choose_story`` compares it: parsed once while it is a candidate again and again
        (at most ``PARSED`` kept; the 256-byte sketch is the stored form)."""
        found = self.parsed.get(doc_id)
        if found is not None:
            return found
        record = self.docs[doc_id]
        numbers = record[4]
        found = logic.Candidate(record[2], record[3], () if numbers == "[]" else tuple(json.loads(numbers)),
                                sketch_of(record[5]))
        if len(self.parsed) >= PARSED:
            self.parsed.clear()
        self.parsed[doc_id] = found
        return found


