"""``yuqing``: one command, a subcommand per role, and ``run`` for all of them.

    yuqing run --config config/demo        # everything, embedded, demo data
    yuqing score --config config            # one role (scale out: run more)
    yuqing check-config --config config
    yuqing search 理赔 --config config/demo
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from pipeline.config import ConfigError, load_config

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
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _setup_logging(role: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("YUQING_LOG_FORMAT", "text") == "json":
        handler.setFormatter(JsonLogFormatter(role))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s [{role}] %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), handlers=[handler])


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def cmd_role(args) -> int:
    from pipeline.bootstrap import App
    from pipeline.roles import ROLES
    from pipeline import metrics
    app = App(load_config(args.config, data_dir=args.data_dir))
    settings = app.config.settings
    port = args.metrics_port if args.metrics_port is not None else settings.metrics_ports.get(args.command, -1)
    metrics.serve(args.command, settings.metrics_host, port, app.data_dir / "run")
    stop = _stop_event()
    try:
        ROLES[args.command](app, stop)
    finally:
        app.close()
    return 0


def cmd_run(args) -> int:
    from pipeline.supervisor import Child, Supervisor, child_env, role_argv
    cfg = load_config(args.config, data_dir=args.data_dir)
    data_dir = cfg.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    env = child_env()
    children: list[Child] = []
    demo = cfg.settings.demo
    if demo.site_port and not args.no_demo:
        children.append(Child("demo-site", [sys.executable, "-m", "crawlers.demosite", "--port",
                                            str(demo.site_port), "--speed", str(demo.site_speed)]))
    if demo.mailsink_port and not args.no_demo:
        children.append(Child("mailsink", [sys.executable, "-m", "pipeline.cli", "mailsink", "--port",
                                           str(demo.mailsink_port), "--dir", str(data_dir / "mail")]))
    gateways = None
    if demo.gateways and not args.no_demo:  # SMS/robot stand-in; fills env with throwaway credentials
        from alerting.gatewaysim.demo import start_demo_gateways
        gateways = start_demo_gateways(cfg, env, data_dir / "gateway", demo.gateway_port)
    roles = args.roles.split(",") if args.roles else cfg.settings.roles
    children += [Child(r, role_argv(r, Path(args.config), data_dir)) for r in roles]
    log.info("config %s, data in %s, starting: %s", args.config, data_dir, ", ".join(c.name for c in children))
    if demo.mailsink_port and not args.no_demo:
        log.info("demo: alert emails are stored in %s", data_dir / "mail")
    if gateways:
        log.info("demo: SMS and robot messages go to a local stand-in (%s) and are stored in %s",
                 gateways.url, data_dir / "gateway")
    try:
        Supervisor(children, data_dir / "run", env=env).run(_stop_event())
    finally:
        if gateways:
            gateways.stop()
    return 0


def cmd_mailsink(args) -> int:
    from alerting.mailsink import serve
    log.info("SMTP sink on 127.0.0.1:%d storing mail in %s", args.port, args.dir)
    serve(Path(args.dir), port=args.port, stop=_stop_event())
    return 0


def cmd_check_config(args) -> int:
    cfg = load_config(args.config, data_dir=args.data_dir)
    print(f"{args.config}: OK — {len(cfg.sources)} source(s), {len(cfg.members.units)} member unit(s), "
          f"{sum(len(v) for v in cfg.rules.negative_lexicon.values())} lexicon phrase(s)")
    return 0


def cmd_search(args) -> int:
    from pipeline.bootstrap import App
    from pipeline.index import SearchQuery
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


def cmd_alerts(args) -> int:
    from pipeline.bootstrap import App
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
    from pipeline.bootstrap import App
    app = App(load_config(args.config, data_dir=args.data_dir))
    try:
        since = datetime.fromisoformat(args.since) if args.since else None
        if since and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        rows = (audit.response_times(app.alert_store, args.unit, since) if args.responses
                else audit.unit_trail(app.alert_store, args.unit, since))
        out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
        try:
            n = audit.export(rows, args.format, out)
        finally:
            if args.output:
                out.close()
        log.info("exported %d row(s)", n)
    finally:
        app.close()
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
                       ("notify", "deliver the notification outbox")]:
        rp = with_config(sub.add_parser(role, help=text))
        rp.add_argument("--metrics-port", type=int, default=None,
                        help="serve /metrics here (0: any free port, -1: off; default from settings.yaml)")
        rp.set_defaults(func=cmd_role)
    ms = sub.add_parser("mailsink", help="local SMTP server storing mail as .eml (demo)")
    ms.add_argument("--port", type=int, default=8025)
    ms.add_argument("--dir", default="var/mail")
    ms.set_defaults(func=cmd_mailsink)
    with_config(sub.add_parser("check-config", help="validate the configuration")).set_defaults(func=cmd_check_config)
    s = with_config(sub.add_parser("search", help="full-text search of the index"))
    s.add_argument("text", nargs="?", default="")
    s.add_argument("--unit", action="append")
    s.add_argument("--limit", type=int, default=20)
    s.set_defaults(func=cmd_search)
    a = with_config(sub.add_parser("alerts", help="list alerts"))
    a.add_argument("--unit")
    a.add_argument("--limit", type=int, default=50)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_alerts)
    au = with_config(sub.add_parser("audit", help="export a unit's alert audit trail (csv or jsonl)"))
    au.add_argument("--unit", help="member unit id (default: all units)")
    au.add_argument("--since", help="ISO date/time, e.g. 2026-01-01 (UTC unless it has an offset)")
    au.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    au.add_argument("--responses", action="store_true", help="one row per alert: time to acknowledge")
    au.add_argument("--output", "-o", help="write to this file instead of stdout")
    au.set_defaults(func=cmd_audit)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.command, args.log_level)
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"configuration error:\n{e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
