"""Scoring throughput, as a ratio to SnowNLP's own ``SnowNLP(text).sentiments``
on the same ~1,000-character news texts in the same run (never a timed
assertion in a test).

    python bench/bench_scoring.py [--docs 200]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.bootstrap import App  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.messages import Document  # noqa: E402
from pipeline.testing import DEMO_CONFIG  # noqa: E402

PARAGRAPHS = [
    "近日，长春市民王先生向记者反映，其去年在中国人寿吉林省分公司投保的重疾险在申请理赔时遭遇拒赔，"
    "保险公司以投保前未如实告知病史为由不予理赔，王先生认为业务员在销售时并未询问相关情况。",
    "吉林省保险行业协会表示，将督促会员单位规范销售行为，畅通投诉渠道，切实保护消费者合法权益。",
    "据了解，今年前三季度全省保险业累计实现保费收入同比增长，农业保险覆盖面进一步扩大，"
    "为农户提供风险保障超过千亿元。",
    "业内人士提醒，消费者在购买保险产品时应仔细阅读条款，特别是免责条款和等待期的约定，"
    "如遇纠纷可通过行业调解组织或监管部门反映。",
    "人保财险吉林省分公司在今年汛期累计处理农险报案数千件，开通理赔绿色通道，做到应赔尽赔、快赔。",
]


def make_texts(n: int, length: int = 1000) -> list[tuple[str, str]]:
    docs = []
    for i in range(n):
        body, k = "", i
        while len(body) < length:
            body += PARAGRAPHS[k % len(PARAGRAPHS)]
            k += 1
        docs.append((f"吉林保险业新闻第{i}期：理赔服务与消费者权益保护", body[:length]))
    return docs


def rate(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--baseline-docs", type=int, default=40)
    args = ap.parse_args()

    from snownlp import SnowNLP
    texts = make_texts(args.docs)
    app = App(load_config(DEMO_CONFIG, data_dir="/tmp/yuqing-bench"))
    scorer = app.scorer
    docs = [Document.create(url=f"http://bench.example.cn/{i}", source_id="bench", channel="news",
                            site="bench.example.cn", title=t, text=x) for i, (t, x) in enumerate(texts)]
    scorer.score(docs[0])  # warm up (dictionary loading is not throughput)
    SnowNLP(texts[0][1]).sentiments

    base = statistics.median(rate(lambda t: SnowNLP(t[0] + "\n" + t[1]).sentiments, texts[:args.baseline_docs])
                             for _ in range(3))
    ours = statistics.median(rate(scorer.score, docs) for _ in range(3))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"texts: {len(texts)} x {len(texts[0][1])} chars, one core")
    print(f"baseline SnowNLP(text).sentiments: {base:8.1f} docs/s")
    print(f"yuqing DocumentScorer.score:       {ours:8.1f} docs/s")
    print(f"ratio: {ours / base:.1f}x   peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
