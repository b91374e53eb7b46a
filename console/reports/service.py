"""Report files in ``<data_dir>/reports/``, generated on schedule and on demand.

* ``generate(kind, day)`` writes ``<kind>-<day>.html`` and ``.docx``
  atomically (temp file + rename), so a reader never sees half a file and
  generating the same report again simply replaces it (keeping its 期号;
  each kind has its own count, kept in the console's store: console.reports.issues).
* ``ReportScheduler`` runs inside the console role (APScheduler, settings
  time zone): the daily report at ``console.report_time`` for yesterday, the
  weekly report on Mondays at the same time for the week just ended.
  ``misfire_grace_time`` lets a console restarted shortly after 08:00 still
  produce the morning's reports.
* A unit's own reports (``unit_id``: what its publicity lead reads) live in
  ``<data_dir>/reports/units/<unit id>/`` with their own 期号; the schedule
  writes them too for every unit with an active lead (``led_units``), and
  anyone may generate one on demand. The unit id must be one of the
  configured units (no path tricks).
* A unit's report leaves out what the unit was not told of yet (held for the
  association's review). Beside its files, ``<name>.held.json`` keeps those
  alerts with their review state at generation; once one of them moves on —
  forwarded to the unit, by a duty officer or when its review time runs out,
  closed or dismissed — the report is ``stale``: the list says so and opening
  it (either file) makes it again first, keeping its 期号. The lead of an
  08:00 日报 thus sees the alert the association forwards at 10:00.
"""
from __future__ import annotations

import builtins
import json
import logging
import os
import re
from datetime import date, timedelta
from pathlib import Path

from console import alert_service
from console.ports import Ports
from console.reports import build, render
from console.reports.issues import ASSOCIATION, IssueCounter, unit_scope

log = logging.getLogger(__name__)
NAME = re.compile(r"^(daily|weekly)-\d{4}-\d{2}-\d{2}\.(html|docx)$")
HELD = ".held.json"  # beside a unit's report: what it left out as held for review (see stale)


