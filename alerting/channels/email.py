"""Email over SMTP (smtplib). Success = the server accepted the recipient;
a refused recipient is permanent, a connection problem transient. The SMTP
password comes from the environment (``smtp.password_env``) and never
appears in an error. Each sending thread keeps its SMTP session for the next
message (checked with RSET unless it was used within REUSE_FRESH, retired
when idle or after REUSE_MESSAGES), so a burst of e-mails does not connect,
greet and log in once per message; ``close()`` ends them all.

The message is written as bytes here (``wire``: RFC 2047 headers, a base64
UTF-8 body, CRLF lines), the same message the compat32 MIME classes make
(``build``) in a tenth of the CPU: their header folding, address parsing and
generator were two thirds of a sender thread's work in a burst. ``build`` is
kept for addresses that are not ASCII (``send_message`` asks the server for
SMTPUTF8 then)."""
from __future__ import annotations

import base64
import smtplib
import ssl
import threading
import time
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

from alerting.channels import PermanentError, Sent, TransientError, redact
from contracts.sanitize import one_line
from pipeline.config import SmtpConfig

REUSE_IDLE = 5.0  # s: a session idle longer is closed, not reused (servers drop idle ones)
REUSE_MESSAGES = 100  # messages per session
REUSE_FRESH = 1.0  # s: a session whose last message went through this recently is used without an RSET first
LINE = 78  # characters per header line (RFC 5322's recommended limit)
WORD_BYTES = 45  # UTF-8 bytes per RFC 2047 encoded word: 60 base64 characters, 72 with the markers (≤ 75)


