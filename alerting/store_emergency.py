"""The alert store's 事件 rows (mixed into ``AlertStore``; issue 14 item 5, alerting/emergency.py).

One row per alert raised to an 事件 (``emergencies``): its status (open,
closed) and a JSON body with the people, the checklist, the 续报 sent and the
复盘 notes. Everything that happens to it is audited on its alert (events
``emergency.*``), so the alert's audit trail is the 事件 timeline and the
console's live feed sees it. A 事件's row is written under its alert's lock
(``AlertStore.get(…, db)``), the order every writer keeps.
"""
from __future__ import annotations

import json

from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn


class EmergencyMixin:
    _db: Conn

    def get_emergency(self, emergency_id: str, db: Conn | None = None) -> dict | None:
        row = (db or self._db).execute("SELECT body FROM emergencies WHERE id=?", (emergency_id,)).fetchone()
        return json.loads(row["body"]) if row else None

    def emergency_of(self, alert_id: str, db: Conn | None = None) -> dict | None:
        row = (db or self._db).execute("SELECT body FROM emergencies WHERE alert_id=?", (alert_id,)).fetchone()
        return json.loads(row["body"]) if row else None

    def put_emergency(self, db: Conn, em: dict, now) -> None:
        db.execute("INSERT INTO emergencies (id, alert_id, unit_id, status, opened_at, closed_at, updated_at, body)"
                   " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET status=excluded.status,"
                   " closed_at=excluded.closed_at, updated_at=excluded.updated_at, body=excluded.body",
                   (em["id"], em["alert_id"], em["unit_id"], em["status"], em["opened_at"], em.get("closed_at"),
                    _ts(now), json.dumps(em, ensure_ascii=False)))

    def list_emergencies(self, status: str | None = None, unit_id: str | None = None, limit: int = 200) -> list[dict]:
        sql, args = "SELECT body FROM emergencies WHERE 1=1", list[object]()
        if status:
            sql, args = sql + " AND status=?", [*args, status]
        if unit_id:
            sql, args = sql + " AND unit_id=?", [*args, unit_id]
        rows = self._db.execute(sql + " ORDER BY opened_at DESC LIMIT ?", (*args, limit)).fetchall()
        return [json.loads(r["body"]) for r in rows]

    def audit_after(self, db: Conn | None, alert_id: str, seq: int) -> list[dict]:
        """The alert's audit rows after ``seq``, with their ``seq``."""
        rows = (db or self._db).execute("SELECT * FROM audit WHERE alert_id=? AND seq>? ORDER BY seq",
                                        (alert_id, seq)).fetchall()
        return [{"seq": r["seq"], "at": r["at"], "event": r["event"], **json.loads(r["detail"])} for r in rows]
