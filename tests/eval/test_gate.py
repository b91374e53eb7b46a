"""Quality gate on the scorer (STYLE 12): the gold set must stay at or above
the floors pinned in floors.json, and no floor may be lowered silently.

Run with ``-s`` to see the numbers; ``python -m tests.eval.report`` prints
them with the baseline and every gold-set error.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from pipeline.config import load_config
from tests.eval import harness
from tests.kit import DEMO_CONFIG
from tools import devdata
from yuqing.bootstrap import App

FLOORS_PATH = "tests/eval/floors.json"


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return App(load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("eval"))).scorer


def floors(prefix: str) -> dict[str, float]:
    data = json.loads(harness.FLOORS.read_text(encoding="utf-8"))
    return {k.split(".", 1)[1]: v for k, v in data["floors"].items() if k.startswith(prefix + ".")}


def assert_meets(measured: dict[str, float], pinned: dict[str, float], what: str) -> None:
    print(f"\n{what}: " + ", ".join(f"{k} {v:.3f} (floor {pinned.get(k, 0):.2f})" for k, v in measured.items()))
    assert set(pinned) <= set(measured), f"floors name metrics that are not measured: {set(pinned) - set(measured)}"
    below = {k: (measured[k], f) for k, f in pinned.items() if measured[k] < f}
    assert not below, f"{what}: below the floor (measured, floor): {below}"


def test_gold_set_is_well_formed():
    items = harness.load_gold()
    cfg = load_config(DEMO_CONFIG)
    known = {u.id for u in cfg.members.units}
    assert len(items) >= 150
    assert len({i["id"] for i in items}) == len(items)
    assert len({i["title"] for i in items}) == len(items)
    for item in items:
        assert item["title"] and item["text"], item["id"]
        assert set(item["units"]) <= known, item["id"]
        assert set(item["negative_for"]) <= set(item["units"]), item["id"]
        # negative for the company, not acted on: never also alert-worthy
        assert set(item.get("negative_coverage_for", ())) <= set(item["units"]) - set(item["negative_for"]), item["id"]
    assert sum(1 for i in items if i.get("negative_coverage_for")) >= 3
    negatives = sum(1 for i in items if i["negative_for"])
    assert 0.3 * len(items) <= negatives <= 0.6 * len(items), "keep both classes well represented"
    hard = {t for i in items for t in i["tags"]}
    assert {"other-company", "refuted", "regulator-praise", "pingan-word", "industry", "sarcasm"} <= hard


@pytest.mark.parametrize("path", [harness.HELDOUT, harness.HELDOUT2, harness.HELDOUT3, harness.HELDOUT4,
                                  harness.HELDOUT5, harness.HELDOUT6, harness.HELDOUT7, harness.HELDOUT8,
                                  harness.HELDOUT9, harness.HELDOUT10, harness.HELDOUT11, harness.HELDOUT12,
                                  harness.HELDOUT13],
                         ids=["heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
                              "heldout8", "heldout9", "heldout10", "heldout11", "heldout12", "heldout13"])
def test_heldout_batches_are_well_formed(path):
    items = harness.load_gold(path)
    known = {u.id for u in load_config(DEMO_CONFIG).members.units}
    assert len({i["id"] for i in items}) == len(items)
    gold_titles = {i["title"] for i in harness.load_gold()}
    for item in items:
        assert item["title"] and item["text"] and item["title"] not in gold_titles, item["id"]
        assert set(item["negative_for"]) <= set(item["units"]) <= known, item["id"]


def test_gold_set_meets_floors(scorer):
    measured, errors = harness.gold_metrics(scorer)
    for e in errors:
        print(f"  {e['id']} {e['title']}: negative {e['negative']} want {e['want_negative']}; "
              f"units {e['units']} want {e['want_units']}")
    assert_meets(measured, floors("gold"), "gold set")


def test_scorer_beats_bundled_snownlp_on_the_gold_set(scorer):
    ours, _ = harness.gold_metrics(scorer)
    base = harness.gold_baseline()
    print(f"\nbundled snownlp on the gold pairs: {base}")
    assert ours["negative_f1"] > base["negative_f1"] + 0.1
    assert ours["negative_precision"] > base["negative_precision"]


@pytest.mark.skipif(not devdata.available(), reason="../shared/data/sentiment-dev is not here (a user's checkout)")
def test_shared_development_data_meets_floors(scorer):
    # The whole scorer at the alert threshold (rules.yaml), as it alerts; the
    # model alone at 0.5, the threshold the bundled model is measured at.
    assert_meets(harness.shared_metrics(scorer), floors("shared"), "shared validation split")


# ------------------------------------------------------------ floors cannot be lowered silently


def replay(history: list[dict]) -> dict[str, float]:
    """Apply the history entries in order; check each is consistent and that
    every lowering carries a reason."""
    state: dict[str, float] = {}
    for n, entry in enumerate(history):
        assert entry.get("date") and entry.get("reason"), f"history[{n}] needs a date and a reason"
        for metric, (old, new) in entry["change"].items():
            assert state.get(metric) == old, \
                f"history[{n}]: {metric} was {state.get(metric)}, the entry says it was {old}"
            if old is not None and new < old:
                assert len(entry["reason"].strip()) >= 20, f"history[{n}] lowers {metric} without a real reason"
            state[metric] = new
    return state


def test_floors_match_their_recorded_history():
    data = json.loads(harness.FLOORS.read_text(encoding="utf-8"))
    assert replay(data["history"]) == data["floors"], \
        "floors differ from what history records: add a history entry (with a reason if you lower one)"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=harness.HERE, capture_output=True, text=True, check=True,
                          timeout=30).stdout


def test_floor_history_is_append_only():
    try:
        revs = _git("log", "--format=%H", "--", FLOORS_PATH).split()
        root = _git("rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pytest.skip("not a git checkout: history of floors.json unavailable")
    assert harness.FLOORS.resolve().as_posix().startswith(root)
    current = json.loads(harness.FLOORS.read_text(encoding="utf-8"))["history"]
    for rev in revs[:200]:
        committed = json.loads(_git("show", f"{rev}:{FLOORS_PATH}"))["history"]
        assert current[:len(committed)] == committed, \
            f"history of floors.json was rewritten since commit {rev[:10]}: entries may only be appended"
