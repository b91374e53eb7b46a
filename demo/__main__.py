"""``python -m demo run --config config/demo``: what ``yuqing run`` becomes with a ``demo:`` block.

Starts the demo site and the SMTP sink as supervised children, the SMS/robot
stand-in in this process (its throwaway credentials go into the roles'
environment), seeds the demo console users, then supervises every role
exactly as ``yuqing run`` does.
"""
from __future__ import annotations

import logging
import sys

from demo.gateway.demo import start_demo_gateways
from demo.users import seed_demo_users
from pipeline.config import ConfigError, load_config
from yuqing import cli
from yuqing.supervisor import Child, child_env

log = logging.getLogger("yuqing")


def main(argv: list[str] | None = None) -> int:
    args = cli.build_parser().parse_args(argv)
    if args.command != "run":
        print("usage: python -m demo run --config DIR", file=sys.stderr)
        return 2
    cli.setup_logging("run", args.log_level)
    try:
        cfg = load_config(args.config, data_dir=args.data_dir)
    except ConfigError as e:
        print(f"configuration error:\n{e}", file=sys.stderr)
        return 2
    demo, data_dir = cfg.settings.demo, cfg.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    cli.hold_run_lock(data_dir)  # before any stand-in starts: one `yuqing run` per data dir
    env = child_env()
    before: list[Child] = []
    if demo.site_port:
        before.append(Child("demo-site", [sys.executable, "-m", "demo.site", "--port", str(demo.site_port),
                                          "--speed", str(demo.site_speed)]))
    if demo.mailsink_port:
        before.append(Child("mailsink", [sys.executable, "-m", "demo.mailsink", "--port", str(demo.mailsink_port),
                                         "--dir", str(data_dir / "mail")]))
        log.info("demo: alert emails are stored in %s", data_dir / "mail")
    gateways = start_demo_gateways(cfg, env, data_dir / "gateway", demo.gateway_port) if demo.gateways else None
    if gateways:
        log.info("demo: SMS and robot messages go to a local stand-in (%s) and are stored in %s",
                 gateways.url, data_dir / "gateway")
    seed_demo_users(cfg)
    try:
        return cli.run_roles(cfg, args, env, before)
    finally:
        if gateways:
            gateways.stop()


if __name__ == "__main__":
    sys.exit(main())
