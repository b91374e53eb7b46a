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


def main(argv: list[str] | None = None) -> int:
    """``python -m demo.mailsink --port 8025 --dir var/demo/mail``"""
    import argparse
    import logging
    import signal

    parser = argparse.ArgumentParser(prog="python -m demo.mailsink", description="Local SMTP server storing .eml files.")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s mailsink %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    logging.info("SMTP sink on 127.0.0.1:%d storing mail in %s", args.port, args.dir)
    try:
        serve(Path(args.dir), port=args.port, stop=stop)
    except OSError as e:  # the port is taken, most often
        logging.error("SMTP sink: cannot listen on 127.0.0.1:%d (%s); another program uses it? Set YUQING_SMTP_PORT "
                      "or demo.mailsink_port in settings.yaml", args.port, e.strerror)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
