"""sentiment/ compiled with mypyc (setup.py) or from source
(sentiment/__init__.py decides): which mode this suite runs in, never a mix,
never old compiled code after an edit, and the same results either way."""
from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sentiment
from bench.bench_scoring import make_docs, make_short_docs
from tests.eval.harness import as_document, load_gold

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sentiment"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
COMPILED = sentiment.MODE == "compiled"
needs_compiled = pytest.mark.skipif(
    not COMPILED, reason=f"sentiment/ runs from source here ({sentiment.MODE_REASON}); "
                         "compiled by `python -m pip install -e .` with a C compiler")


def run(code: str, pythonpath: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != sentiment.PURE_ENV}
    environ.update(env, PYTHONPATH=os.pathsep.join([str(pythonpath), str(ROOT)]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=300,
                          cwd=pythonpath)


SHOW = "import sentiment, sentiment.clauses as m; print(sentiment.MODE, m.__file__.rsplit('.', 1)[-1])"


def test_the_mode_this_suite_runs_in():
    import sentiment.scorer  # noqa: F401  (and with it every module the scorer uses)
    suffixes = {Path(module.__file__).suffix for name, module in list(sys.modules.items())
                if name.startswith("sentiment.") and module.__file__}
    assert suffixes == ({Path(SUFFIX).suffix} if COMPILED else {".py"})  # never a mix
    if not COMPILED:
        pytest.skip(f"sentiment/ runs from source: {sentiment.MODE_REASON}")


def fake_build(tmp_path: Path, with_manifest: bool = True) -> Path:
    """A copy of sentiment/ whose "compiled modules" are not loadable: any
    import of one would fail, so a passing import came from source."""
    package = tmp_path / "sentiment"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("*.so", "*.pyd", "_compiled.json", "__pycache__"))
    sources = [p for p in package.glob("*.py") if p.name != "__init__.py"]
    for source in sources:
        (package / f"{source.stem}{SUFFIX}").write_bytes(b"not an extension module")
    if with_manifest:
        manifest = {"compiled": True, "reason": None, "forced": False,
                    "modules": {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sources}}
        (package / "_compiled.json").write_text(json.dumps(manifest), encoding="utf-8")
    return package


def test_an_edit_after_the_build_loads_every_module_from_source_with_one_warning(tmp_path):
    package = fake_build(tmp_path)
    fresh = run("import sentiment; print(sentiment.MODE)", tmp_path)
    assert fresh.stdout.split() == ["compiled"] and not fresh.stderr  # what the build left: compiled
    with (package / "combine.py").open("a", encoding="utf-8") as f:
        f.write("# an edit\n")
    edited = run(SHOW, tmp_path)
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.split() == ["source", "py"]
    [warning] = edited.stderr.strip().splitlines()
    assert str(package / "combine.py") in warning and "pip install -e ." in warning


def test_compiled_modules_without_a_manifest_are_not_trusted(tmp_path):
    fake_build(tmp_path, with_manifest=False)
    shown = run(SHOW, tmp_path)
    assert shown.stdout.split() == ["source", "py"] and "pip install -e ." in shown.stderr


def test_pure_python_forced_at_import_uses_the_sources_silently(tmp_path):
    fake_build(tmp_path)
    shown = run(SHOW, tmp_path, YUQING_PURE_PYTHON="1")
    assert shown.stdout.split() == ["source", "py"] and not shown.stderr


@pytest.mark.parametrize("forced", [False, True])
def test_an_install_that_could_not_compile_says_so_once_unless_pure_was_asked_for(tmp_path, forced):
    package = tmp_path / "sentiment"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("*.so", "*.pyd", "_compiled.json", "__pycache__"))
    (package / "_compiled.json").write_text(json.dumps(
        {"compiled": False, "reason": "CompileError: command 'gcc' failed", "forced": forced, "modules": {}}))
    shown = run(SHOW, tmp_path)
    assert shown.stdout.split() == ["source", "py"]
    assert (shown.stderr == "") if forced else ("CompileError" in shown.stderr and len(shown.stderr.splitlines()) == 1)


@needs_compiled
def test_the_real_build_edited_after_install_runs_from_source(tmp_path):
    package = tmp_path / "sentiment"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    code = "import sentiment, sentiment.scorer as m; print(sentiment.MODE, Path(m.__file__).suffix)"
    code = "from pathlib import Path; " + code
    assert run(code, tmp_path).stdout.split() == ["compiled", ".so"]
    with (package / "scorer.py").open("a", encoding="utf-8") as f:
        f.write("\nEDITED = True\n")
    edited = run(code + "; print(m.EDITED)", tmp_path)
    assert edited.stdout.split() == ["source", ".py", "True"], edited.stderr
    assert "scorer.py" in edited.stderr


@needs_compiled
def test_compiled_and_source_give_byte_identical_results(tmp_path):
    docs = [as_document(item) for item in load_gold()] + make_docs(150) + make_short_docs(150)
    (tmp_path / "docs").write_bytes(b"\n".join(d.to_bytes() for d in docs) + b"\n")
    outputs = {}
    for mode, env in (("compiled", {}), ("source", {"YUQING_PURE_PYTHON": "1"})):
        done = run(f"from tests.kit.scoring_dump import main; main({['docs', mode]!r})", tmp_path, **env)
        assert done.returncode == 0, done.stderr
        outputs[mode] = (tmp_path / mode).read_bytes().splitlines()
        assert outputs[mode][0] == mode.encode()
    assert len(outputs["compiled"]) == 1 + 2 * len(docs)
    assert outputs["compiled"][1:] == outputs["source"][1:]


def test_a_scorer_for_other_units_shares_everything_but_the_units(tmp_path):
    # with_units builds its clone (mypyc classes cannot be copied) and takes
    # the other parts over one by one: a part added to DocumentScorer later
    # must be taken over too.
    from contracts.messages import Document
    from pipeline.config import load_config
    from sentiment.matching import UnitSpec
    from tests.kit import DEMO_CONFIG
    from yuqing.bootstrap import App

    app = App(load_config(DEMO_CONFIG, data_dir=tmp_path))
    scorer = app.scorer
    clone = scorer.with_units([UnitSpec("abc", "甲乙丙保险公司吉林分公司", ("甲乙丙保险",))])
    doc = Document.create(url="http://example.cn/1", source_id="s", channel="news", site="example.cn",
                          title="甲乙丙保险拒赔引发投诉", text="长春市民投诉甲乙丙保险吉林分公司拒赔，中国人寿未涉及。")
    assert [u.unit_id for u in clone.score(doc).units] == ["abc"]
    assert "abc" not in {u.unit_id for u in scorer.score(doc).units}
    if COMPILED:
        pytest.skip("compiled: the attributes of a native class are not listed by vars(); checked from source by "
                    "test_the_clones_parts_are_checked_from_source_when_compiled")
    own = {"matcher", "_parts", "schemes", "_owns"}  # _owns: key terms' own names, by the units' names
    assert set(vars(clone)) == set(vars(scorer))
    assert {name for name, value in vars(scorer).items() if getattr(clone, name) is not value} == own
    app.close()


def test_the_clones_parts_are_checked_from_source_when_compiled():
    # CI runs compiled, where the check above skips: it runs here from source, in a subprocess (a part added to
    # DocumentScorer that with_units neither took over nor listed went unseen in CI before).
    if not COMPILED:
        pytest.skip("sentiment/ runs from source: the check ran in this process")
    env = {**os.environ, sentiment.PURE_ENV: "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", __file__, "-k",
                           "shares_everything_but_the_units"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=Path(__file__).parents[2])
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
