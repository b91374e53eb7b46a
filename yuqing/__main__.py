"""``python -m yuqing …``: the ``yuqing`` command (yuqing.cli), for a checkout run without installing."""
import sys

from yuqing.cli import main

sys.exit(main())