class EmailClient:
    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._local = threading.local()  # each sending thread's session (alerting/notifier.py)
        self._lock = threading.Lock()
        self._open: set[_Session] = set()  # every session not yet closed, for close()

    def build(self, note_id: str, recipient: str, subject: str, body: str) -> Message:
        # The compat32 MIME classes: the same message as EmailMessage's, built in a sixth of the
        # time (its header folding of Chinese subjects cost ~1 ms per message, the notifier's largest
        # cost in a crisis burst). Headers are single lines (one_line) and encoded by Header.
        msg = MIMEText(body, "plain", "utf-8")
        msg["From"] = formataddr((self.config.sender_name, self.config.sender))
        msg["To"] = _header(one_line(recipient))
        msg["Subject"] = _header(one_line(subject))  # rows rendered before sanitising may still carry U+2028
        msg["Date"] = formatdate(localtime=True)
        # The Message-ID is the notification id itself (stable across retries),
        # so a resend after a crash carries the same id and mail systems can spot it.
        domain = self.config.sender.rsplit("@", 1)[-1]
        msg["Message-ID"] = f"<{_msgid_local(note_id)}@{domain}>"
        msg["X-Yuqing-Notification"] = _header(one_line(note_id))
        return msg

    def wire(self, note_id: str, recipient: str, subject: str, body: str) -> tuple[str, bytes]:
        """(Message-ID, the message as sent): ``build``'s message, written directly."""
        cfg = self.config
        domain = cfg.sender.rsplit("@", 1)[-1]
        message_id = f"<{_msgid_local(note_id)}@{domain}>"
        head = (
            'Content-Type: text/plain; charset="utf-8"',
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: base64",
            "From: " + _from(cfg.sender_name, cfg.sender),
            "To: " + _address(one_line(recipient), len("To: ")),
            "Subject: " + _encoded(one_line(subject), len("Subject: ")),
            "Date: " + formatdate(localtime=True),
            "Message-ID: " + message_id,
            "X-Yuqing-Notification: " + _encoded(one_line(note_id), len("X-Yuqing-Notification: ")),
        )
        text = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
        return message_id, "\r\n".join(head).encode("ascii") + b"\r\n\r\n" + text

    def send(self, note_id: str, recipient: str, payload: dict) -> Sent:
        mail = payload.get("email", payload)  # {"subject", "body"}
        cfg = self.config
        to = _envelope(recipient)
        msg: Message | None = None
        if cfg.sender.isascii() and to.isascii():
            message_id, data = self.wire(note_id, recipient, mail["subject"], mail["body"])
        else:
            msg = self.build(note_id, recipient, mail["subject"], mail["body"])
            message_id = msg["Message-ID"]
        try:
            session = self._session()
            try:
                refused = session.smtp.send_message(msg) if msg is not None else \
                    session.smtp.sendmail(cfg.sender, [to], data)
            except BaseException:
                self._drop(session)  # a failed transaction may leave the session anywhere: start afresh
                raise
            session.used(time.monotonic())
        except smtplib.SMTPRecipientsRefused as e:
            code, reason = next(iter(e.recipients.values()))
            raise PermanentError(f"SMTP {cfg.host}:{cfg.port} refused {recipient}: {code} {_text(reason)}") from None
        except smtplib.SMTPAuthenticationError as e:
            raise PermanentError(f"SMTP {cfg.host}:{cfg.port} login failed for {cfg.username}: {e.smtp_code}") from None
        except smtplib.SMTPResponseException as e:
            err = PermanentError if 500 <= e.smtp_code < 600 else TransientError
            raise err(f"SMTP {cfg.host}:{cfg.port}: {e.smtp_code} {_text(e.smtp_error)}") from None
        except (TimeoutError, OSError, smtplib.SMTPException) as e:
            raise TransientError(f"SMTP {cfg.host}:{cfg.port} unreachable: {type(e).__name__}: "
                                 f"{redact(str(e), [cfg.password or ''])}") from None
        if refused:
            raise PermanentError(f"SMTP {cfg.host}:{cfg.port} refused {recipient}: {refused}")
        return Sent(message_id)


    def _session(self) -> _Session:
        """This thread's SMTP session, kept between messages (no connect, greeting, EHLO, login and
        QUIT per message) while used at least every REUSE_IDLE seconds, up to REUSE_MESSAGES; checked
        with RSET before reuse and opened afresh when that fails (nothing was sent on it yet)."""
        session: _Session | None = getattr(self._local, "session", None)
        if session is not None:
            try:
                now = time.monotonic()
                if session.stale(now):
                    raise smtplib.SMTPServerDisconnected("retired")
                if now - session.last > REUSE_FRESH:  # in a burst the last message's 250 says it is alive
                    session.smtp.rset()
                return session
            except (OSError, smtplib.SMTPException):
                self._drop(session)
        cfg = self.config
        cls = smtplib.SMTP_SSL if cfg.ssl else smtplib.SMTP
        smtp = cls(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
        except BaseException:
            smtp.close()
            raise
        session = self._local.session = _Session(smtp, time.monotonic())
        with self._lock:
            self._open.add(session)
        return session

    def _drop(self, session: _Session) -> None:
        if getattr(self._local, "session", None) is session:
            self._local.session = None
        with self._lock:
            self._open.discard(session)
        session.quit()

    def close(self) -> None:
        """QUIT every open session (the notifier stopping, the App closing)."""
        with self._lock:
            sessions, self._open = list(self._open), set()
        for session in sessions:
            session.quit()


class _Session:
    def __init__(self, smtp: smtplib.SMTP, now: float) -> None:
        self.smtp, self.last, self.messages = smtp, now, 0

    def used(self, now: float) -> None:
        self.last, self.messages = now, self.messages + 1

    def stale(self, now: float) -> bool:
        return now - self.last > REUSE_IDLE or self.messages >= REUSE_MESSAGES

    def quit(self) -> None:
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self.smtp.close()


def _header(value: str) -> str:
    """The value, or a Header encoding it where it is not ASCII (compat32 encodes it when flattening;
    Message accepts a Header as a value, typeshed types values as str)."""
    return value if value.isascii() else Header(value, "utf-8")  # type: ignore[return-value]


def _encoded(value: str, start: int) -> str:
    """A header value (its line's first ``start`` characters taken by the name): as is when ASCII, else
    RFC 2047 base64 words of UTF-8, one per folded line, each line within LINE characters."""
    if value.isascii():
        return value
    first = (LINE - start - len("=?utf-8?b??=")) // 4 * 3  # the first word shares its line with the name
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?="
                         for chunk in _chunks(value, max(first, 3)))


def _chunks(value: str, first: int) -> list[bytes]:
    """``value`` in UTF-8, cut between characters into pieces of at most ``first`` bytes, then WORD_BYTES."""
    out: list[bytes] = []
    current = bytearray()
    limit = first
    for ch in value:
        b = ch.encode("utf-8")
        if current and len(current) + len(b) > limit:
            limit = WORD_BYTES
            out.append(bytes(current))
            current.clear()
        current += b
    if current:
        out.append(bytes(current))
    return out


@lru_cache(maxsize=4096)
def _envelope(recipient: str) -> str:
    """The envelope address of a recipient (a bare address, or a display name with one)."""
    return parseaddr(recipient)[1] or recipient


def _address(value: str, start: int) -> str:
    """A To value: a bare address as is, a display name encoded apart from its address."""
    if value.isascii():
        return value
    name, addr = parseaddr(value)
    return f"{_encoded(name, start)}\r\n <{addr}>" if addr and addr.isascii() and name else _encoded(value, start)


@lru_cache(maxsize=8)
def _from(name: str, address: str) -> str:
    name = one_line(name)
    return formataddr((name, address)) if name.isascii() else f"{_encoded(name, len('From: '))}\r\n <{address}>"


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _msgid_local(note_id: str) -> str:
    # RFC 5322 dot-atom text: keep what is allowed, replace the rest.
    return "yuqing." + "".join(c if c.isascii() and (c.isalnum() or c in "!#$%&'*+-/=?^_`{|}~.") else "-"
                               for c in note_id).strip(".")
