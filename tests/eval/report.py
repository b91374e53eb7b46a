"""Print every evaluation number: ``python -m tests.eval.report [--baseline | --heldout | --heldout2 | --heldout3 | --heldout4 | --heldout5 | --heldout6 | --heldout7 | --heldout8 | --heldout9 | --heldout10 | --heldout11 | --heldout12 | --heldout13]``.

Gold set (with every error), the floors, and when ../shared/data is present
the shared validation split at the alert threshold and at 0.5. With
``--baseline``, snownlp's bundled model on the gold set too (slow to load).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from pipeline.config import load_config
from tests.eval import harness
from tests.kit import DEMO_CONFIG
from tools import devdata
from yuqing.bootstrap import App


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--heldout", action="store_true", help="score the held-out batch (tests/eval/heldout.jsonl) only")
    ap.add_argument("--heldout2", action="store_true", help="score the second held-out batch (tests/eval/heldout2.jsonl) only")
    ap.add_argument("--heldout3", action="store_true", help="score the third held-out batch (tests/eval/heldout3.jsonl) only")
    ap.add_argument("--heldout4", action="store_true", help="score the fourth held-out batch (tests/eval/heldout4.jsonl) only")
    ap.add_argument("--heldout5", action="store_true", help="score the fifth held-out batch (tests/eval/heldout5.jsonl) only")
    ap.add_argument("--heldout6", action="store_true", help="score the sixth held-out batch (tests/eval/heldout6.jsonl) only")
    ap.add_argument("--heldout7", action="store_true", help="score the seventh held-out batch (tests/eval/heldout7.jsonl) only")
    ap.add_argument("--heldout8", action="store_true", help="score the eighth held-out batch (tests/eval/heldout8.jsonl) only")
    ap.add_argument("--heldout9", action="store_true", help="score the ninth held-out batch (tests/eval/heldout9.jsonl) only")
    ap.add_argument("--heldout10", action="store_true",
                    help="score the tenth held-out batch (tests/eval/heldout10.jsonl) only")
    ap.add_argument("--heldout11", action="store_true",
                    help="score the eleventh held-out batch (tests/eval/heldout11.jsonl) only")
    ap.add_argument("--heldout12", action="store_true",
                    help="score the twelfth held-out batch (tests/eval/heldout12.jsonl) only")
    ap.add_argument("--heldout13", action="store_true",
                    help="score the thirteenth held-out batch (tests/eval/heldout13.jsonl) only")
    args = ap.parse_args()
    floors = json.loads(harness.FLOORS.read_text(encoding="utf-8"))["floors"]
    with tempfile.TemporaryDirectory() as tmp:
        app = App(load_config(DEMO_CONFIG, data_dir=tmp))
        if (args.heldout or args.heldout2 or args.heldout3 or args.heldout4 or args.heldout5 or args.heldout6
                or args.heldout7 or args.heldout8 or args.heldout9 or args.heldout10
                or args.heldout11 or args.heldout12 or args.heldout13):
            _heldout(app, harness.HELDOUT13 if args.heldout13 else harness.HELDOUT12 if args.heldout12 else harness.HELDOUT11 if args.heldout11 else harness.HELDOUT10 if args.heldout10 else harness.HELDOUT9 if args.heldout9 else harness.HELDOUT8 if args.heldout8 else harness.HELDOUT7 if args.heldout7 else harness.HELDOUT6 if args.heldout6
                     else harness.HELDOUT5 if args.heldout5
                     else harness.HELDOUT4 if args.heldout4
                     else harness.HELDOUT3 if args.heldout3
                     else harness.HELDOUT2 if args.heldout2 else harness.HELDOUT)
            app.close()
            return
        metrics, errors = harness.gold_metrics(app.scorer)
        print(f"gold set ({len(harness.load_gold())} items):")
        _print_set(metrics, errors, {k: floors.get("gold." + k, 0) for k in metrics})
        if args.baseline:
            print(f"  bundled snownlp: {harness.gold_baseline()}")
        print("gold set, recall of negative pairs by risk type:")
        for risk, (recall, n) in harness.risk_recall(app.scorer).items():
            print(f"  {risk:10} {recall:.3f}  ({n} pairs)")
        if devdata.available():
            threshold = app.scorer.levels.alert_threshold
            print(f"shared validation split, negative if score >= {threshold}, the sources' labels:")
            for k, v in harness.shared_metrics(app.scorer, threshold).items():
                print(f"  {k:28} {v:.3f}   floor {floors.get('shared.' + k, 0):.2f}")
        else:
            print(f"shared data: not found in {devdata.data_dir()}")
        app.close()


def _heldout(app: App, path: Path) -> None:
    items = harness.load_gold(path)
    metrics, errors = harness.gold_metrics(app.scorer, items)
    print(f"held-out batch ({len(items)} items, {sum(bool(i['negative_for']) for i in items)} negative):")
    _print_set(metrics, errors)


def _print_set(metrics: dict[str, float], errors: list[dict], floors: dict[str, float] | None = None) -> None:
    """One set's metrics (with their floors, if it has any) and every item it got wrong."""
    for k, v in metrics.items():
        print(f"  {k:24} {v:.3f}" + (f"   floor {floors[k]:.2f}" if floors is not None else ""))
    for e in errors:
        print(f"  ✗ {e['id']} {e['title']}\n      negative {e['negative']} want {e['want_negative']}; "
              f"units {e['units']} want {e['want_units']}; scores {e['scores']}")


if __name__ == "__main__":
    main()
