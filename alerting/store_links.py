"""The alert store's short ack links (mixed into ``AlertStore``; ``alerting.acklinks.ShortLink``).

An SMS carries ``/a/<code>``: an 8-character id that means nothing by itself.
The store keeps what it stands for (alert, recipient, expiry), written in the
transaction that queues the outbox row carrying it (``AlertStore.enqueue``
reads it from the row's payload, and from its fallback's): a link exists
exactly when a message with it may be sent, a replay writes nothing new, and
it is found after a restart by any console sharing the store.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from alerting.acklinks import ShortLink
from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn


def links_in(alert_id: str, payload: dict) -> list[ShortLink]:
    """The short links a rendered payload (and its pre-rendered fallback) carries (``payload.sms.short``)."""
    out = []
    for p in (payload, (payload.get("fallback") or {}).get("payload") or {}):
        short = (p.get("sms") or {}).get("short")
        if short:
            out.append(ShortLink(short["code"], alert_id, short["who"], datetime.fromisoformat(short["expires"])))
    return out


class ShortLinkMixin:
    _db: Conn

    def add_short_links(self, db: Conn, links: Iterable[ShortLink], now: datetime) -> None:
        """Keep what the ids stand for (a known id is kept as it is: the same id is the same link)."""
        for link in links:
            db.execute("INSERT INTO short_links (code, alert_id, recipient, expires_at, created_at)"
                       " VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                       (link.code, link.alert_id, link.recipient, _ts(link.expires), _ts(now)))

    def short_link(self, code: str) -> ShortLink | None:
        """What ``/a/<code>`` stands for (expired or not: the caller says which), or None."""
        row = self._db.execute("SELECT * FROM short_links WHERE code=?", (code,)).fetchone()
        if row is None:
            return None
        return ShortLink(row["code"], row["alert_id"], row["recipient"], datetime.fromisoformat(row["expires_at"]))
