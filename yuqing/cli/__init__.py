"""``yuqing``: one command, a subcommand per role, and ``run`` for all of them.

    yuqing run --config config/demo        # everything, embedded, demo data
    yuqing score --config config            # one role (scale out: run more)
    yuqing check-config --config config
    yuqing search 理赔 --config config/demo

The commands live by what they own: yuqing/cli/run.py the role and run commands, yuqing/cli/data.py
the data and maintenance commands (with yuqing/maintenance.py), yuqing/cli/admin.py console users,
members, feedback and try-rule. Every one that opens the stores builds them through yuqing/bootstrap.py
(`with open_app(args) as app:`, yuqing/cli/common.py, which closes them; yuqing/maintenance.py and
yuqing/feedback.py too).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from pipeline.config import ConfigError
from yuqing.cli import admin, data, run
from yuqing.cli.run import hold_run_lock, run_roles

__all__ = ["build_parser", "hold_run_lock", "main", "run_roles", "setup_logging"]  # the demo's launcher uses these

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="yuqing", description="舆情监测流水线 / public-opinion monitoring pipeline")
    p.add_argument("--log-level", default=os.environ.get("YUQING_LOG_LEVEL", "INFO"))
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp):
        sp.add_argument("--config", default=DEFAULT_CONFIG, help="configuration folder (default: %(default)s)")
        sp.add_argument("--data-dir", default=None, help="override settings.yaml data_dir")
        return sp

    run.add_parsers(sub, with_config)  # run, crawl, score, index, route, notify, console
    data.add_parsers(sub, with_config)  # check-config, status, vacuum, prune, search, reindex, alerts, sources, …
    admin.add_parsers(sub, with_config, DEFAULT_CONFIG)  # user, members, feedback, try-rule
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.command, args.log_level)
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"configuration error:\n{e}", file=sys.stderr)
        return 2
