"""Generic extraction speed: ours (boilerplate pruning, then trafilatura,
then titles, bylines and dates) against trafilatura alone on the same pages,
in the same run, per CPU-second.

    python bench/bench_extract.py [--passes 3] [FOLDER]

FOLDER holds real pages (``*.html`` at any depth); default: the shared
extraction dev set when present (../shared/data/extraction-dev), else the
project's fixture pages (tests/fixtures), which are small.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawlers.encoding import decode_body  # noqa: E402
from crawlers.evaluate import DEFAULT  # noqa: E402
from crawlers.extract import extract_generic  # noqa: E402


def pages_in(folder: Path) -> list[str]:
    return [decode_body(p.read_bytes(), "utf-8")[0] for p in sorted(folder.rglob("*.html"))]


def rate(fn, pages: list[str], passes: int) -> float:
    """Pages per CPU-second of this process."""
    fn(pages[0])  # imports and caches outside the timing
    start = time.process_time()
    for _ in range(passes):
        for html in pages:
            fn(html)
    return passes * len(pages) / max(time.process_time() - start, 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    folder = args.folder or (DEFAULT if DEFAULT.is_dir() else ROOT / "tests" / "fixtures")
    pages = pages_in(folder)
    if not pages:
        print(f"{folder}: no .html pages", file=sys.stderr)
        return 2
    import trafilatura

    def baseline(html: str) -> None:
        trafilatura.extract(html)

    theirs = rate(baseline, pages, args.passes)
    ours = rate(extract_generic, pages, args.passes)
    size = sum(len(p) for p in pages) / len(pages) / 1000
    print(f"{len(pages)} pages ({size:.0f} k characters on average) from {folder}, {args.passes} passes")
    print(f"trafilatura alone   {theirs:7.1f} pages/CPU-s")
    print(f"yuqing generic      {ours:7.1f} pages/CPU-s   ratio {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
