"""Console users and login sessions: in ``<data_dir>/console.db`` (SQLite, the embedded
default) or in a PostgreSQL database shared by several console processes
(settings.yaml ``console_store.url``, else the alert store's PostgreSQL
database; ``yuqing.bootstrap.console_store_location``).

* Passwords are hashed with ``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte
  random salt per user) and stored as ``scrypt$n$r$p$salt$hash``: standard
  library only, memory-hard, and the parameters travel with each hash so
  they can be raised later without breaking old ones.
* A session is a random 32-byte token held in the browser's cookie (or an
  API client's ``Authorization: Bearer``); only its SHA-256 is stored, so a
  copy of the database holds no live session. Each session ends after an
  absolute lifetime and after an idle timeout (settings.yaml ``console``).
  Each has its own CSRF token, which every state-changing request must echo.
* One connection guarded by a lock: FastAPI runs sync endpoints in a thread
  pool and one connection must not see two threads inside one transaction.
  Both engines through ``pipeline.statedb`` (one SQL text, versioned
  migrations in ``console/migrations/users/<engine>/``). Several consoles on
  one PostgreSQL database share users, sessions and lockouts: a session
  opened on one is valid on every other, a password change or a disabled
  user ends it everywhere.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline.sqlite import ts
from pipeline.statedb import Row, connect, is_postgres, migrate, transaction

MIGRATIONS = Path(__file__).parent / "migrations" / "users"


def _ts(dt: datetime) -> str:
    return ts(dt, "seconds")  # the console's files keep whole seconds


ROLES = ("duty", "analyst", "lead", "admin")
ROLE_LABELS = {"duty": "值班员", "analyst": "分析员", "lead": "单位宣传负责人", "admin": "管理员"}
MIN_PASSWORD = 12
# Password guessing: after MAX_FAILURES wrong passwords for one username within
# LOCKOUT, that username cannot log in until the oldest of them is LOCKOUT old.
# Wrong passwords: a client (address) is throttled after MAX_FAILURES within LOCKOUT;
# an account is locked only after ACCOUNT_MAX_FAILURES from everyone within
# ACCOUNT_LOCKOUT — far more than one client may try — so nobody outside can
# lock an admin out cheaply, and `yuqing user unlock` lifts a lock at once.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
ACCOUNT_MAX_FAILURES = 50
ACCOUNT_LOCKOUT = timedelta(minutes=15)

_N, _R, _P = 2 ** 14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# Checked against for unknown users, so a wrong username costs as much time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TooManyAttempts(Exception):
    """Too many wrong passwords for this username lately; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"登录失败次数过多，请 {max(1, round(retry_after / 60))} 分钟后再试")
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    unit_id: str | None = None
    disabled: bool = False

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def actor(self) -> str:
        """How this user is named in the audit trail (like a contact's label)."""
        return f"{self.display_name} <console:{self.username}>"

    def to_dict(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "role": self.role,
                "role_label": self.role_label, "unit_id": self.unit_id, "disabled": self.disabled}


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime


