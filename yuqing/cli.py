"""``yuqing``: one command, a subcommand per role, and ``run`` for all of them.

    yuqing run --config config/demo        # everything, embedded, demo data
    yuqing score --config config            # one role (scale out: run more)
    yuqing check-config --config config
    yuqing search 理赔 --config config/demo
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from pipeline.config import AppConfig, ConfigError, load_config
from yuqing.bootstrap import shared_state_warnings
from yuqing.supervisor import Child, Supervisor, child_env, role_argv

log = logging.getLogger("yuqing")

DEFAULT_CONFIG = os.environ.get("YUQING_CONFIG", "config/demo")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, for log shippers (YUQING_LOG_FORMAT=json)."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "role": self.role, "pid": record.process, "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(role: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("YUQING_LOG_FORMAT", "text") == "json":
        handler.setFormatter(JsonLogFormatter(role))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s [{role}] %(name)s: %(message)s"))
    from yuqing.logredact import RedactingFilter
    handler.addFilter(RedactingFilter())  # every logger, every level: no secret in a log line
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), handlers=[handler])
    if level.upper() != "DEBUG":
        # Chatty at INFO: a line per job run (apscheduler), per SMTP connection
        # (aiosmtpd's mail.log) and per broker connection and group join (kafka-python,
        # hundreds of lines a minute). Our own loggers report what matters.
        for name in ("apscheduler", "mail.log", "kafka"):
            logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def _stop_event() -> Iterator[threading.Event]:
    """An event set by SIGTERM/SIGINT while the block runs; the previous handlers are back after it
    (a role run in-process, as tests do, must leave Ctrl-C working)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_role(args) -> int:
    from pipeline import metrics
    from yuqing.health import readiness
    from yuqing.roles import ROLES, App, CannotStart  # the roles' own App (CannotStart re-exported for here)
    app = App(load_config(args.config, data_dir=args.data_dir))
    settings, role = app.config.settings, args.command
    port = args.metrics_port if args.metrics_port is not None else settings.metrics_ports.get(role, -1)
    try:
        metrics.serve(role, settings.metrics_host, port, app.data_dir / "run", ready=readiness(app, role))
        with _stop_event() as stop:
            ROLES[args.command](app, stop)
    except CannotStart as e:
        log.error("%s", e)
        return 3
    except UNUSABLE_DATA as e:
        # Stores are opened when a role starts; once running, workers back off instead (pipeline/workers.py).
        # A folder that cannot be written will not heal by restarting: exit like a configuration error;
        # a store that another process holds locked will: exit 1, the supervisor restarts with backoff.
        line = str(e).splitlines()[0] if str(e) else type(e).__name__
        transient = "locked" in line or "busy" in line.lower()
        log.error("%s cannot start: %s %s: %s", args.command, "a store is busy in" if transient else
                  "the data folder cannot be used:", app.data_dir, line)
        return 1 if transient else 2
    finally:
        app.close()
    return 0


def _unusable_data() -> tuple[type[BaseException], ...]:
    import sqlite3

    from pipeline.bus import BusError
    from pipeline.index import IndexError_
    return (OSError, sqlite3.OperationalError, BusError, IndexError_)


UNUSABLE_DATA = _unusable_data()


def cmd_run(args) -> int:
    cfg = load_config(args.config, data_dir=args.data_dir)
    hold_run_lock(cfg.data_dir)  # refuse before starting anything (the demo launcher takes it again)
    if cfg.settings.demo.active and not args.no_demo and not os.environ.get(DEMO_LAUNCHED):
        # The demo's stand-ins (site, SMTP sink, SMS/robot gateway, demo users)
        # live in demo/, which runtime code never imports: hand this process
        # over to the demo's launcher, which starts them and then calls run_roles.
        os.environ[DEMO_LAUNCHED] = "1"
        os.execv(sys.executable, [sys.executable, "-m", "demo", *sys.argv[1:]])
    return run_roles(cfg, args, env=child_env())


DEMO_LAUNCHED = "YUQING_DEMO_LAUNCHED"
EXIT_ALREADY_RUNNING = 4


def hold_run_lock(data_dir: Path) -> None:
    """Hold the data dir's run lock for this process's life, or exit: one ``yuqing run`` per data dir."""
    from yuqing.runlock import AlreadyRunning, hold
    try:
        hold(data_dir)
    except AlreadyRunning as e:
        print(f"yuqing run: {e}", file=sys.stderr)
        raise SystemExit(EXIT_ALREADY_RUNNING) from None
    except OSError as e:  # a read-only or missing data folder: one line, no traceback, no restarts
        print(f"yuqing run: cannot use the data folder {data_dir}: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def run_roles(cfg: AppConfig, args, env: dict[str, str], before: list[Child] | None = None) -> int:
    """Supervise ``before`` (stand-ins) and then every role until SIGINT/SIGTERM."""
    data_dir = cfg.data_dir
    hold_run_lock(data_dir)  # creates the folder
    roles = args.roles.split(",") if args.roles else cfg.settings.roles
    children = [*(before or []), *(Child(r, role_argv(r, Path(args.config), data_dir)) for r in roles)]
    log.info("config %s, data in %s, starting: %s", args.config, data_dir, ", ".join(c.name for c in children))
    with _stop_event() as stop:
        return Supervisor(children, data_dir / "run", env=env).run(stop)


def cmd_check_config(args) -> int:
    cfg = load_config(args.config, data_dir=args.data_dir)
    for warning in config_warnings(cfg):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.config}: OK — {len(cfg.sources)} source(s), {len(cfg.members.units)} member unit(s), "
          f"{sum(len(v) for v in cfg.rules.negative_lexicon.values())} lexicon phrase(s)")
    return 0


