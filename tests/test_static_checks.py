"""The house rules, checked with every test run (and so by .ci/run):

* import-linter: the layers (demo > yuqing > console > alerting | crawlers >
  pipeline > sentiment > contracts), runtime code never importing the test kit,
  the console using alerting's public surface only, sentiment staying pure;
* ruff: pyflakes, bugbear, isort, pyupgrade, simplify (pyproject.toml);
* mypy on every package (a package shipped but left out of mypy's ``files``
  fails here: it would only be checked where another package imports it),
  and on bench/, tools/ and tests/ (the tests too: a test that reads a value
  which may be None says so with an assert, not by an AttributeError);
* no module over 500 lines.

Configuration for all three tools is in pyproject.toml.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["contracts", "sentiment", "pipeline", "crawlers", "alerting", "console", "yuqing", "demo"]
MAX_LINES = 500


LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


@pytest.mark.parametrize("argv", [
    pytest.param(("-c", LINT_IMPORTS, "--no-cache"), id="import-linter"),
    pytest.param(("-m", "ruff", "check", "--no-cache", "."), id="ruff"),
    pytest.param(("-m", "mypy", "--no-incremental"), id="mypy"),
])
def test_static_check_passes(argv):
    result = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"


def _setting(section: str, key: str) -> list[str]:
    """A list of strings from pyproject.toml (tomllib is not in Python 3.10)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    body = re.search(rf"^\[{re.escape(section)}\]$(.*?)(?=^\[)", text, re.M | re.S)
    assert body is not None, f"pyproject.toml has no [{section}]"
    value = re.search(rf"^{key} = \[(.*?)\]", body.group(1), re.M | re.S)
    assert value is not None, f"pyproject.toml [{section}] has no {key} list"
    return re.findall(r'"([^"]+)"', value.group(1))


def test_mypy_checks_every_package():
    shipped = {name.removesuffix("*") for name in _setting("tool.setuptools.packages.find", "include")}
    assert shipped == set(PACKAGES), "PACKAGES here and the packages pyproject.toml ships differ"
    assert set(_setting("tool.importlinter", "root_packages")) == shipped
    checked = set(_setting("tool.mypy", "files"))
    assert shipped <= checked, f"left out of [tool.mypy] files: {sorted(shipped - checked)}"
    assert {"bench", "tools", "tests"} <= checked, "the benchmarks, tools and tests are checked too"
    # A namespace package (no __init__.py) merges every same-named directory on the path.
    assert not [p for p in PACKAGES if not (ROOT / p / "__init__.py").is_file()]


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by what they own): {long}"