class UserStore:
    def __init__(self, path: str | Path) -> None:
        """``path``: a SQLite file (or ``sqlite:///`` absolute path) or a ``postgresql://…`` URL."""
        self.path: str | Path = str(path) if is_postgres(path) else Path(str(path).removeprefix("sqlite:///"))
        self._lock = threading.Lock()
        self._db = connect(self.path, synchronous="FULL")
        migrate(self._db, "console.users", MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ users

    def add_user(self, username: str, password: str, role: str, *, unit_id: str | None = None,
                 display_name: str = "", now: datetime | None = None) -> User:
        """Create a user; ValueError (in Chinese, for the admin page) when the input is unusable."""
        username = username.strip()
        if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError("用户名只能包含字母、数字、-、_、.")
        if role not in ROLES:
            raise ValueError(f"未知角色 {role!r}，可选：{', '.join(ROLES)}")
        if role == "lead" and not unit_id:
            raise ValueError("单位宣传负责人必须指定所属会员单位")
        check_password_policy(password)
        now = now or datetime.now(timezone.utc)
        with self._lock:
            cur = self._db.execute("INSERT INTO users (username, display_name, role, unit_id, password, created_at,"
                                   " updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (username) DO NOTHING",
                                   (username, display_name or username, role, unit_id if role == "lead" else None,
                                    hash_password(password), _ts(now), _ts(now)))
            if not cur.rowcount:
                raise ValueError(f"用户 {username} 已存在")
        return self.get_user(username)  # type: ignore[return-value]

    def set_password(self, username: str, password: str, now: datetime | None = None) -> None:
        """Change a password, end every session of the user and lift a login lockout."""
        check_password_policy(password)
        now = now or datetime.now(timezone.utc)
        hashed = hash_password(password)
        with self._lock, transaction(self._db) as db:
            cur = db.execute("UPDATE users SET password=?, updated_at=? WHERE username=?",
                             (hashed, _ts(now), username))
            if not cur.rowcount:
                raise KeyError(username)
            db.execute("DELETE FROM sessions WHERE username=?", (username,))
            db.execute("DELETE FROM login_failures WHERE username=?", (username,))  # a reset unlocks

    def set_disabled(self, username: str, disabled: bool, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        with self._lock, transaction(self._db) as db:
            cur = db.execute("UPDATE users SET disabled=?, updated_at=? WHERE username=?",
                             (int(disabled), _ts(now), username))
            if not cur.rowcount:
                raise KeyError(username)
            if disabled:
                db.execute("DELETE FROM sessions WHERE username=?", (username,))

    def get_user(self, username: str) -> User | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM users WHERE username=?", (username,)).fetchone()
        return self._user(row) if row else None

    def list_users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY role, username").fetchall()
        return [self._user(r) for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0]

    def authenticate(self, username: str, password: str, now: datetime | None = None,
                     client: str = "") -> User | None:
        """The user, or None for a wrong name or password (or a disabled user).
        Raises TooManyAttempts while this client (address) is throttled, or while
        the account is locked — unknown usernames too, so lockouts do not reveal
        which names exist."""
        username, now = username.strip(), now or datetime.now(timezone.utc)
        with self._lock:
            by_client = self._db.execute("SELECT at FROM client_failures WHERE client=? AND at>? ORDER BY at",
                                         (client, _ts(now - LOCKOUT))).fetchall()
            by_account = self._db.execute("SELECT at FROM login_failures WHERE username=? AND at>? ORDER BY at",
                                          (username, _ts(now - ACCOUNT_LOCKOUT))).fetchall()
            row = self._db.execute("SELECT * FROM users WHERE username=?", (username,)).fetchone()
        if len(by_client) >= MAX_FAILURES:
            oldest = datetime.fromisoformat(by_client[-MAX_FAILURES]["at"])
            raise TooManyAttempts((oldest + LOCKOUT - now).total_seconds())
        if len(by_account) >= ACCOUNT_MAX_FAILURES:
            oldest = datetime.fromisoformat(by_account[-ACCOUNT_MAX_FAILURES]["at"])
            raise TooManyAttempts((oldest + ACCOUNT_LOCKOUT - now).total_seconds())
        ok = check_password(password, row["password"] if row else _DUMMY_HASH) and row is not None
        with self._lock, transaction(self._db):
            if ok:
                self._db.execute("DELETE FROM client_failures WHERE client=?", (client,))
            else:
                self._db.execute("DELETE FROM login_failures WHERE at<=?", (_ts(now - ACCOUNT_LOCKOUT),))
                self._db.execute("DELETE FROM client_failures WHERE at<=?", (_ts(now - LOCKOUT),))
                self._db.execute("INSERT INTO login_failures (username, at) VALUES (?,?)", (username, _ts(now)))
                self._db.execute("INSERT INTO client_failures (client, at) VALUES (?,?)", (client, _ts(now)))
        if not ok or row["disabled"]:
            return None
        return self._user(row)

    def unlock(self, username: str) -> int:
        """Lift an account lock now (``yuqing user unlock``); the number of failures forgotten."""
        with self._lock:
            return self._db.execute("DELETE FROM login_failures WHERE username=?", (username,)).rowcount

    @staticmethod
    def _user(row: Row) -> User:
        return User(row["username"], row["display_name"], row["role"], row["unit_id"], bool(row["disabled"]))

    # ------------------------------------------------------------ sessions

    def create_session(self, user: User, now: datetime, ttl: float) -> tuple[str, Session]:
        """A new session; returns the token (for the cookie, never stored) and the session."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
        expires = now + timedelta(seconds=ttl)
        with self._lock, transaction(self._db):
            # Housekeeping on login: expired sessions are gone for good.
            self._db.execute("DELETE FROM sessions WHERE expires_at<=?", (_ts(now),))
            self._db.execute("INSERT INTO sessions (token_hash, username, csrf, created_at, expires_at, last_seen)"
                             " VALUES (?,?,?,?,?,?)", (_token_hash(token), user.username, csrf, _ts(now),
                                                       _ts(expires), _ts(now)))
        return token, Session(user, csrf, expires)

    def session(self, token: str | None, now: datetime, idle_timeout: float, touch: bool = True) -> Session | None:
        """The live session for ``token``, or None when unknown, expired, idle too long or the user is disabled."""
        if not token:
            return None
        key = _token_hash(token)
        with self._lock:
            row = self._db.execute("SELECT s.*, u.display_name, u.role, u.unit_id, u.disabled FROM sessions s"
                                   " JOIN users u ON u.username = s.username WHERE s.token_hash=?", (key,)).fetchone()
            if row is None:
                return None
            idle_since = datetime.fromisoformat(row["last_seen"]) + timedelta(seconds=idle_timeout)
            if row["disabled"] or now >= datetime.fromisoformat(row["expires_at"]) or now >= idle_since:
                self._db.execute("DELETE FROM sessions WHERE token_hash=?", (key,))
                return None
            if touch:
                self._db.execute("UPDATE sessions SET last_seen=? WHERE token_hash=?", (_ts(now), key))
        user = User(row["username"], row["display_name"], row["role"], row["unit_id"], bool(row["disabled"]))
        return Session(user, row["csrf"], datetime.fromisoformat(row["expires_at"]))

    def end_session(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._db.execute("DELETE FROM sessions WHERE token_hash=?", (_token_hash(token),))


def check_password_policy(password: str) -> None:
    """The password policy: at least MIN_PASSWORD characters, not a common password, not one repeated character."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少需要 {MIN_PASSWORD} 个字符")
    if password.lower() in common_passwords() or len(set(password)) <= 2:
        raise ValueError("密码过于常见，请换一个不易猜到的密码")


_COMMON: frozenset[str] | None = None


def common_passwords() -> frozenset[str]:
    """The small list of refused passwords shipped as data (console/data/common-passwords.txt)."""
    global _COMMON
    if _COMMON is None:
        text = (Path(__file__).parent / "data" / "common-passwords.txt").read_text(encoding="utf-8")
        _COMMON = frozenset(line.strip().lower() for line in text.splitlines()
                            if line.strip() and not line.startswith("#"))
    return _COMMON