def cmd_members(args) -> int:
    """``members suggest-aliases``: candidate aliases for review (sentiment/aliases.py)."""
    import yaml

    from sentiment.aliases import Registered, review_document, suggest_all
    cfg = load_config(args.config, data_dir=args.data_dir)
    existing: dict[str, Sequence[str]] = {}
    if args.registered:  # a list of names as registered: {id, name, english?, group?}
        data = yaml.safe_load(Path(args.registered).read_text(encoding="utf-8")) or {}
        rows = data.get("insurers") or data.get("units") or []
        units = [Registered(r["id"], r["name"], r.get("english", ""), r.get("group", "")) for r in rows]
    else:  # the configured members: registered name, English name from an existing alias
        units = []
        for u in cfg.members.units:
            english = max((a for a in u.aliases if a.isascii()), key=len, default="")
            units.append(Registered(u.id, u.name, english))
            existing[u.id] = list(u.aliases)
    regions = [r for r in cfg.rules.region_words if not r.isascii()][:1] or ["吉林"]
    text = yaml.safe_dump(review_document(suggest_all(units, regions), existing), allow_unicode=True,
                          sort_keys=False, width=120)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{sum(1 for _ in units)} unit(s): candidates for review in {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
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
    from yuqing.bootstrap import App
    app = App(load_config(args.config, data_dir=args.data_dir))
    try:
        q = SearchQuery(text=args.text or None, units=args.unit or [], limit=args.limit)
        result = app.index.search(q)
        print(f"共 {result.total} 条")
        for hit in result.hits:
            d = hit.doc
            lvl = d.level.label if d.level else "-"
            print(f"[{lvl}] {d.negativity:.2f} {d.published_at or d.crawled_at:%Y-%m-%d %H:%M} {d.site} {d.title}")
    finally:
        app.close()
    return 0


def cmd_reindex(args) -> int:
    from pipeline.index import open_index
    from pipeline.index.migrate import LEGACY_FILE, copy_documents, record_copy
    from pipeline.index.sqlite_fts import SqliteIndex
    from yuqing.bootstrap import App
    app = App(load_config(args.config, data_dir=args.data_dir))
    source_url = args.source or f"sqlite:///{LEGACY_FILE}"
    target_url = app.config.settings.index.url
    try:
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
    finally:
        app.close()
    return 0


def cmd_alerts(args) -> int:
    from yuqing.bootstrap import App
    app = App(load_config(args.config, data_dir=args.data_dir))
    try:
        for a in app.alert_store.list_alerts(unit_id=args.unit, limit=args.limit):
            if args.json:
                print(a.model_dump_json())
            else:
                print(f"[{a.level.label}] {a.status.value:<12} {a.unit_name} 文章{a.doc_count}篇 "
                      f"{a.representative.title}")
    finally:
        app.close()
    return 0


def cmd_audit(args) -> int:
    """Export the audit trail (or response times) of a unit as CSV or JSON lines."""
    from datetime import datetime, timezone

    from alerting import audit
    from yuqing.bootstrap import App
    app = App(load_config(args.config, data_dir=args.data_dir))
    try:
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
    finally:
        app.close()
    return 0


def cmd_try_rule(args) -> int:
    """Dry run: what the scoring rules would alert on in a file of documents, sending nothing."""
    from yuqing import tryrule
    tryrule.run(Path(args.config), Path(args.documents), sys.stdout, rules=Path(args.rules) if args.rules else None,
                members=Path(args.members) if args.members else None, show_all=args.all)
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
    from yuqing.bootstrap import App
    app = App(load_config(args.config, data_dir=args.data_dir))
    try:
        scheduler = CrawlScheduler(app.config, bus=None if args.no_alerts else app.bus)
        ids = args.source or [s.id for s in scheduler.sources]
        failed = 0
        for source_id in ids:
            stats = scheduler.run_source(app.config.source(source_id))
            print(json.dumps(stats if stats is not None else {"source": source_id, "ok": False}, ensure_ascii=False))
            failed += not (stats or {}).get("ok")
    finally:
        app.close()
    return 1 if failed else 0


def cmd_user(args) -> int:
    """Console user administration (users live in <data_dir>/console.db, or the console's PostgreSQL database)."""
    from getpass import getpass

    from console.users import UserStore
    from yuqing.bootstrap import console_store_location
    cfg = load_config(args.config, data_dir=args.data_dir)
    if args.action != "list" and not args.username:
        print("a username is needed", file=sys.stderr)
        return 2
    if args.unit and args.unit not in {u.id for u in cfg.members.units}:
        print(f"unknown unit {args.unit!r} (see {cfg.root / 'members.yaml'})", file=sys.stderr)
        return 2
    store = UserStore(console_store_location(cfg))
    try:
        if args.action == "list":
            for u in store.list_users():
                print(f"{u.username:<24} {u.role:<8} {u.unit_id or '-':<20} {'disabled' if u.disabled else 'active'}"
                      f"  {u.display_name}")
            return 0
        if args.action in ("disable", "enable"):
            store.set_disabled(args.username, args.action == "disable")
            print(f"{args.username}: {args.action}d")
            return 0
        if args.action == "unlock":  # lift a login lock now (many wrong passwords from many addresses)
            if store.get_user(args.username) is None:
                raise KeyError(args.username)
            print(f"{args.username}: unlocked ({store.unlock(args.username)} recent failure(s) forgotten)")
            return 0
        if args.password_env:
            password = os.environ.get(args.password_env, "")
        else:
            password = getpass("password: ")
            if password != getpass("again: "):
                print("passwords differ", file=sys.stderr)
                return 2
        if args.action == "add":
            if not args.role:
                print("--role is needed for add", file=sys.stderr)
                return 2
            user = store.add_user(args.username, password, args.role, unit_id=args.unit, display_name=args.name)
            print(f"added {user.username} ({user.role}{', ' + user.unit_id if user.unit_id else ''})")
        else:
            store.set_password(args.username, password)
            print(f"password changed for {args.username}; their sessions are ended")
    except KeyError:
        print(f"no user {args.username!r}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="yuqing", description="舆情监测流水线 / public-opinion monitoring pipeline")
    p.add_argument("--log-level", default=os.environ.get("YUQING_LOG_LEVEL", "INFO"))
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp):
        sp.add_argument("--config", default=DEFAULT_CONFIG, help="configuration folder (default: %(default)s)")
        sp.add_argument("--data-dir", default=None, help="override settings.yaml data_dir")
        return sp

    run = with_config(sub.add_parser("run", help="start every role (and the demo stand-ins) under a supervisor"))
    run.add_argument("--roles", help="comma-separated subset of roles")
    run.add_argument("--no-demo", action="store_true", help="do not start the demo site and mail sink")
    run.set_defaults(func=cmd_run)
    for role, text in [("crawl", "schedule and run the spiders"), ("score", "score docs.raw → docs.scored"),
                       ("index", "index docs.scored"), ("route", "route docs.scored → alerts + outbox"),
                       ("notify", "deliver the notification outbox"),
                       ("console", "serve the web console and HTTP API (and scheduled reports)")]:
        rp = with_config(sub.add_parser(role, help=text))
        rp.add_argument("--metrics-port", type=int, default=None,
                        help="serve /metrics here (0: any free port, -1: off; default from settings.yaml)")
        rp.set_defaults(func=cmd_role)
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
    us = with_config(sub.add_parser("user", help="console users: add, passwd, disable, enable, unlock, list"))
    us.add_argument("action", choices=["add", "passwd", "disable", "enable", "unlock", "list"])
    us.add_argument("username", nargs="?")
    us.add_argument("--role", choices=["duty", "analyst", "lead", "admin"], help="for add")
    us.add_argument("--unit", help="member unit id (required for --role lead)")
    us.add_argument("--name", default="", help="display name (default: the username)")
    us.add_argument("--password-env", help="read the password from this environment variable (default: prompt)")
    us.set_defaults(func=cmd_user)
    me = with_config(sub.add_parser("members", help="member units: suggest-aliases (candidates for review)"))
    me.add_argument("action", choices=["suggest-aliases"])
    me.add_argument("--registered", help="YAML list of names as registered ({id, name, english, group} under "
                                         "insurers: or units:) instead of members.yaml's units")
    me.add_argument("--output", "-o", help="write the candidates (YAML) here instead of stdout")
    me.set_defaults(func=cmd_members)
    from yuqing.feedback import add_parser as feedback_parser
    feedback_parser(sub, with_config)
    tr = sub.add_parser("try-rule", help="dry run: which documents in a file would alert, for whom and why")
    tr.add_argument("documents", help="JSON lines, one document per line (title, text, optional source_id, channel…)")
    tr.add_argument("--config", default=DEFAULT_CONFIG, help="configuration folder (default: %(default)s)")
    tr.add_argument("--rules", help="try this rules.yaml instead of the configuration's")
    tr.add_argument("--members", help="try this members.yaml (aliases, schemes) instead of the configuration's")
    tr.add_argument("--all", action="store_true", help="also show documents that would not alert")
    tr.set_defaults(func=cmd_try_rule)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.command, args.log_level)
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"configuration error:\n{e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
