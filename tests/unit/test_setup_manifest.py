"""setup.py's manifest (sentiment/_compiled.json) records each source as mypyc read it: a source edited
while the build runs must differ from the manifest, so that sentiment/__init__.py runs it from source
instead of the compiled code built from the old text."""
from __future__ import annotations

import hashlib
import json
import runpy
import shutil
import sys
import types
from pathlib import Path

import setuptools
from setuptools.command.build_ext import build_ext
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parents[2]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_source_edited_during_the_build_is_not_recorded_as_compiled(tmp_path, monkeypatch):
    shutil.copy(ROOT / "setup.py", tmp_path / "setup.py")
    package = tmp_path / "sentiment"
    package.mkdir()
    for source in (ROOT / "sentiment").glob("*.py"):
        shutil.copy(source, package / source.name)
    before = {p.stem: sha(p) for p in package.glob("*.py") if p.name != "__init__.py"}

    def edit(name: str) -> None:
        with (package / f"{name}.py").open("a", encoding="utf-8") as f:
            f.write("# edited while the build runs\n")

    def mypycify(paths, **options):  # mypyc reading the sources (and generating C): combine.py changes meanwhile
        assert sorted(Path(p).stem for p in paths) == sorted(before)
        edit("combine")
        return []

    monkeypatch.delenv("YUQING_PURE_PYTHON", raising=False)  # a suite run from source: this build still compiles
    mypyc = types.ModuleType("mypyc")
    monkeypatch.setitem(sys.modules, "mypyc", mypyc)
    monkeypatch.setitem(sys.modules, "mypyc.build", types.SimpleNamespace(mypycify=mypycify))
    monkeypatch.setattr(setuptools, "setup", lambda **kw: None)
    monkeypatch.setattr(sys, "argv", ["setup.py", "build_ext", "--inplace"])
    monkeypatch.setattr(build_ext, "run", lambda self: edit("scorer"))  # the C compiling: scorer.py changes
    monkeypatch.chdir(tmp_path)

    built = runpy.run_path(str(tmp_path / "setup.py"))
    command = built["MypycBuildExt"](Distribution({"name": "yuqing", "ext_modules": []}))
    command.inplace = True
    command.ensure_finalized()
    command.run()

    manifest = json.loads((package / "_compiled.json").read_text(encoding="utf-8"))
    assert manifest["compiled"] is True and manifest["reason"] is None
    assert manifest["modules"] == before  # the sources as mypyc read them
    changed = sorted(name for name, digest in manifest["modules"].items() if sha(package / f"{name}.py") != digest)
    assert changed == ["combine", "scorer"]  # what sentiment/__init__.py then runs from source (all of it)
