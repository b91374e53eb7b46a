"""Scoring throughput, as a ratio to SnowNLP's own ``SnowNLP(text).sentiments``
on the same ~1,000-character news texts in the same run (never a timed
assertion in a test).

    python bench/bench_scoring.py [--docs 400] [--baseline-docs 40] [--rounds 5]

A second line does the same for short texts (headlines alone, and Weibo-
length posts: a title with up to 140 characters).

Fairness:

* every text mentions member units (a text that mentions none costs us almost
  nothing, so such texts would flatter the ratio): each starts with an item of
  the gold set (tests/eval/gold.jsonl: insurance news and posts naming units),
  continues with industry paragraphs (some naming units) and now and then
  another gold item — about two units per text, as in real news;
* our side does the score role's whole per-document work: unit matching,
  schemes, negativity for every unit, levels, reasons, the message, and the
  story fingerprint; a second line is the score role's work as it runs:
  decoding each message from the bus, scoring, the shared SQLite story store
  (one transaction per bus batch of 100, as the role does) and encoding the
  scored message;
* every measured pass is over documents not seen before, with titles of their
  own (numbered): a title seen before is normalised and joined to its story
  from what the process kept (reposts share titles), which would flatter us;
* rates are documents per CPU-second of this one process (one core), so
  other work on the machine does not skew the ratio;
* both sides run as a role does once its parts are built (``settle``: the
  long-lived objects, our model or SnowNLP's, frozen out of the garbage
  collector's walks, yuqing/roles.py);
* our scorer warms up first, so the peak RSS printed for it is that of a
  scoring worker (snownlp, loaded afterwards for the baseline, needs ~400 MB
  more);
* the measurement is in rounds (5 by default, ``--rounds``): each round
  measures our passes and SnowNLP's one after the other, each on texts of its
  own, and gives its own ratios; the median round is reported, with every
  round's ratio, so a machine whose speed drifts during the run (other work,
  clock frequency) slows both sides of a ratio alike.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sentiment  # noqa: E402
from contracts.messages import Document  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from tests.kit import DEMO_CONFIG  # noqa: E402
from yuqing.bootstrap import App  # noqa: E402
from yuqing.roles import settle  # noqa: E402

ROLE_BATCH = 100  # records per poll in the score role (pipeline/workers.py run_stage)
ROUNDS = 5  # rounds of measured passes (ours and SnowNLP's in turn); the median round is reported

PARAGRAPHS = [
    "近日，长春市民王先生向记者反映，其去年在中国人寿吉林省分公司投保的重疾险在申请理赔时遭遇拒赔，"
    "保险公司以投保前未如实告知病史为由不予理赔，王先生认为业务员在销售时并未询问相关情况。",
    "吉林省保险行业协会表示，将督促会员单位规范销售行为，畅通投诉渠道，切实保护消费者合法权益。",
    "据了解，今年前三季度全省保险业累计实现保费收入同比增长，农业保险覆盖面进一步扩大，"
    "为农户提供风险保障超过千亿元。",
    "业内人士提醒，消费者在购买保险产品时应仔细阅读条款，特别是免责条款和等待期的约定，"
    "如遇纠纷可通过行业调解组织或监管部门反映。",
    "人保财险吉林省分公司在今年汛期累计处理农险报案数千件，开通理赔绿色通道，做到应赔尽赔、快赔。",
    "记者从吉林金融监管局获悉，今年以来辖内保险机构持续加大对乡村振兴的保险保障力度，涉农保险产品不断丰富，"
    "玉米、水稻、大豆三大粮食作物完全成本保险实现产粮大县全覆盖。",
    "多位受访市民表示，近年来保险服务越来越便捷，线上报案、视频查勘、电子保单已经成为常态，"
    "但也有部分老年人反映智能手机操作复杂，希望保留线下服务渠道。",
    "专家建议，保险机构应当把消费者权益保护融入公司治理各环节，从产品设计、销售、理赔到投诉处理形成闭环管理，"
    "真正做到以客户为中心。",
    "入冬以来，全省多地出现降雪降温天气，交通事故有所增多。交警部门提醒广大驾驶人减速慢行，"
    "出险后及时报警并联系承保公司。",
    "据统计，上半年全省保险业赔款与给付支出同比增长，其中健康险赔付增速最快，大病保险惠及参保群众数十万人次。",
    "该负责人介绍，下一步将继续推进行业诚信体系建设，建立健全失信惩戒机制，对销售误导、理赔难等突出问题开展专项整治。",
]


def numbered(title: str, number: int | None) -> str:
    """``title`` made unique by a number after it (「…（1203）」), or as it is for ``number`` None."""
    return title if number is None else f"{title}（{number}）"


def make_docs(n: int, length: int = 1000, seed: int = 7, first: int | None = None) -> list[Document]:
    """``n`` long texts; ``first``: titles numbered from it, so that no title repeats another."""
    gold = [json.loads(line) for line in (ROOT / "tests/eval/gold.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        head = rng.choice(gold)
        body = head["text"]
        while len(body) < length:
            body += rng.choice(gold)["text"] if rng.random() < 0.15 else rng.choice(PARAGRAPHS)
        docs.append(Document.create(url=f"http://bench.example.cn/{i}", source_id="bench", channel="news",
                                    site="bench.example.cn", title=numbered(head["title"], None if first is None else first + i),
                                    text=body[:length]))
    return docs


def make_short_docs(n: int, seed: int = 11, first: int | None = None) -> list[Document]:
    """Headlines and Weibo-length posts: a gold item's title alone (news
    headline) or its title with the first 140 characters of its text (a
    post), alternately; every one names a member unit. ``first`` as in make_docs."""
    gold = [json.loads(line) for line in (ROOT / "tests/eval/gold.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        item = rng.choice(gold)
        text = "" if i % 2 == 0 else item["text"][:140]
        docs.append(Document.create(url=f"http://bench.example.cn/s{i}", source_id="bench",
                                    channel="news" if i % 2 == 0 else "weibo", site="bench.example.cn",
                                    title=numbered(item["title"], None if first is None else first + i), text=text))
    return docs


def cpu_rate(fn, items, repeat: int = 3) -> float:
    """Median items per CPU-second of this process over ``repeat`` passes over ``items``."""
    return fresh_rate(fn, [items] * repeat)


def fresh_rate(fn, passes: list[list]) -> float:
    """Median items per CPU-second of this process over the passes, each over its own items."""
    return statistics.median(pass_rate(fn, items) for items in passes)


def pass_rate(fn, items: list) -> float:
    """Items per CPU-second of this process for one pass of ``fn`` over ``items``."""
    start = time.process_time()
    for item in items:
        fn(item)
    return len(items) / max(1e-9, time.process_time() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--baseline-docs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    args = ap.parse_args()

    from sentiment.stories import fingerprint
    # Every measured pass is over documents not seen before: their own texts and titles (numbered), so
    # no title is normalised or joined to its story from what an earlier pass left (sentiment/stories.py
    # keeps recent titles: reposts share them). The warm-up passes come first.
    n, rounds = args.docs, args.rounds
    numbers = iter(range(1, 1_000_000))

    def fresh_long() -> list[Document]:
        k = next(numbers)
        return make_docs(n, seed=7 + k, first=k * n)

    def fresh_short() -> list[Document]:  # four times as many: a short text takes a fifth of the time
        k = next(numbers)
        return make_short_docs(4 * n, seed=11 + k, first=k * 4 * n)

    docs = make_docs(n, first=0)
    with tempfile.TemporaryDirectory() as tmp:
        app = App(load_config(DEMO_CONFIG, data_dir=tmp))
        scorer = app.scorer

        def score(doc):  # the score role's per-document work, without the store
            scored = scorer.score(doc)
            fingerprint(doc.title, doc.text)
            return scored

        units = statistics.mean(len(score(d).units) for d in docs)  # also warms up
        for d in fresh_short():
            score(d)
        stories = app.story_store
        # The score role's whole work on a bus batch (pipeline/workers.py
        # polls up to 100 records): decode each message, score it, assign
        # the batch's stories in one transaction, encode each scored message.
        # Every pass gets new document ids, so nothing is a replay.
        passes = iter(range(1_000_000))

        def role_pass(batch: list[bytes]) -> None:
            tag = f"p{next(passes)}-".encode()
            raws = [raw.replace(b'"id":"', b'"id":"' + tag, 1) for raw in batch]
            sources = [Document.from_bytes(raw) for raw in raws]
            scored = [scorer.score(doc) for doc in sources]
            for out, doc, raw in zip(stories.assign_many(scored), sources, raws):
                out.to_bytes_from(doc, raw)

        def batches(pass_docs: list[Document]) -> list[list[bytes]]:
            encoded = [d.to_bytes() for d in pass_docs]
            return [encoded[i:i + ROLE_BATCH] for i in range(0, len(encoded), ROLE_BATCH)]

        for batch in batches(docs):  # warm-up: the store's first statements
            role_pass(batch)
        settle()  # as every role does once its parts are built (yuqing/roles.py)
        rss_worker = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        from snownlp import SnowNLP
        baseline = [f"{d.title}\n{d.text}" for d in docs[:args.baseline_docs]]
        _ = SnowNLP(baseline[0]).sentiments  # warm up: model loading is not throughput
        settle()  # the same for the baseline: its model out of the collector's reach too

        def sentiments(text: str) -> float:
            return SnowNLP(text).sentiments

        # Rounds: each measures our passes and SnowNLP's one after the other, on texts of their own,
        # and gives its own ratios; the median round is reported. A machine whose speed drifts (other
        # work, frequency) then slows both sides of a ratio alike.
        rows: dict[str, list[float]] = {k: [] for k in ("ours", "role", "short", "base", "base_short")}
        short_len = 0.0
        for _ in range(rounds):
            rows["ours"].append(pass_rate(score, fresh_long()))
            role_batches = batches(fresh_long())  # batches/s to docs/s: the last one may be short (--docs 150)
            rows["role"].append(pass_rate(role_pass, role_batches) * sum(map(len, role_batches)) / len(role_batches))
            rows["base"].append(pass_rate(sentiments, [f"{d.title}\n{d.text}" for d in fresh_long()[:args.baseline_docs]]))
            shorts = fresh_short()
            rows["short"].append(pass_rate(score, shorts))
            texts = [f"{d.title}\n{d.text}" for d in fresh_short()[:args.baseline_docs * 4]]
            short_len = statistics.mean(len(t) for t in texts)
            rows["base_short"].append(pass_rate(sentiments, texts))
        app.close()

    def ratios(ours: str, base: str) -> list[float]:
        return [a / b for a, b in zip(rows[ours], rows[base])]

    def line(label: str, ours: str, base: str) -> str:
        each = ratios(ours, base)
        return (f"{label}{statistics.median(rows[ours]):8.1f} docs/s   ratio {statistics.median(each):6.1f}x"
                f"   (rounds: {', '.join(f'{r:.0f}x' for r in each)})")

    print(f"{time.strftime('%Y-%m-%d')} {platform.python_implementation()} {platform.python_version()} "
          f"{platform.machine()}, one process, rates per CPU-second, median of {rounds} rounds, "
          f"sentiment/ {sentiment.MODE}, load average {os.getloadavg()[0]:.1f}")
    print(f"texts: {len(docs)} x {len(docs[0].text)} chars + title, {units:.1f} member units per text")
    print(f"baseline SnowNLP(text).sentiments:        {statistics.median(rows['base']):8.1f} docs/s")
    print(line("yuqing DocumentScorer.score + fingerprint: ", "ours", "base"))
    print(line("  the score role's work (decode, score, story store per batch, encode): ", "role", "base"))
    print(f"short texts (headlines, Weibo posts; {short_len:.0f} chars on average):")
    print(f"baseline SnowNLP(text).sentiments:        {statistics.median(rows['base_short']):8.1f} docs/s")
    print(line("yuqing DocumentScorer.score + fingerprint: ", "short", "base_short"))
    print(f"peak RSS of the scoring worker: {rss_worker:.0f} MB")


if __name__ == "__main__":
    main()
