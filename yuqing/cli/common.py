"""What the commands share: ``open_app``, the App of yuqing/bootstrap.py for a command's ``--config`` and
``--data-dir``, closed when the command's block ends (by a return, an error or Ctrl-C)."""
from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.config import load_config
from yuqing.bootstrap import App


@contextmanager
def open_app(args: argparse.Namespace) -> Iterator[App]:
    app = App(load_config(args.config, data_dir=args.data_dir))
    try:
        yield app
    finally:
        app.close()
