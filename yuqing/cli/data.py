"""The data and maintenance commands: ``check-config``, ``status``, ``vacuum``, ``prune``, ``search``,
``reindex``, ``alerts``, ``sources``, ``crawl-once`` and ``audit`` — each opens the configuration (and,
where it reads the stores, the App of yuqing/bootstrap.py), does one thing and exits."""
from __future__ import annotations

import io
import json
import logging
import os
import sys
from typing import cast

from pipeline.config import AppConfig, load_config
from yuqing.bootstrap import shared_state_warnings
from yuqing.cli.common import open_app

log = logging.getLogger("yuqing")


def add_parsers(sub, with_config) -> None:
    with_config(sub.add_parser("check-config", help="validate the configuration")).set_defaults(func=cmd_check_config)
    from yuqing.maintenance import cmd_prune, cmd_status, cmd_vacuum
    with_config(sub.add_parser("status", help="each store's size, free space and last write")).set_defaults(
        func=cmd_status)
    vac = with_config(sub.add_parser("vacuum", help="give the SQLite stores' free space back"))
    vac.add_argument("--full", action="store_true", help="rewrite each file (VACUUM); stop `yuqing run` first")
    vac.set_defaults(func=cmd_vacuum)
    pr = with_config(sub.add_parser("prune", help="delete index documents older than index.retention_days"))
    pr.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    pr.set_defaults(func=cmd_prune)
    s = with_config(sub.add_parser("search", help="full-text search of the index"))
    s.add_argument("text", nargs="?", default="")
    s.add_argument("--unit", action="append")
    s.add_argument("--limit", type=int, default=20)
    s.set_defaults(func=cmd_search)
    ri = with_config(sub.add_parser("reindex", help="copy every document of another index (default: the old "
                                                   "sqlite:///index.db) into the configured index"))
    ri.add_argument("--from", dest="source", default=None, help="source index URL (default: sqlite:///index.db)")
    ri.add_argument("--batch", type=int, default=1000)
    ri.set_defaults(func=cmd_reindex)
    a = with_config(sub.add_parser("alerts", help="list alerts"))
    a.add_argument("--unit")
    a.add_argument("--limit", type=int, default=50)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_alerts)
    so = with_config(sub.add_parser("sources", help="source health: last run, errors, items, staleness"))
    so.add_argument("--json", action="store_true")
    so.set_defaults(func=cmd_sources)
    co = with_config(sub.add_parser("crawl-once", help="crawl sources once now and check their health"))
    co.add_argument("--source", action="append", help="source id (repeatable; default: every enabled source)")
    co.add_argument("--no-alerts", action="store_true", help="do not publish ops alerts for blind sources")
    co.set_defaults(func=cmd_crawl_once)
    au = with_config(sub.add_parser("audit", help="export a unit's alert audit trail (csv or jsonl)"))
    au.add_argument("--unit", help="member unit id (default: all units)")
    au.add_argument("--since", help="ISO date/time, e.g. 2026-01-01 (UTC unless it has an offset)")
    au.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    au.add_argument("--responses", action="store_true", help="one row per alert: time to acknowledge")
    au.add_argument("--output", "-o", help="write to this file instead of stdout")
    au.set_defaults(func=cmd_audit)


def cmd_check_config(args) -> int:
    cfg = load_config(args.config, data_dir=args.data_dir)
    for warning in config_warnings(cfg):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.config}: OK — {len(cfg.sources)} source(s), {len(cfg.members.units)} member unit(s), "
          f"{sum(len(v) for v in cfg.rules.negative_lexicon.values())} lexicon phrase(s)")
    return 0


def config_warnings(cfg: AppConfig) -> list[str]:
    """What is allowed but risky: shared or default passwords (never printed)."""
    from console.users import check_password_policy
    out = []
    demo = cfg.settings.demo
    if demo.users:
        out.append(f"{cfg.root / 'settings.yaml'}: demo.users: every demo account, admin included, shares one "
                   f"password; for a demo on this machine only")
        value = os.environ.get(demo.password_env)
        if value is not None:
            try:
                check_password_policy(value)
            except ValueError:
                out.append(f"{cfg.root / 'settings.yaml'}: demo.password_env: ${demo.password_env} is too short or "
                           f"too common; the demo will use a random password instead")
    if cfg.settings.smtp.username and cfg.settings.smtp.password_env and not cfg.settings.smtp.password:
        out.append(f"{cfg.root / 'settings.yaml'}: smtp.password_env: ${cfg.settings.smtp.password_env} is not set")
    base, fixed = cfg.settings.console_base_url.rstrip("/"), cfg.settings.sms.form(cfg.settings.console_base_url)
    if cfg.settings.sms.provider and fixed.templates.link_base() != base:  # SMS links would miss the console
        out.append(f"{cfg.root / 'settings.yaml'}: sms.{cfg.settings.sms.provider}.templates.alert: the approved "
                   f"link starts {fixed.templates.link_base() or '(none)'}, console_base_url is {base}")
    return out + shared_state_warnings(cfg)


