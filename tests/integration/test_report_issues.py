"""期号 in the console's store (console.reports.issues), on SQLite and on a real PostgreSQL: two console
replicas (two stores on one database, from threads and from processes) never give one number twice, and
the numbers of an old issues.json carry on."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from console.reports.issues import ASSOCIATION, IssueStore, unit_scope
from tests.kit import REPO_ROOT


def test_numbers_count_per_kind_and_scope_and_a_regenerated_report_keeps_its_number(state_url):
    store = IssueStore(state_url)
    counter = store.counter(ASSOCIATION)
    assert counter.number("daily", "daily-2026-11-29") == 1
    assert counter.number("daily", "daily-2026-11-30") == 2
    assert counter.number("weekly", "weekly-2026-11-29") == 1
    assert counter.number("daily", "daily-2026-11-29") == 1  # regenerated: same 期号
    assert store.counter(unit_scope("picc-jl")).number("daily", "daily-2026-11-30") == 1  # a unit's own count
    assert counter.known("daily", "daily-2026-12-01") is None  # asking never gives one
    store.close()
    again = IssueStore(state_url).counter(ASSOCIATION)
    assert again.number("daily", "daily-2026-12-01") == 3 and again.known("daily", "daily-2026-11-30") == 2
    again.store.close()


def test_two_replicas_taking_numbers_at_once_never_give_one_twice(state_url):
    stores = [IssueStore(state_url), IssueStore(state_url)]  # two consoles, one database
    given: dict[str, int] = {}
    start = threading.Barrier(4)

    def take(store: IssueStore, worker: int) -> None:
        start.wait()
        for i in range(25):
            given[f"{worker}-{i}"] = store.number(ASSOCIATION, "daily", f"daily-{worker}-{i}")

    threads = [threading.Thread(target=take, args=(stores[w % 2], w)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(given.values()) == list(range(1, 101))
    for s in stores:
        s.close()


TAKE = """
import json, sys
from console.reports.issues import ASSOCIATION, IssueStore
store = IssueStore(sys.argv[1])
print(json.dumps([store.number(ASSOCIATION, "weekly", f"{sys.argv[2]}-{i}") for i in range(30)]))
"""


def test_two_processes_on_one_store_never_give_one_number_twice(state_url):
    IssueStore(state_url).close()  # migrated once before: the processes race for numbers, not the schema
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", TAKE, state_url, name], stdout=subprocess.PIPE, env=env,
                              text=True) for name in ("a", "b")]
    numbers = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        numbers += json.loads(out)
    assert sorted(numbers) == list(range(1, 61))


def test_an_old_issues_json_is_read_in_once_and_numbering_continues(state_url, tmp_path: Path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "issues.json").write_text(json.dumps({"daily": {"daily-2026-11-28": 1, "daily-2026-11-29": 2},
                                                    "emergency-special": {"E1": 1}}), "utf-8")
    store = IssueStore(state_url)
    counter = store.counter(ASSOCIATION, folder)
    assert counter.known("daily", "daily-2026-11-29") == 2  # listed with its old number
    assert counter.number("daily", "daily-2026-11-30") == 3
    assert counter.number("emergency-special", "E2") == 2 and counter.number("daily", "daily-2026-11-28") == 1
    # The file is not read again (a replica's own copy, or the file left behind, changes nothing).
    (folder / "issues.json").write_text(json.dumps({"daily": {"daily-2026-12-24": 9}}), "utf-8")
    other = IssueStore(state_url).counter(ASSOCIATION, folder)
    assert other.known("daily", "daily-2026-12-24") is None and other.number("daily", "daily-2026-12-01") == 4
    # A unit's folder is its own scope, read in on its own first use.
    unit = tmp_path / "reports" / "units" / "picc-jl"
    unit.mkdir(parents=True)
    (unit / "issues.json").write_text(json.dumps({"weekly": {"weekly-2026-11-29": 5}}), "utf-8")
    assert other.store.counter(unit_scope("picc-jl"), unit).number("weekly", "weekly-2026-12-06") == 6
    store.close()
    other.store.close()
