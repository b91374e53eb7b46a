"""Pure scoring: no I/O, no frameworks.

Compiled or from source. The build (setup.py) compiles every other module
of this package with mypyc and writes ``_compiled.json`` beside them: the
SHA-256 of each compiled module's source. Before any of them is imported,
this decides where they all come from (all or none: the modules of one
mypyc group call each other natively, so compiled and source never mix):

* compiled, when their sources are the ones they were built from;
* source, when ``YUQING_PURE_PYTHON`` is set, when nothing is compiled
  (a checkout, or an install without a C compiler: one warning), or when a
  source changed since the build (an edit after ``pip install -e .``: one
  warning naming the file and how to rebuild) — never old compiled code.

``MODE`` says which (``"compiled"`` or ``"source"``), ``MODE_REASON`` why.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PURE_ENV = "YUQING_PURE_PYTHON"
MANIFEST = "_compiled.json"
_HERE = Path(__file__).resolve().parent
_REBUILD = "python -m pip install -e .（或 pip install .）"

log = logging.getLogger(__name__)


class _SourceFinder:
    """A meta path finder that imports this package's modules from their
    ``.py`` files even where a compiled module lies beside them."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package, _, leaf = fullname.rpartition(".")
        source = _HERE / f"{leaf}.py"
        if package != __name__ or not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def _pure_forced() -> bool:
    return os.environ.get(PURE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _compiled_modules() -> set[str]:
    """Modules with an extension module this interpreter can load beside their source."""
    return {path.name[: -len(suffix)] for suffix in importlib.machinery.EXTENSION_SUFFIXES
            for path in _HERE.glob(f"*{suffix}") if (_HERE / (path.name[: -len(suffix)] + ".py")).is_file()}


def _read_manifest() -> dict | None:
    try:
        return json.loads((_HERE / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _changed(modules: dict[str, str]) -> list[str]:
    """Compiled modules whose source is not the one they were built from."""
    changed = []
    for name, digest in sorted(modules.items()):
        source = _HERE / f"{name}.py"
        if not source.is_file() or hashlib.sha256(source.read_bytes()).hexdigest() != digest:
            changed.append(name)
    return changed


def _decide() -> tuple[str, str]:
    compiled = _compiled_modules()
    manifest = _read_manifest()
    if not compiled:
        if manifest is not None and not manifest.get("compiled") and not manifest.get("forced"):
            log.warning("sentiment/ 安装时未能编译（%s），以纯 Python 运行，评分较慢；装好 C 编译器后重新安装：%s",
                        manifest.get("reason"), _REBUILD)
        return "source", "nothing compiled" if manifest is None else str(manifest.get("reason"))
    if _pure_forced():
        return "source", f"{PURE_ENV} is set"
    modules = manifest.get("modules", {}) if manifest is not None and manifest.get("compiled") else {}
    stale = sorted(compiled - modules.keys()) or _changed(modules)
    if not stale:
        return "compiled", f"{len(modules)} modules compiled with mypyc"
    files = "、".join(str(_HERE / f"{name}.py") for name in stale)
    log.warning("%s 在编译后已修改（或没有编译清单），sentiment/ 全部改用 Python 源码运行（较慢，"
                "但不运行旧的编译代码）。重新编译：%s", files, _REBUILD)
    return "source", f"changed since the build: {files}"


MODE, MODE_REASON = _decide()
if MODE == "source" and _compiled_modules():
    sys.meta_path.insert(0, _SourceFinder())
