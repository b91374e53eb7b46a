"""The story store's band look-up, compiled (pipeline/story_index.py keeps the index and calls it).

A band key holds one entry ``(seen_us, doc_id)``, or a list of them in that order where several documents
share the key (near-copies). Pure computation over the index's dict: no I/O.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Any

Entry = tuple[int, str]  # (seen_us, doc_id): the order of the band rows' index (key, seen_us, doc_id)


def recent(bands: dict[int, Any], keys: list[int], since: int, limit: int) -> list[str]:
    """The documents sharing a band with ``keys``, seen since ``since``: each key's newest ``limit``
    (time, then document id, descending), then the newest ``limit`` of all those (ties in time by
    document id ascending; a document under two keys counts twice, as a row of each), in document
    id order. What the band table's query gave (pipeline/stories.py ``_recent_postgres``, kept in the
    tests as the reference).

    Each key's rows are read in place (a list and where its newest rows since ``since`` begin), entries
    as the objects they are: no slice of a list, no entry taken apart and built again (compiled, an
    entry typed as a tuple of an int and a str was unboxed and boxed at every step)."""
    spans: list[list[Any]] = []  # each key's rows, oldest first
    lows: list[int] = []  # where its newest ``limit`` rows since ``since`` begin
    count = 0
    for k in keys:
        held: Any = bands.get(k)
        if held is None:
            continue
        if not isinstance(held, list):
            if held[0] >= since:
                spans.append([held])
                lows.append(0)
                count += 1
            continue
        rows: list[Any] = held
        n = len(rows)
        low = n - limit if n > limit else 0
        if rows[low][0] < since:
            low = bisect_left(rows, (since,), low, n)  # the first row at ``since`` or later
            if low == n:
                continue
        spans.append(rows)
        lows.append(low)
        count += n - low
    if count <= limit:
        found: set[str] = set()
        for s in range(len(spans)):
            rows = spans[s]
            for at in range(lows[s], len(rows)):
                found.add(rows[at][1])
        return sorted(found)
    # Near-copies share most of their keys: a long text's keys hold ~100-250 rows of a few dozen documents, the
    # same rows under many keys. The keys' rows are read newest first a moment at a time (every key's rows at the
    # newest moment not read yet), until the newest ``limit`` rows and their ties in time are in: a few moments,
    # each two passes over the keys' next times, not a heap step per row (a Python call comparing boxed integers).
    exhausted = since - 1  # older than any row read: a key with no row left
    tops: list[int] = [spans[s][-1][0] for s in range(len(spans))]  # each key's next row's time
    places = [len(rows) - 1 for rows in spans]  # and its place
    ids: list[str] = []  # the rows read, newest moment first
    before = 0  # of them, those newer than the last moment read
    newest: int = exhausted
    while len(ids) < limit:
        newest = exhausted
        for next_time in tops:
            if next_time > newest:
                newest = next_time
        before = len(ids)
        for s in range(len(spans)):
            if tops[s] != newest:
                continue
            rows = spans[s]
            at = places[s]
            low = lows[s]
            top: int = newest
            while top == newest:
                ids.append(rows[at][1])
                at -= 1
                top = rows[at][0] if at >= low else exhausted
            tops[s] = top
            places[s] = at
    # The newest ``limit`` rows: those newer than the last moment, then its rows by document id ascending.
    chosen = ids[:before] + sorted(ids[before:])[:limit - before]
    return sorted(set(chosen))
