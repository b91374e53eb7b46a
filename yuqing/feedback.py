"""``yuqing feedback export``: the tuning feedback people gave in the console — missed detections
(漏报, alerts raised by hand) and false alarms (误报) — as JSON lines, one document a line:
doc_id, title, text, url, unit, unit_name, label (漏报/误报), who, when, reason, alert_id, level."""
from __future__ import annotations

import contextlib
import json
import logging
import sys
from datetime import datetime, timezone

log = logging.getLogger(__name__)


def cmd_feedback(args) -> int:
    from console.casebook import Casebook
    from console.manual import feedback_records
    from yuqing.cli.common import open_app
    with open_app(args) as app, contextlib.closing(Casebook(app.data_dir / app.config.settings.console.users_db)) \
            as casebook:
        since = datetime.fromisoformat(args.since) if args.since else None
        if since and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        names = {u.id: u.name for u in app.config.members.units}
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(open(args.output, "w", encoding="utf-8")) if args.output else sys.stdout
            n = 0
            for record in feedback_records(casebook, app.index.get, names, since):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        log.info("exported %d feedback record(s)", n)
    return 0


def add_parser(sub, with_config) -> None:
    fb = with_config(sub.add_parser("feedback", help="tuning feedback: export 漏报 (raised by hand) and 误报 as JSONL"))
    fb.add_argument("action", choices=["export"])
    fb.add_argument("--since", help="ISO date/time, e.g. 2026-01-01 (UTC unless it has an offset)")
    fb.add_argument("--output", "-o", help="write to this file instead of stdout")
    fb.set_defaults(func=cmd_feedback)
