"""``python -m medtrack_desktop.cli``: the same as the ``medtrack-admin`` script."""

from __future__ import annotations

import sys

from medtrack_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
