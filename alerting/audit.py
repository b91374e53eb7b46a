"""Audit queries and export: what happened to every alert of a unit, for the
console and for the association's scoring of units on response.

Events in the trail (``event`` column): detected, routed (decision, reason),
suppressed (reason), notification.held (quiet hours / digest),
notification.{accepted,delivered,failed,pending,cancelled} (provider id,
error), notification.deferred (rate limit), fallback, fallback.skipped,
delivery.unreached, escalated (step, to whom), escalation.skipped,
escalation.cancelled, status.<status> (actor, via) and status.<status>.repeat,
ops.routed. Read-only; never changes the store.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime

from alerting.store import AlertStore, _ts
from contracts.sanitize import cell

COLUMNS = ["at", "unit_id", "alert_id", "event", "decision", "reason", "who", "channel", "recipient", "step",
           "provider_id", "error", "actor", "via", "detail"]


def unit_trail(store: AlertStore, unit_id: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> list[dict]:
    """Every audit event (of one unit, or all), oldest first, as flat dicts."""
    sql, args = "SELECT * FROM audit WHERE 1=1", list[object]()
    if unit_id:
        sql, args = sql + " AND unit_id=?", [*args, unit_id]
    if since:
        sql, args = sql + " AND at>=?", [*args, _ts(since)]
    if until:
        sql, args = sql + " AND at<?", [*args, _ts(until)]
    rows = store._db.execute(sql + " ORDER BY seq", args).fetchall()
    return [{"at": r["at"], "unit_id": r["unit_id"], "alert_id": r["alert_id"], "event": r["event"],
             **json.loads(r["detail"])} for r in rows]


def delivery_failures(store: AlertStore, since: datetime | None = None) -> list[dict]:
    """Notifications that failed for good (newest first) — the duty officer's to-do list."""
    sql, args = "SELECT * FROM outbox WHERE state='failed'", []
    if since:
        sql, args = sql + " AND updated_at>=?", [_ts(since)]
    rows = store._db.execute(sql + " ORDER BY updated_at DESC", args).fetchall()
    return [{"id": r["id"], "alert_id": r["alert_id"], "who": r["who"], "channel": r["channel"],
             "recipient": r["recipient"], "error": r["last_error"], "at": r["updated_at"],
             "kind": r["kind"]} for r in rows]


def response_times(store: AlertStore, unit_id: str | None, since: datetime | None = None) -> list[dict]:
    """Per alert of the unit: first notified, acknowledged when/by whom/how,
    minutes to acknowledge, how far it escalated."""
    out = []
    for alert in store.list_alerts(unit_id=unit_id, limit=10_000):
        trail = store.audit_trail(alert.id)
        if since and trail and trail[0]["at"] < _ts(since):
            continue
        sent = [t["at"] for t in trail if t["event"] in ("notification.accepted", "notification.delivered")]
        ack = next((t for t in trail if t["event"] == "status.acknowledged"), None)
        steps = [t.get("step", 0) for t in trail if t["event"] == "escalated"]
        first = min(sent) if sent else None
        minutes = None
        if first and ack:
            minutes = round((datetime.fromisoformat(ack["at"]) - datetime.fromisoformat(first)).total_seconds() / 60, 1)
        out.append({"alert_id": alert.id, "unit_id": alert.unit_id, "level": alert.level.value, "status": alert.status.value,
                    "title": alert.representative.title, "first_notified": first,
                    "acknowledged_at": ack["at"] if ack else None, "acknowledged_by": ack.get("actor") if ack else None,
                    "acknowledged_via": ack.get("via") if ack else None, "minutes_to_ack": minutes,
                    "escalation_step": max(steps, default=0)})
    return out


def export(rows: Iterable[dict], fmt: str, out: io.TextIOBase) -> int:
    """Write rows as ``csv`` (fixed columns, the rest in ``detail``) or ``jsonl``; returns the count."""
    n = 0
    if fmt == "jsonl":
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
            n += 1
        return n
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}: use csv or jsonl")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for r in rows:
        flat = {k: cell(r.get(k)) for k in COLUMNS if k != "detail"}  # no cell may start a formula
        rest = {k: v for k, v in r.items() if k not in COLUMNS}
        flat["detail"] = cell(json.dumps(rest, ensure_ascii=False, default=str)) if rest else ""
        writer.writerow(flat)
        n += 1
    return n
