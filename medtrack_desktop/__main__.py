"""``python -m medtrack_desktop`` / ``medtrack-desktop``: start the workstation app."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # The app's imports (Qt, SQLAlchemy, the mapped models) allocate a few hundred thousand
    # objects that all live as long as the process: the collector's passes over them during
    # the imports free nothing and cost about a sixth of the start. So it is off for the
    # imports, and what they made is frozen out of later full passes (as the session's objects
    # are at sign-in).
    gc.disable()
    try:
        from medtrack_desktop.app import run
    finally:
        gc.freeze()
        gc.enable()
    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
