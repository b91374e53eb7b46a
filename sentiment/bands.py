"""The story store's band look-up, compiled (pipeline/story_index.py keeps the index and calls it).

A band key holds one entry ``(seen_us, doc_id)``, or a list of them in that order where several documents
share the key (near-copies). Pure computation over the index's dict: no I/O.
"""
from __future__ import annotations

from heapq import heapify, heappop, heapreplace
from typing import Any

Entry = tuple[int, str]  # (seen_us, doc_id): the order of the band rows' index (key, seen_us, doc_id)


def recent(bands: dict[int, Any], keys: list[int], since: int, limit: int) -> list[str]:
    """The documents sharing a band with ``keys``, seen since ``since``: each key's newest ``limit``
    (time, then document id, descending), then the newest ``limit`` of all those (ties in time by
    document id ascending; a document under two keys counts twice, as a row of each), in document
    id order. What the band table's query gave (pipeline/stories.py ``_recent_postgres``, kept in the
    tests as the reference)."""
    tails: list[list[Entry]] = []  # each key's newest rows since ``since``, oldest first
    count = 0
    for k in keys:
        held = bands.get(k)
        if held is None:
            continue
        if not isinstance(held, list):
            entry: Entry = held
            if entry[0] >= since:
                tails.append([entry])
                count += 1
            continue
        rows: list[Entry] = held
        tail = rows[-limit:]
        if tail[0][0] < since:
            tail = [e for e in tail if e[0] >= since]
            if not tail:
                continue
        tails.append(tail)
        count += len(tail)
    if count <= limit:
        return sorted({e[1] for tail in tails for e in tail})
    # Near-copies share most of their keys: a long text's keys hold ~100-250 rows of a few dozen documents.
    # The keys' rows merged newest first (a heap of each key's next row) and read only until the newest
    # ``limit`` rows and their ties in time are in: ~20-30 rows.
    heads: list[tuple[int, int, int]] = [(-tail[-1][0], i, len(tail) - 1) for i, tail in enumerate(tails)]
    heapify(heads)
    merged: list[Entry] = []
    while heads:
        newest, i, at = heads[0]
        if len(merged) >= limit and -newest < merged[limit - 1][0]:
            break  # every row from here on is older than the newest ``limit``
        tail = tails[i]
        merged.append(tail[at])
        if at:
            heapreplace(heads, (-tail[at - 1][0], i, at - 1))
        else:
            heappop(heads)
    # The newest ``limit`` rows, ties at the last one's time by document id ascending.
    edge = merged[limit - 1][0]
    chosen = [e[1] for e in merged if e[0] > edge]
    chosen += sorted([e[1] for e in merged if e[0] == edge])[:limit - len(chosen)]
    return sorted(set(chosen))
