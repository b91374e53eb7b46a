"""The role and run commands: ``yuqing run`` (every role under a supervisor, or the demo's launcher)
and ``yuqing crawl|score|index|route|notify|console`` (one role in this process, with its /metrics
and /ready)."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.config import AppConfig, load_config
from yuqing.cli.common import open_app
from yuqing.supervisor import Child, Supervisor, child_env, role_argv

log = logging.getLogger("yuqing")

ROLE_HELP = [("crawl", "schedule and run the spiders"), ("score", "score docs.raw → docs.scored"),
             ("index", "index docs.scored"), ("route", "route docs.scored → alerts + outbox"),
             ("notify", "deliver the notification outbox"),
             ("console", "serve the web console and HTTP API (and scheduled reports)")]


def add_parsers(sub, with_config) -> None:
    run = with_config(sub.add_parser("run", help="start every role (and the demo stand-ins) under a supervisor"))
    run.add_argument("--roles", help="comma-separated subset of roles")
    run.add_argument("--no-demo", action="store_true", help="do not start the demo site and mail sink")
    run.set_defaults(func=cmd_run)
    for role, text in ROLE_HELP:
        rp = with_config(sub.add_parser(role, help=text))
        rp.add_argument("--metrics-port", type=int, default=None,
                        help="serve /metrics here (0: any free port, -1: off; default from settings.yaml)")
        rp.set_defaults(func=cmd_role)


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
    from yuqing.roles import ROLES, CannotStart  # CannotStart: re-exported for here
    with open_app(args) as app:
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
