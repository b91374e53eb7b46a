"""``yuqing status`` and ``yuqing vacuum``: how big the stores are, and giving their free space back."""
from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import load_config


def _stores(data_dir: Path) -> list[Path]:
    """The SQLite files in the data dir (bus, index, alerts, console, stories, crawl state…)."""
    return sorted(p for p in data_dir.rglob("*.db") if p.is_file())


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _age(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def cmd_status(args) -> int:
    """Each store's size, last write and reclaimable space; whether `yuqing run` holds the data dir."""
    import time

    from pipeline.sqlite import file_report
    from yuqing.runlock import owner
    cfg = load_config(args.config, data_dir=args.data_dir)
    data_dir = cfg.data_dir
    holder = owner(data_dir) if data_dir.exists() else None
    print(f"data dir {data_dir}: " + (f"`yuqing run` running (pid {holder})" if holder else "no `yuqing run`"))
    print(f"{'store':<36} {'size':>10} {'free':>10} {'written':>9}  auto_vacuum")
    now = time.time()
    for path in _stores(data_dir) if data_dir.exists() else []:
        r = file_report(path)
        free = _human(r["free_bytes"]) if "free_bytes" in r else "?"
        print(f"{str(path.relative_to(data_dir)):<36} {_human(r['bytes']):>10} {free:>10} "
              f"{_age(now - r['modified']) + ' ago':>9}  {r.get('auto_vacuum', r.get('error', '?'))}")
    for path in sorted(p for p in data_dir.iterdir() if p.is_dir()) if data_dir.exists() else []:
        files = [f for f in path.rglob("*") if f.is_file()]
        if files and not any(f.suffix == ".db" for f in files):
            size = sum(f.stat().st_size for f in files)
            newest = max(f.stat().st_mtime for f in files)
            print(f"{path.name + '/':<36} {_human(size):>10} {'-':>10} {_age(now - newest) + ' ago':>9}")
    return 0


def cmd_vacuum(args) -> int:
    """Give the SQLite stores' free pages back; --full rewrites each file (stop `yuqing run` first)."""
    from pipeline.sqlite import vacuum
    from yuqing.runlock import owner
    cfg = load_config(args.config, data_dir=args.data_dir)
    if args.full and (pid := owner(cfg.data_dir)):
        print(f"vacuum --full needs the stores to itself: stop `yuqing run` (pid {pid}) first", file=sys.stderr)
        return 4
    saved = 0
    for path in _stores(cfg.data_dir):
        n = vacuum(path, full=args.full)
        saved += n
        print(f"{path.relative_to(cfg.data_dir)}: {_human(n)} given back")
    print(f"total: {_human(saved)}")
    return 0


def cmd_prune(args) -> int:
    """Apply settings.yaml index.retention_days now (the index role does it daily); --dry-run counts only."""
    from pipeline.index import IndexError_
    from pipeline.index.retention import prune
    from yuqing.cli.common import open_app
    with open_app(args) as app:
        retention = app.config.settings.index.retention_days
        if not retention:
            print("settings.yaml index.retention_days 未设置：索引中的文档全部保留，不删除")
            return 0
        try:
            steps = prune(app.index, retention, app.clock.now(), dry_run=args.dry_run)
        except IndexError_ as e:
            print(f"prune failed: {e} (the index role prunes daily by itself; or stop it and run this again)",
                  file=sys.stderr)
            return 1
        verb = "将删除" if args.dry_run else "已删除"
        for step in steps:
            print(f"{','.join(c.value for c in step.channels)}: 保留 {step.days} 天，"
                  f"{step.before:%Y-%m-%d %H:%M} 之前的文档{verb} {step.count} 条")
        print(f"合计{verb} {sum(s.count for s in steps)} 条")
    return 0
