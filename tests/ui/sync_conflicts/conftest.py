"""Two real workstations with a real conflict between them (the sync tests' world, through the
suite's PostgreSQL), for the Sync conflicts page."""

from __future__ import annotations

import sys
from pathlib import Path

# The sync tests' helpers (sync_world, conflict_world, server_data) live in tests/sync, which
# pytest puts on the path itself whenever it collects a test there (its "prepend" import mode).
_SYNC_TESTS = str(Path(__file__).resolve().parents[2] / "sync")
if _SYNC_TESTS not in sys.path:
    sys.path.insert(0, _SYNC_TESTS)

from sync_fixtures import admin, pair, server_url  # noqa: E402, F401 (fixtures)
