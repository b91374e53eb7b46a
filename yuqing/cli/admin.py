"""The people and tuning commands: ``user`` (console users), ``members suggest-aliases``,
``feedback export`` (yuqing/feedback.py) and ``try-rule`` (a dry run of the scoring rules)."""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.config import load_config


def add_parsers(sub, with_config, default_config: str) -> None:
    us = with_config(sub.add_parser("user", help="console users: add, passwd, disable, enable, unlock, list"))
    us.add_argument("action", choices=["add", "passwd", "disable", "enable", "unlock", "list"])
    us.add_argument("username", nargs="?")
    us.add_argument("--role", choices=["duty", "analyst", "lead", "admin"], help="for add")
    us.add_argument("--unit", help="member unit id (required for --role lead)")
    us.add_argument("--name", default="", help="display name (default: the username)")
    us.add_argument("--password-env", help="read the password from this environment variable (default: prompt)")
    us.set_defaults(func=cmd_user)
    me = with_config(sub.add_parser("members", help="member units: suggest-aliases (candidates for review)"))
    me.add_argument("action", choices=["suggest-aliases"])
    me.add_argument("--registered", help="YAML list of names as registered ({id, name, english, group} under "
                                         "insurers: or units:) instead of members.yaml's units")
    me.add_argument("--output", "-o", help="write the candidates (YAML) here instead of stdout")
    me.set_defaults(func=cmd_members)
    from yuqing.feedback import add_parser as feedback_parser
    feedback_parser(sub, with_config)
    tr = sub.add_parser("try-rule", help="dry run: which documents in a file would alert, for whom and why")
    tr.add_argument("documents", help="JSON lines, one document per line (title, text, optional source_id, channel…)")
    tr.add_argument("--config", default=default_config, help="configuration folder (default: %(default)s)")
    tr.add_argument("--rules", help="try this rules.yaml instead of the configuration's")
    tr.add_argument("--members", help="try this members.yaml (aliases, schemes) instead of the configuration's")
    tr.add_argument("--all", action="store_true", help="also show documents that would not alert")
    tr.set_defaults(func=cmd_try_rule)


def cmd_user(args) -> int:
    """Console user administration (users live in <data_dir>/console.db, or the console's PostgreSQL database)."""
    from getpass import getpass

    from console.users import UserStore
    from yuqing.bootstrap import console_store_location
    cfg = load_config(args.config, data_dir=args.data_dir)
    if args.action != "list" and not args.username:
        print("a username is needed", file=sys.stderr)
        return 2
    if args.unit and args.unit not in {u.id for u in cfg.members.units}:
        print(f"unknown unit {args.unit!r} (see {cfg.root / 'members.yaml'})", file=sys.stderr)
        return 2
    store = UserStore(console_store_location(cfg))
    try:
        if args.action == "list":
            for u in store.list_users():
                print(f"{u.username:<24} {u.role:<8} {u.unit_id or '-':<20} {'disabled' if u.disabled else 'active'}"
                      f"  {u.display_name}")
            return 0
        if args.action in ("disable", "enable"):
            store.set_disabled(args.username, args.action == "disable")
            print(f"{args.username}: {args.action}d")
            return 0
        if args.action == "unlock":  # lift a login lock now (many wrong passwords from many addresses)
            if store.get_user(args.username) is None:
                raise KeyError(args.username)
            print(f"{args.username}: unlocked ({store.unlock(args.username)} recent failure(s) forgotten)")
            return 0
        if args.password_env:
            password = os.environ.get(args.password_env, "")
        else:
            password = getpass("password: ")
            if password != getpass("again: "):
                print("passwords differ", file=sys.stderr)
                return 2
        if args.action == "add":
            if not args.role:
                print("--role is needed for add", file=sys.stderr)
                return 2
            user = store.add_user(args.username, password, args.role, unit_id=args.unit, display_name=args.name)
            print(f"added {user.username} ({user.role}{', ' + user.unit_id if user.unit_id else ''})")
        else:
            store.set_password(args.username, password)
            print(f"password changed for {args.username}; their sessions are ended")
    except KeyError:
        print(f"no user {args.username!r}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0


def cmd_members(args) -> int:
    """``members suggest-aliases``: candidate aliases for review (sentiment/aliases.py)."""
    import yaml

    from sentiment.aliases import Registered, review_document, suggest_all
    cfg = load_config(args.config, data_dir=args.data_dir)
    existing: dict[str, Sequence[str]] = {}
    if args.registered:  # a list of names as registered: {id, name, english?, group?}
        data = yaml.safe_load(Path(args.registered).read_text(encoding="utf-8")) or {}
        rows = data.get("insurers") or data.get("units") or []
        units = [Registered(r["id"], r["name"], r.get("english", ""), r.get("group", "")) for r in rows]
    else:  # the configured members: registered name, English name from an existing alias
        units = []
        for u in cfg.members.units:
            english = max((a for a in u.aliases if a.isascii()), key=len, default="")
            units.append(Registered(u.id, u.name, english))
            existing[u.id] = list(u.aliases)
    regions = [r for r in cfg.rules.region_words if not r.isascii()][:1] or ["吉林"]
    text = yaml.safe_dump(review_document(suggest_all(units, regions), existing), allow_unicode=True,
                          sort_keys=False, width=120)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{sum(1 for _ in units)} unit(s): candidates for review in {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_try_rule(args) -> int:
    """Dry run: what the scoring rules would alert on in a file of documents, sending nothing."""
    from yuqing import tryrule
    tryrule.run(Path(args.config), Path(args.documents), sys.stdout, rules=Path(args.rules) if args.rules else None,
                members=Path(args.members) if args.members else None, show_all=args.all)
    return 0