class ReportService:
    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self.dir = ports.data_dir / "reports"

    def today(self) -> date:
        return self.ports.now().astimezone(self.ports.tz).date()

    def folder(self, unit_id: str | None) -> Path:
        """Where the association's reports (None) or one unit's are written."""
        if unit_id is None:
            return self.dir
        if unit_id not in self.ports.units:
            raise ValueError(f"unknown unit {unit_id!r}")
        return self.dir / "units" / unit_id

    def counter(self, unit_id: str | None) -> IssueCounter:
        """The 期号 of the association's reports (None) or of one unit's own (in the console's store)."""
        return self.ports.issues.counter(unit_scope(unit_id) if unit_id else ASSOCIATION, self.folder(unit_id))

    def led_units(self) -> list[str]:
        """The units with an active publicity lead (their own reports are written on schedule too)."""
        return sorted({u.unit_id for u in self.ports.users.list_users()
                       if u.role == "lead" and not u.disabled and u.unit_id in self.ports.units})

    def generate(self, kind: str, day: date | None = None, unit_id: str | None = None) -> dict:
        """Build and write one report (the association's, or ``unit_id``'s own); returns its listing entry."""
        period = build.Period.ending(kind, day or self.today() - timedelta(days=1))
        folder = self.folder(unit_id)
        # 期号: one counter per kind (and per unit); regenerating a report keeps its number.
        issue = self.counter(unit_id).number(kind, period.name)
        report = build.build(self.ports, period, issue=issue, unit_id=unit_id)
        images = render.chart_images(report)
        folder.mkdir(parents=True, exist_ok=True)
        self._write(folder / f"{period.name}.html", render.to_html(report, images).encode("utf-8"))
        self._write(folder / f"{period.name}.docx", render.to_docx(report, images))
        if unit_id is not None:  # last: a report written without its record is at worst made again once more
            self._write(folder / f"{period.name}{HELD}", json.dumps(report["held"], sort_keys=True).encode("utf-8"))
        log.info("report %s written to %s", period.name, folder)
        return self.entry(period.name, unit_id)

    def stale(self, name: str, unit_id: str | None) -> bool:
        """Whether a unit's report is out of date for its lead: an alert it left out (or counted apart) as held
        for the association's review has moved on since — forwarded (the lead must find it), closed or
        dismissed. The association's reports hold every alert; a report kept before the record was: as it is."""
        if unit_id is None:
            return False
        try:
            held = json.loads((self.folder(unit_id) / f"{name}{HELD}").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not held:
            return False
        alerts = [a for a in (self.ports.get_alert(i) for i in held) if a is not None]
        return alert_service.untold(self.ports, alerts) != held

    def refresh(self, filename: str, unit_id: str | None) -> None:
        """Make a stale unit's report again before it is opened (its 期号 stays)."""
        if not NAME.match(filename):
            return
        name = filename.rsplit(".", 1)[0]
        if self.stale(name, unit_id):
            kind, day = name.split("-", 1)
            log.info("report %s of %s is out of date (a held alert moved on): made again", name, unit_id)
            self.generate(kind, date.fromisoformat(day), unit_id)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def entry(self, name: str, unit_id: str | None = None) -> dict:
        kind, day = name.split("-", 1)
        folder = self.folder(unit_id)
        html, docx = folder / f"{name}.html", folder / f"{name}.docx"
        short = self.ports.unit_short.get(unit_id) if unit_id else None
        return {"name": name, "kind": kind, "title": build.title(kind, short), "day": day, "unit": unit_id,
                "period": build.Period.ending(kind, date.fromisoformat(day)).label,
                "html": f"{name}.html" if html.exists() else None, "docx": f"{name}.docx" if docx.exists() else None,
                "issue": self.counter(unit_id).known(kind, name),
                "generated_at": html.stat().st_mtime if html.exists() else None, "stale": self.stale(name, unit_id)}

    def list(self, unit_id: str | None = None, every_unit: bool = False) -> list[dict]:
        """One unit's reports (``unit_id``), or the association's, with every unit's after them (``every_unit``)."""
        out = self._list(unit_id)
        if unit_id is None and every_unit and (self.dir / "units").is_dir():
            for sub in sorted((self.dir / "units").iterdir()):
                if sub.name in self.ports.units:
                    out += self._list(sub.name)
        return out

    def _list(self, unit_id: str | None) -> builtins.list[dict]:  # `list` here is the method above
        folder = self.folder(unit_id)
        if not folder.exists():
            return []
        names = {p.name.rsplit(".", 1)[0] for p in folder.iterdir() if NAME.match(p.name)}
        return sorted((self.entry(n, unit_id) for n in names), key=lambda e: (e["day"], e["kind"]), reverse=True)

    def path(self, filename: str, unit_id: str | None = None) -> Path | None:
        """The file for a download name, or None (names are checked: no path tricks)."""
        if not NAME.match(filename) or (unit_id is not None and unit_id not in self.ports.units):
            return None
        path = self.folder(unit_id) / filename
        return path if path.exists() else None


class ReportScheduler:
    def __init__(self, service: ReportService) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger
        ports = service.ports
        hour, minute = (int(x) for x in ports.console.report_time.split(":"))
        self.service = service
        self.scheduler = BackgroundScheduler(timezone=ports.tz)
        self.scheduler.add_job(self.run, CronTrigger(hour=hour, minute=minute, timezone=ports.tz), args=["daily"],
                               id="report-daily", misfire_grace_time=3600, coalesce=True)
        self.scheduler.add_job(self.run, CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=ports.tz),
                               args=["weekly"], id="report-weekly", misfire_grace_time=3600, coalesce=True)

    def run(self, kind: str) -> None:
        """The scheduled reports of ``kind``: the association's, then each led unit's own."""
        for unit_id in [None, *self.service.led_units()]:
            try:
                self.service.generate(kind, unit_id=unit_id)
            except Exception:  # a failed report must not stop the next one (or the console)
                log.exception("scheduled %s report failed (%s)", kind, unit_id or "association")

    def start(self) -> None:
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            log.info("report job %s next run at %s", job.id, job.next_run_time)

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
