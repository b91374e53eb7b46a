"""The alert store's short ack links (mixed into ``AlertStore``; ``alerting.acklinks.ShortLink``).

An SMS carries ``/a/<code>``: an 8-character id that means nothing by itself.
The store keeps what it stands for (alert, recipient, expiry), written in the
transaction that queues the outbox row carrying it (``AlertStore.enqueue``
reads it from the row's payload, and from its fallback's): a link exists
exactly when a message with it may be sent, a replay writes nothing new, and
it is found after a restart by any console sharing the store.

Two different links may derive the same 48-bit id (rare, but a store that
keeps ids for years meets one): ``add_short_links`` sees at insert that the
id stands for another alert or recipient and takes the next candidate of a
fixed sequence (``alternative``: a counter in the derivation), logged, and
``AlertStore.enqueue`` queues the row with the id it got — so a replay of
the same rendering lands on the same id again.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from alerting.acklinks import SHORT_ID_CHARS, ShortLink
from pipeline.sqlite import ts as _ts
from pipeline.statedb import Conn

log = logging.getLogger(__name__)
_LINK_BASE = r"https?://[A-Za-z0-9.:-]+(?:/[A-Za-z0-9._~%-]+)*"  # no variable in it (SmsTemplate)
MAX_ALTERNATIVES = 16  # 16 ids in a row taken by other links: not chance, something is broken


def alternative(link: ShortLink, attempt: int) -> ShortLink:
    """The ``attempt``-th replacement id of ``link`` (deterministic: from its id, which only the secret
    makes, with the alert, the recipient and a counter)."""
    message = "\0".join(("short-id-alt", link.code, link.alert_id, link.recipient, str(attempt))).encode("utf-8")
    code = base64.urlsafe_b64encode(hashlib.sha256(message).digest()[:6]).decode("ascii")[:SHORT_ID_CHARS]
    return replace(link, code=code)


def relink(payload: dict, changed: dict[str, str]) -> dict:
    """``payload`` (and its fallback's) with every short id in ``changed`` (old -> new) replaced where the
    SMS carries it: ``sms.short.code``, the ``code`` value and the ``/a/<id>`` link of its text. Nothing
    else is touched (a title, summary or e-mail may quote an id or a link as text); ``payload`` is not
    changed, a copy is returned."""
    if not changed:
        return payload
    out = copy.deepcopy(payload)
    for p in (out, (out.get("fallback") or {}).get("payload") or {}):
        sms = p.get("sms") or {}
        short = sms.get("short") or {}
        old = short.get("code")
        if not isinstance(old, str) or old not in changed:
            continue
        new = changed[old]
        short["code"] = new
        params = sms.get("params") or {}
        if params.get("code") == old:
            params["code"] = new
        if isinstance(sms.get("text"), str):  # the approved text's link: https://<its address>/a/{code}
            sms["text"] = re.sub(rf"({_LINK_BASE})/a/{re.escape(old)}(?![A-Za-z0-9_-])",
                                 r"\g<1>/a/" + new.replace("\\", r"\\"), sms["text"])
    return out


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

    def add_short_links(self, db: Conn, links: Iterable[ShortLink], now: datetime) -> dict[str, str]:
        """Keep what the ids stand for (a known id of the same alert and recipient is the same link, kept
        as it is); returns the ids that stood for another link and the replacements they got (old -> new)."""
        changed = {}
        for first in links:
            link = first
            for attempt in range(1, MAX_ALTERNATIVES + 1):
                db.execute("INSERT INTO short_links (code, alert_id, recipient, expires_at, created_at)"
                           " VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                           (link.code, link.alert_id, link.recipient, _ts(link.expires), _ts(now)))
                row = db.execute("SELECT alert_id, recipient FROM short_links WHERE code=?", (link.code,)).fetchone()
                if (row["alert_id"], row["recipient"]) == (link.alert_id, link.recipient):
                    break
                log.warning("short id %s of alert %s stands for another link (alert %s); trying another id",
                            link.code, link.alert_id, row["alert_id"])
                link = alternative(first, attempt)
            else:
                raise RuntimeError(f"no free short id for alert {first.alert_id} after {MAX_ALTERNATIVES} tries")
            if link.code != first.code:
                changed[first.code] = link.code
        return changed

    def short_link(self, code: str) -> ShortLink | None:
        """What ``/a/<code>`` stands for (expired or not: the caller says which), or None."""
        row = self._db.execute("SELECT * FROM short_links WHERE code=?", (code,)).fetchone()
        if row is None:
            return None
        return ShortLink(row["code"], row["alert_id"], row["recipient"], datetime.fromisoformat(row["expires_at"]))
