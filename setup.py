"""The build: sentiment/ compiled to C extension modules with mypyc.

``pip install .`` and ``pip install -e .`` compile every module of
``sentiment/`` except ``__init__`` into one mypyc group (one shared library,
``sentiment/native__mypyc*.so``, and a small extension module beside each
source; the modules call each other natively). Editable installs put them
in the source tree, where imports find them before the ``.py`` files.

* No C compiler, or mypyc rejects a module: the install still succeeds, pure
  Python, with one warning here and one at import (the manifest says why).
* ``YUQING_PURE_PYTHON=1`` at install: nothing is compiled (and at import:
  the sources are used even where compiled modules exist).
* Every build writes ``sentiment/_compiled.json``, the SHA-256 of each
  compiled module's source, taken before mypyc reads the sources;
  ``sentiment/__init__.py`` loads all of sentiment/ from source, with one
  warning, as soon as one source differs from its compiled module (an edit
  during or after the build), so old compiled code never runs.

Project metadata is in pyproject.toml; this file only adds the extensions.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
PURE_ENV = "YUQING_PURE_PYTHON"
PACKAGE = "sentiment"
GROUP = "sentiment.native"  # the shared library: sentiment/native__mypyc.*.so
MANIFEST = "_compiled.json"  # beside the compiled modules; read by sentiment/__init__.py
MANIFEST_ANCHOR = "tokenize"  # any module of the package: where its extension would go


def compiled_sources() -> list[str]:
    """The modules mypyc compiles, as paths relative to the project root."""
    return sorted(f"{PACKAGE}/{p.name}" for p in (ROOT / PACKAGE).glob("*.py") if p.name != "__init__.py")


def pure_forced() -> bool:
    return os.environ.get(PURE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_hashes() -> dict[str, str]:
    """The manifest's ``modules``: each compiled module's source hash, by module name."""
    return {Path(src).stem: source_hash(ROOT / src) for src in compiled_sources()}


def manifest(failure: str | None, hashes: dict[str, str]) -> dict:
    """``_compiled.json`` (read by sentiment/__init__.py): ``hashes`` must be taken before mypyc read the sources."""
    return {"compiled": failure is None, "reason": failure, "forced": pure_forced(),
            "modules": hashes if failure is None else {}}


def _short(reason: str, limit: int = 200) -> str:
    """A compiler error names its whole command line: the start says enough."""
    return reason if len(reason) <= limit else reason[:limit] + "…"


def _warn(message: str) -> None:
    print(f"\nwarning: {message}\n", file=sys.stderr, flush=True)


# The commands that build extensions (PEP 517 runs setup.py once for each
# step: generating the C code only for these keeps egg_info / dist_info fast).
BUILD_COMMANDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "install", "develop", "bdist"}


def mypyc_extensions() -> tuple[list[Extension], str | None, dict[str, str]]:
    """mypyc's extensions for sentiment/, or none and why not, and the hashes of the sources they are built
    from. The hashes are taken first: a source edited while mypyc reads it or while the C compiles then
    differs from the manifest, and runs from source (hashed after, the edit would pass for compiled)."""
    hashes = source_hashes()
    if pure_forced():
        return [], f"{PURE_ENV} was set at install", hashes
    if not BUILD_COMMANDS & set(sys.argv[1:]):
        return [], "not a build", hashes
    try:
        from mypyc.build import mypycify

        # The project's mypy configuration (pyproject.toml), with the paths to compile.
        return mypycify(compiled_sources(), group_name=GROUP, target_dir=os.path.join("build", "mypyc")), None, hashes
    except (Exception, SystemExit) as exc:  # mypyc exits when it rejects a module (its errors printed above)
        return [], _short(f"mypyc: {type(exc).__name__}: {exc}"), hashes


class MypycBuildExt(build_ext):
    """Compiles mypyc's C code, falls back to pure Python with one warning
    when there is no C compiler, and writes the manifest either way."""

    failure: str | None = None
    hashes: dict[str, str] = {}  # set below, from mypyc_extensions (taken before mypyc read the sources)

    def run(self) -> None:
        package_dir = Path(self.get_ext_fullpath(f"{PACKAGE}.{MANIFEST_ANCHOR}")).parent
        _remove_compiled(package_dir)  # in place: the previous build's modules
        if self.failure is None:
            try:
                super().run()
            except Exception as exc:  # no compiler: CompileError, ExecError, PlatformError
                _remove_compiled(package_dir)
                self.failure = _short(f"{type(exc).__name__}: {exc}")
        package_dir.mkdir(parents=True, exist_ok=True)
        (package_dir / MANIFEST).write_text(json.dumps(manifest(self.failure, self.hashes), indent=1, sort_keys=True)
                                            + "\n", encoding="utf-8")
        if self.failure is not None and not pure_forced():
            _warn(f"sentiment/ was not compiled ({self.failure}); installed as pure Python, which scores "
                  "about 1.3x slower. Install a C compiler (e.g. apt-get install gcc) and install again.")

    def get_outputs(self) -> list[str]:
        manifest = Path(self.get_ext_fullpath(f"{PACKAGE}.{MANIFEST_ANCHOR}")).parent / MANIFEST
        return [*(super().get_outputs() if self.failure is None else []), str(manifest)]


def _remove_compiled(package_dir: Path) -> None:
    for pattern in ("*.so", "*.pyd"):
        for path in package_dir.glob(pattern):
            path.unlink()


EXTENSIONS, FAILURE, HASHES = mypyc_extensions()
MypycBuildExt.failure, MypycBuildExt.hashes = FAILURE, HASHES
# Without mypyc's extensions a stand-in, so that build_ext still runs (it
# writes the manifest and removes an earlier build's modules); it builds nothing.
setup(ext_modules=EXTENSIONS or [Extension(f"{PACKAGE}.{MANIFEST_ANCHOR}", sources=[])],
      cmdclass={"build_ext": MypycBuildExt})