def cmd_search(args) -> int:
    from pipeline.index import SearchQuery
    with open_app(args) as app:
        q = SearchQuery(text=args.text or None, units=args.unit or [], limit=args.limit)
        result = app.index.search(q)
        print(f"共 {result.total} 条")
        for hit in result.hits:
            d = hit.doc
            lvl = d.level.label if d.level else "-"
            print(f"[{lvl}] {d.negativity:.2f} {d.published_at or d.crawled_at:%Y-%m-%d %H:%M} {d.site} {d.title}")
    return 0


def cmd_reindex(args) -> int:
    from pipeline.index import open_index
    from pipeline.index.migrate import LEGACY_FILE, copy_documents, record_copy
    from pipeline.index.sqlite_fts import SqliteIndex
    with open_app(args) as app:
        source_url = args.source or f"sqlite:///{LEGACY_FILE}"
        target_url = app.config.settings.index.url
        if source_url == target_url:
            print(f"来源与目标是同一个索引：{source_url}", file=sys.stderr)
            return 2
        source = open_index(source_url, app.data_dir, tokenizer=app.tokenizer.search_tokens)
        if not isinstance(source, SqliteIndex):
            source.close()
            print(f"无法从 {source_url} 读出全部文档（仅支持 sqlite:// 索引）", file=sys.stderr)
            return 2
        try:
            copied = copy_documents(source.documents(), app.index, batch=args.batch,
                                    progress=lambda n: print(f"已复制 {n} 条", flush=True))
        finally:
            source.close()
        record_copy(source.path, target_url, copied)
        print(f"完成：{copied} 条文档从 {source_url} 复制到 {target_url}")
    return 0


def cmd_alerts(args) -> int:
    with open_app(args) as app:
        for a in app.alert_store.list_alerts(unit_id=args.unit, limit=args.limit):
            if args.json:
                print(a.model_dump_json())
            else:
                print(f"[{a.level.label}] {a.status.value:<12} {a.unit_name} 文章{a.doc_count}篇 "
                      f"{a.representative.title}")
    return 0


def cmd_audit(args) -> int:
    """Export the audit trail (or response times) of a unit as CSV or JSON lines."""
    from datetime import datetime, timezone

    from alerting import audit
    with open_app(args) as app:
        since = datetime.fromisoformat(args.since) if args.since else None
        if since and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        rows = (audit.response_times(app.alert_store, args.unit, since) if args.responses
                else audit.unit_trail(app.alert_store, args.unit, since))
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                n = audit.export(rows, args.format, out)
        else:
            # sys.stdout is a TextIOWrapper; export's TextIOBase should read TextIO (alerting/audit.py)
            n = audit.export(rows, args.format, cast(io.TextIOBase, sys.stdout))
        log.info("exported %d row(s)", n)
    return 0


def cmd_sources(args) -> int:
    """Source health: one line per source (or JSON), from crawlers.health."""
    from crawlers.health import source_health
    cfg = load_config(args.config, data_dir=args.data_dir)
    rows = source_health(cfg)
    if args.json:
        print(json.dumps([h.to_dict() for h in rows], ensure_ascii=False, indent=1))
        return 0
    print(f"{'source':<24} {'state':<9} {'last run':<16} {'items':>5} {'24h':>5} {'stale':>8}  last error")
    for h in rows:
        last = f"{h.last_run_at.astimezone():%m-%d %H:%M:%S}" if h.last_run_at else "-"
        stale = f"{h.staleness_s / 3600:.1f}h" if h.staleness_s is not None else "-"
        error = (h.last_error or "")[:60] if h.state != "ok" else ""
        print(f"{h.source_id:<24} {h.state:<9} {last:<16} {h.items_last_run:>5} {h.items_24h:>5} {stale:>8}  {error}")
    return 0


def cmd_crawl_once(args) -> int:
    """Crawl sources once now (as the scheduler would), then check their health."""
    from crawlers.scheduler import CrawlScheduler
    with open_app(args) as app:
        scheduler = CrawlScheduler(app.config, bus=None if args.no_alerts else app.bus)
        ids = args.source or [s.id for s in scheduler.sources]
        failed = 0
        for source_id in ids:
            stats = scheduler.run_source(app.config.source(source_id))
            print(json.dumps(stats if stats is not None else {"source": source_id, "ok": False}, ensure_ascii=False))
            failed += not (stats or {}).get("ok")
    return 1 if failed else 0
