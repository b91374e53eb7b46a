"""``python -m demo.site --port 8765 [--speed 2] [--empty]``"""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from demo.site import serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.site",
                                     description="Local demo site (news, RSS, GBK forum) publishing items over time.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--speed", type=float, default=1.0, help="divide every scripted delay by this")
    parser.add_argument("--empty", action="store_true", help="start with no scripted items")
    parser.add_argument("--page-size", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s demosite %(levelname)s %(message)s")

    def stop(signum, frame):  # the supervisor stops children with SIGTERM
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    logging.info("demo site on http://%s:%d (speed %g%s)", args.host, args.port, args.speed,
                 ", empty" if args.empty else "")
    try:
        serve_forever(args.port, args.speed, host=args.host, script=not args.empty, page_size=args.page_size)
    except KeyboardInterrupt:
        pass
    except OSError as e:  # the port is taken, most often
        logging.error("demo site: cannot listen on %s:%d (%s); another program uses it? Set YUQING_DEMO_SITE_PORT "
                      "or demo.site_port in settings.yaml", args.host, args.port, e.strerror)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
