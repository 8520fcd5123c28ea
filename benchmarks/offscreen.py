"""The real screens on an offscreen ``QApplication``, for the scenarios that time a view from
request to painted: the application, an ``AppContext`` over a benchmark's store, and a wait
for a job's answer that runs the event loop."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import now_ms

if TYPE_CHECKING:
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.ui.context import AppContext


def offscreen_app() -> Any:
    """The ``QApplication`` on the offscreen platform (made once)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    # The offscreen platform warns on every window it cannot size; nothing to act on.
    qInstallMessageHandler(lambda _kind, _context, message: None if "propagateSizeHints"
                           in message else sys.stderr.write(f"{message}\n"))
    return app


@contextmanager
def offscreen_context(store: Store, actor: Actor) -> Iterator[AppContext]:
    """An application context over ``store`` for ``actor``'s workstation; its task runner is
    drained when the block ends."""
    from medtrack_desktop.config import Settings
    from medtrack_desktop.ui.context import AppContext, DatabaseStatus
    from medtrack_desktop.ui.tasks import TaskRunner

    app = offscreen_app()
    with tempfile.TemporaryDirectory(prefix="medtrack-bench-ui-") as tmp:
        tasks = TaskRunner()
        yield AppContext(
            settings=Settings(data_dir=Path(tmp), db_path=store.path or Path(tmp) / "x.db",
                              backup_dir=Path(tmp) / "backups", demo=False),
            store=store, seat=actor.seat, tasks=tasks,
            database=DatabaseStatus(cipher_version="4", schema_revision="head",
                                    key_source="bench"))
        tasks.wait(10_000)
        app.processEvents()


def wait_until(done: Callable[[], bool], what: str, timeout_ms: float = 30_000) -> None:
    """Run the event loop until ``done()``; ``RuntimeError`` naming ``what`` after the timeout.

    The loop sleeps until an event comes (a job's answer, a paint; a timer wakes it every
    20 ms to look at the clock): a loop that polled would take the interpreter from the job
    it waits for and add to the time measured."""
    from PySide6.QtCore import QEventLoop, QTimer

    app = offscreen_app()
    wait = QEventLoop.ProcessEventsFlag.WaitForMoreEvents
    deadline = now_ms() + timeout_ms
    waker = QTimer(interval=20)
    waker.start()
    try:
        while not done():
            if now_ms() > deadline:
                raise RuntimeError(f"{what} within {timeout_ms / 1000:.0f} s")
            app.processEvents(wait)
    finally:
        waker.stop()
