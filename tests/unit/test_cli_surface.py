"""The ``yuqing`` command's surface: every subcommand with its options, in --help's order, each run by
the module that owns it (yuqing/cli/run.py, data.py, admin.py, yuqing/maintenance.py, yuqing/feedback.py),
and ``python -m yuqing.cli`` — how the supervisor starts each role — is the same command."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

from tests.kit import REPO_ROOT
from yuqing.cli import build_parser

WITH_CONFIG = ["--config", "--data-dir"]
ROLE = [*WITH_CONFIG, "--metrics-port"]
SURFACE: dict[str, tuple[str, list[str]]] = {
    "run": ("yuqing.cli.run", [*WITH_CONFIG, "--roles", "--no-demo"]),
    **{role: ("yuqing.cli.run", ROLE) for role in ("crawl", "score", "index", "route", "notify", "console")},
    "check-config": ("yuqing.cli.data", WITH_CONFIG),
    "status": ("yuqing.maintenance", WITH_CONFIG),
    "vacuum": ("yuqing.maintenance", [*WITH_CONFIG, "--full"]),
    "prune": ("yuqing.maintenance", [*WITH_CONFIG, "--dry-run"]),
    "search": ("yuqing.cli.data", [*WITH_CONFIG, "text", "--unit", "--limit"]),
    "reindex": ("yuqing.cli.data", [*WITH_CONFIG, "--from", "--batch"]),
    "alerts": ("yuqing.cli.data", [*WITH_CONFIG, "--unit", "--limit", "--json"]),
    "sources": ("yuqing.cli.data", [*WITH_CONFIG, "--json"]),
    "crawl-once": ("yuqing.cli.data", [*WITH_CONFIG, "--source", "--no-alerts"]),
    "audit": ("yuqing.cli.data", [*WITH_CONFIG, "--unit", "--since", "--format", "--responses", "--output"]),
    "user": ("yuqing.cli.admin", [*WITH_CONFIG, "action", "username", "--role", "--unit", "--name", "--password-env"]),
    "members": ("yuqing.cli.admin", [*WITH_CONFIG, "action", "--registered", "--output"]),
    "feedback": ("yuqing.feedback", [*WITH_CONFIG, "action", "--since", "--output"]),
    "try-rule": ("yuqing.cli.admin", ["documents", "--config", "--rules", "--members", "--all"]),
}
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "200"}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_subcommand_keeps_its_options_and_is_run_by_its_module():
    found = {name: (sp.get_default("func").__module__,
                    [a.option_strings[0] if a.option_strings else a.dest for a in sp._actions if a.dest != "help"])
             for name, sp in subcommands().items()}
    assert list(found) == list(SURFACE)
    assert found == SURFACE


def test_python_m_yuqing_cli_is_the_yuqing_command():
    helped = subprocess.run([sys.executable, "-m", "yuqing.cli", "--help"], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120, env=ENV)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: yuqing ")
    assert "{" + ",".join(SURFACE) + "}" in helped.stdout
    checked = subprocess.run([sys.executable, "-m", "yuqing.cli", "check-config", "--config",
                              str(REPO_ROOT / "config" / "demo")], cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=120, env=ENV)
    assert checked.returncode == 0, checked.stderr
    assert ": OK — " in checked.stdout
