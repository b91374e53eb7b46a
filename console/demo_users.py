"""Demo users for the demo configuration (settings.yaml ``console.demo_users``).

Seeded only into an EMPTY users database, so a real deployment (where an
admin has run ``yuqing user add``) is never touched. No credential ships
in the repository: the password is read from the environment variable named
by ``console.demo_password_env``, else generated at random; either way the
user names (and a generated password) are logged once and written to
``<data_dir>/console-demo-users.txt`` (mode 600).
"""
from __future__ import annotations

import logging
import os
import secrets

from console.ports import Ports

log = logging.getLogger(__name__)


def demo_accounts(ports: Ports) -> list[dict]:
    accounts = [
        {"username": "duty", "display_name": "值班员（演示）", "role": "duty"},
        {"username": "analyst", "display_name": "分析员（演示）", "role": "analyst"},
        {"username": "admin", "display_name": "管理员（演示）", "role": "admin"},
    ]
    for unit in ports.config.members.units:
        contact = unit.contacts[0].name if unit.contacts else "宣传负责人"
        accounts.append({"username": f"lead-{unit.id}", "display_name": f"{contact}（{unit.aliases[0] if unit.aliases else unit.name}）",
                         "role": "lead", "unit_id": unit.id})
    return accounts


def seed_demo_users(ports: Ports) -> list[str]:
    """Create the demo users if enabled and no user exists yet; returns the names created."""
    if not ports.console.demo_users or ports.users.count():
        return []
    env = ports.console.demo_password_env
    password = os.environ.get(env) or secrets.token_urlsafe(9)
    created = []
    for acc in demo_accounts(ports):
        try:
            ports.users.add_user(acc["username"], password, acc["role"], unit_id=acc.get("unit_id"),
                                 display_name=acc["display_name"], now=ports.now())
            created.append(acc["username"])
        except ValueError:  # another console process seeded at the same moment
            continue
    if not created:
        return []
    shown = f"(from ${env})" if os.environ.get(env) else password
    path = ports.app.data_dir / "console-demo-users.txt"
    lines = [f"# Demo console users ({ports.settings.console_base_url}/login); password: {shown}",
             *(f"{name}" for name in created)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    log.warning("console: created %d demo users (%s …) with password %s — listed in %s",
                len(created), ", ".join(created[:3]), shown, path)
    return created
