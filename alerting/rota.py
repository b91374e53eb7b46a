"""Duty rota: who of the association's duty officers is on duty at a moment.

Resolution for a time ``t`` (in the rota's timezone):

1. an override covering ``t`` wins (holidays, swaps; the last one listed
   wins when several overlap);
2. otherwise every shift whose occurrence covers ``t`` contributes the turn
   on duty for that occurrence: turn = (days from the anchor to the day the
   occurrence started) // every_days, modulo the rotation's length. A night
   shift 17:30→08:30 that started yesterday is yesterday's turn.
3. no rota configured: every duty officer is on duty all the time.

Pure: takes the time, never reads a clock.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.config import DutyOfficer, DutyRota, hhmm_minutes


class DutyRoster:
    def __init__(self, officers: list[DutyOfficer], rota: DutyRota | None) -> None:
        self.officers = {o.key: o for o in officers}
        self.rota = rota
        self.tz = ZoneInfo(rota.timezone) if rota else None

    def on_duty(self, at: datetime) -> list[DutyOfficer]:
        """Officers on duty at ``at`` (aware datetime), in rota order, no repeats."""
        if self.rota is None:
            return list(self.officers.values())
        local = at.astimezone(self.tz)
        keys: list[str] = []
        for ov in self.rota.overrides:
            if self._aware(ov.start) <= local < self._aware(ov.end):
                keys = list(ov.officers)
        if not keys:
            for shift in self.rota.shifts:
                started = self._occurrence_start(shift.start, shift.end, local)
                if started is None:
                    continue
                turn = ((started.date() - self.rota.anchor).days // shift.every_days) % len(shift.rotation)
                keys += shift.rotation[turn]
        seen: dict[str, DutyOfficer] = {}
        for k in keys:
            seen.setdefault(k, self.officers[k])
        return list(seen.values())

    def _aware(self, dt: datetime) -> datetime:
        return dt if dt.tzinfo else dt.replace(tzinfo=self.tz)

    @staticmethod
    def _occurrence_start(start: str, end: str, local: datetime) -> datetime | None:
        """When the occurrence of this shift that covers ``local`` started, or None."""
        a, b = hhmm_minutes(start), hhmm_minutes(end)
        length = (b - a) % 1440 or 1440
        minute = local.hour * 60 + local.minute
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # The covering occurrence started today or yesterday.
        for day_offset in (0, -1):
            offset_from_start = minute - a - day_offset * 1440
            if 0 <= offset_from_start < length:
                # Wall-clock arithmetic on purpose: shifts follow the local clock.
                return (midnight + timedelta(days=day_offset)).replace(hour=a // 60, minute=a % 60)
        return None
