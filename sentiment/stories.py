"""Story ids and near-duplicate fingerprints.

The walking skeleton groups reposts by normalised title; SimHash is computed
now so near-copy grouping can use it without a message change.
"""
from __future__ import annotations

import hashlib
import re

from pipeline.messages import stable_id

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_REPOST_PREFIX = re.compile(r"^(转载|转发|转|原创|【[^】]*】|\[[^\]]*\])+")


def normalise_title(title: str) -> str:
    return _NOISE.sub("", _REPOST_PREFIX.sub("", title.strip())).lower()


def story_id_for(title: str, fallback: str) -> str:
    norm = normalise_title(title)
    return stable_id("story", norm) if len(norm) >= 6 else stable_id("story", fallback)


def simhash(tokens: list[str], bits: int = 64) -> str:
    weights = [0] * bits
    for tok in tokens:
        h = int.from_bytes(hashlib.blake2b(tok.encode("utf-8"), digest_size=8).digest(), "big")
        for i in range(bits):
            weights[i] += 1 if (h >> i) & 1 else -1
    value = sum(1 << i for i, w in enumerate(weights) if w > 0)
    return f"{value:016x}"
