"""The live alert feed: Server-Sent Events fed by polling the alert store.

Why poll the store rather than consume the ``alerts`` bus topic:

* the topic carries what the router decided, but not what happens after —
  an acknowledgement by ack link, a delivery failure, a note from another
  duty officer are written to the store only. The store's audit table sees
  every change (each change writes its audit row in the same transaction),
  with a monotonic ``seq``: "rows after my cursor" is a complete change feed;
* it needs no consumer group per console process or browser tab, and a
  restarted console resumes from the browser's ``Last-Event-ID`` (the cursor);
* the query is an index range scan on the audit primary key: one cheap
  query per connection per ``feed_interval`` (1 s by default, so a change
  shows within 2 s).

Each event is ``id: <cursor>``, ``event: alert`` (or ``ops`` for a blind
source) and the alert's summary as JSON. Alerts the user may not see are
never sent (a unit's lead: nor one held for the association's review). The session is re-checked every ``RECHECK`` seconds (a logout,
a disabled user or an expired session ends the stream with ``event: expired``).
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from console import alert_service
from console.ports import Ports
from console.security import token_of
from console.users import Session

HEARTBEAT = 15.0
RECHECK = 30.0


def _visible(ports: Ports, session: Session, ids: list[str]) -> tuple[list[dict], list[dict]]:
    alerts, ops = [], []
    for alert_id in ids:
        if alert_id.startswith("ops:"):
            if session.user.role != "lead":  # ops alerts are the association's business
                ops.append({"id": alert_id})
            continue
        alert = ports.get_alert(alert_id)
        if alert is not None:
            alerts.append(alert)
    return alert_service.summaries(ports, alert_service.visible(ports, session.user, alerts)), ops


def _event(kind: str, cursor: int, data: dict) -> str:
    return f"id: {cursor}\nevent: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def alert_events(request: Request, session: Session, since: int | None) -> AsyncIterator[str]:
    ports: Ports = request.app.state.ports
    stopping = request.app.state.stopping
    interval = ports.console.feed_interval
    cursor = since if since is not None else await run_in_threadpool(ports.last_change)
    token, _ = token_of(request)
    yield f"retry: 2000\nid: {cursor}\nevent: hello\ndata: {json.dumps({'cursor': cursor})}\n\n"
    last_sent = last_check = time.monotonic()
    while not stopping.is_set():
        now = time.monotonic()
        if now - last_check >= RECHECK:
            last_check = now
            live = await run_in_threadpool(ports.users.session, token, ports.now(), ports.console.idle_timeout)
            if live is None:
                yield "event: expired\ndata: {}\n\n"
                return
        cursor, ids = await run_in_threadpool(ports.changes_since, cursor)
        if ids:
            alerts, ops = await run_in_threadpool(_visible, ports, session, ids)
            for item in alerts:
                yield _event("alert", cursor, item)
            for item in ops:
                yield _event("ops", cursor, item)
            last_sent = now
        elif now - last_sent >= HEARTBEAT:
            yield f": ping\nid: {cursor}\n\n"  # keeps proxies from closing an idle stream
            last_sent = now
        if await request.is_disconnected():
            return
        await asyncio.sleep(interval)
