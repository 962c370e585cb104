"""``python -m simulator.cli``: the ``alvh`` command without its entry point."""

import sys

from simulator.cli import main

sys.exit(main())
