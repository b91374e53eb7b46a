"""A year of synthetic monitoring for the index benchmark: ~520-character
Chinese documents with controlled term frequencies.

Filler words are drawn from jieba's own dictionary by frequency (Zipf-like, a
realistic vocabulary: the index grows with it), a few measured terms are
placed with known probabilities, and documents spread over a year, 12 units,
four levels, nine channels and 40 sources. Documents come in time order with
jitter, as crawls deliver them; generation is deterministic per seed and
streamed in batches, so 1M documents never sit in memory at once.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contracts.messages import Channel, Document, Level, ScoredDocument, UnitMatch

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 1, 1, tzinfo=SH)
SPAN = timedelta(days=365)
LENGTH = 520

# Terms the queries ask for, and the share of documents that contain each.
HOT = "保险"  # half of all documents
TERMS = {"理赔": 0.12, "投诉": 0.12, "退保": 0.12, "车险": 0.12}
AND_TERM = ("拖延", 0.05)
MEASURED = (HOT, *TERMS, AND_TERM[0])
SENTENCES = {
    "保险": "业内人士认为保险行业仍需加强服务",
    "理赔": "多名消费者反映理赔时间过长",
    "投诉": "相关投诉已转交属地监管部门处理",
    "退保": "有用户表示退保时被扣除大量费用",
    "车险": "今年车险综合改革进入第二阶段",
    "拖延": "当事人称对方一再拖延不予答复",
}
UNITS = [f"unit-{i:02d}" for i in range(12)]
LEVELS = [Level.blue, Level.yellow, Level.orange, Level.red]
CHANNELS = [(Channel.news, 40), (Channel.weibo, 20), (Channel.wechat, 12), (Channel.forum, 8), (Channel.tieba, 5),
            (Channel.blog, 5), (Channel.epaper, 4), (Channel.douyin, 4), (Channel.overseas, 2)]
SOURCES = [f"src-{i:02d}" for i in range(40)]


def _vocabulary(size: int = 60_000) -> tuple[list[str], list[int]]:
    import jieba

    dict_path = Path(jieba.__file__).parent / "dict.txt"
    entries = []
    for line in dict_path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 2 or not all("\u4e00" <= c <= "\u9fff" for c in parts[0]):
            continue
        word = parts[0]
        if any(m in word or word in m for m in MEASURED):
            continue  # measured terms appear only where placed
        entries.append((int(parts[1]), word))
    entries.sort(reverse=True)
    entries = entries[:size]
    words = [w for _, w in entries]
    cumulative, total = [], 0
    for freq, _ in entries:
        total += freq
        cumulative.append(total)
    return words, cumulative


class Corpus:
    def __init__(self, n: int, seed: int = 17) -> None:
        self.n = n
        self.seed = seed
        self.words, self.cum = _vocabulary()
        self.end = START + SPAN

    def _text(self, rng: random.Random, placed: list[str]) -> str:
        parts: list[str] = []
        size = 0
        slots = {rng.randrange(12): term for term in placed}
        sentence = 0
        while size < LENGTH:
            if sentence in slots:
                s = SENTENCES[slots.pop(sentence)]
            else:
                s = "".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(6, 12)))
            s += "。" if rng.random() < 0.4 else "，"
            parts.append(s)
            size += len(s)
            sentence += 1
        for term in slots.values():  # slots past the end of a short text
            parts.append(SENTENCES[term] + "。")
        return "".join(parts)[: LENGTH + 40]

    def batches(self, size: int = 1000, start: int = 0) -> Iterator[list[ScoredDocument]]:
        """Documents ``start``… in batches; the same documents whatever ``start`` (seeded per batch)."""
        for first in range(start, self.n, size):
            rng = random.Random(self.seed * 1_000_003 + first)
            yield [self._doc(rng, i) for i in range(first, min(first + size, self.n))]

    def _doc(self, rng: random.Random, i: int) -> ScoredDocument:
        placed = [HOT] if rng.random() < 0.5 else []
        placed += [t for t, p in TERMS.items() if rng.random() < p]
        if rng.random() < AND_TERM[1]:
            placed.append(AND_TERM[0])
        # In time order, with up to two days of jitter (late publication dates).
        crawled = START + SPAN * (i / self.n)
        published = crawled - timedelta(seconds=rng.randrange(2 * 86_400))
        units = rng.sample(UNITS, rng.choice((1, 1, 2))) if rng.random() < 0.3 else []
        level = rng.choice(LEVELS) if units and rng.random() < 0.35 else None
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        text = self._text(rng, placed)
        base = Document.create(
            url=f"https://bench.example.cn/{self.seed}/{i}.html", source_id=rng.choice(SOURCES), channel=channel,
            site="bench.example.cn", title=text[:24], text=text, published_at=published, crawled_at=crawled,
            language="zh")
        return ScoredDocument.from_document(
            base, negativity=round(rng.random(), 3), level=level, story_id=f"story-{i}",
            units=[UnitMatch(unit_id=u, unit_name=u, aliases=[u]) for u in units],
            unit_levels={u: level for u in units} if level else {},
            unit_negativity={u: 0.5 for u in units})
