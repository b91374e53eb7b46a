"""A local SMTP server that stores every message as an .eml file.

The demo configuration points the email channel here, so alerts can be seen
(``var/demo/mail/``) without a real mail server. Tests use real SMTP servers
of their own (aiosmtpd) in the same way.
"""
from __future__ import annotations

import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class _StoreHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seq = 0

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._seq += 1
            seq = self._seq
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{seq:04d}.eml"
        for rcpt in envelope.rcpt_tos:
            path = self.folder / f"{rcpt}-{name}"
            path.write_bytes(envelope.original_content or envelope.content)
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {msg['Subject']}", flush=True)
        return "250 Message accepted for delivery"


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8025, stop: threading.Event | None = None) -> None:
    """Store mail until ``stop`` is set; OSError when the port is taken."""
    controller = Controller(_StoreHandler(folder), hostname=host, port=port)
    controller.start()
    try:
        (stop or threading.Event()).wait()
    finally:
        controller.stop()
