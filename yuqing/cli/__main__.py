"""``python -m yuqing.cli``: the ``yuqing`` command (the supervisor starts each role this way)."""
import sys

from yuqing.cli import main

sys.exit(main())
