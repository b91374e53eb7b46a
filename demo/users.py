"""Demo users for the demo configuration (settings.yaml ``demo.users``; only the demo launcher calls this).

Seeded only into an EMPTY users database, so a real deployment (where an
admin has run ``yuqing user add``) is never touched. No credential ships
in the repository: the password is read from the environment variable named
by ``demo.password_env``, else generated at random; the user names and a
generated password are written to ``<data_dir>/console-demo-users.txt``
(mode 600), never to the log.
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime, timezone

from console.users import UserStore, check_password_policy
from pipeline.config import AppConfig
from yuqing.bootstrap import console_store_location

log = logging.getLogger(__name__)


def demo_accounts(cfg: AppConfig) -> list[dict]:
    accounts = [
        # Names alone: the console says the role and the unit beside a name (王磊（值班员）), and a name with
        # brackets of its own read 王磊（演示）（值班员） in the header, the assignee list and the audit trail.
        {"username": "duty", "display_name": "王磊", "role": "duty"},
        {"username": "analyst", "display_name": "李娜", "role": "analyst"},
        {"username": "admin", "display_name": "赵刚", "role": "admin"},
    ]
    for unit in cfg.members.units:
        contact = unit.contacts[0].name if unit.contacts else "宣传负责人"
        accounts.append({"username": f"lead-{unit.id}", "display_name": contact,
                         "role": "lead", "unit_id": unit.id})
    return accounts


def seed_demo_users(cfg: AppConfig, now: datetime | None = None) -> list[str]:
    """Create the demo users if enabled and no user exists yet; returns the names created."""
    if not cfg.settings.demo.users:
        return []
    store = UserStore(console_store_location(cfg))
    try:
        if store.count():
            return []
        env = cfg.settings.demo.password_env
        password = os.environ.get(env) or ""
        try:
            check_password_policy(password)
        except ValueError:
            if password:
                log.warning("demo: $%s does not meet the password policy; using a random password", env)
            password = secrets.token_urlsafe(12)
        created = []
        for acc in demo_accounts(cfg):
            try:
                store.add_user(acc["username"], password, acc["role"], unit_id=acc.get("unit_id"),
                               display_name=acc["display_name"], now=now or datetime.now(timezone.utc))
                created.append(acc["username"])
            except ValueError:  # seeded by another launcher at the same moment
                continue
    finally:
        store.close()
    if not created:
        return []
    shown = f"(from ${env})" if os.environ.get(env) == password else password
    path = cfg.data_dir / "console-demo-users.txt"
    lines = [f"# Demo console users ({cfg.settings.console_base_url}/login); password: {shown}",
             *(f"{name}" for name in created)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    log.warning("demo: created %d console users (%s …); their password is in %s", len(created),
                ", ".join(created[:3]), path)
    return created
