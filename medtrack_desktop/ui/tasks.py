"""The one background-task runner: every database, import, decode or sync job goes through it.

A job is a plain function ``job(progress, cancelled)`` that runs on a pool thread with its own
database session (never the GUI's), reports ``progress(done, total)`` and checks
``cancelled()``. Its result or error comes back by signal on the GUI thread. A job must never
touch a widget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
Job = Callable[[Progress, Cancelled], Any]


class Task(QObject):
    """A handle on one running job: signals for the GUI, ``cancel()`` for the user."""

    sig_progress = Signal(int, int)
    sig_done = Signal(object)
    sig_failed = Signal(object)
    sig_finished = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Runnable(QRunnable):
    def __init__(self, task: Task, job: Job) -> None:
        super().__init__()
        self._task, self._job = task, job

    def run(self) -> None:
        task = self._task
        try:
            result = self._job(task.sig_progress.emit, lambda: task.cancelled)
        except Exception as exc:  # reported to the GUI, which shows a safe message
            log.warning("task %s failed: %s", task.name, type(exc).__name__)
            task.sig_failed.emit(exc)
        else:
            task.sig_done.emit(result)
        finally:
            task.sig_finished.emit()


class TaskRunner:
    """Runs jobs off the GUI thread; keeps each Task alive until it has finished."""

    def __init__(self, *, max_threads: int = 4) -> None:
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(max_threads)
        self._running: set[Task] = set()

    def start(
        self,
        name: str,
        job: Job,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Exception], None] | None = None,
        on_progress: Progress | None = None,
    ) -> Task:
        task = Task(name)  # lives on the GUI thread: queued signals are delivered there
        queued = Qt.ConnectionType.QueuedConnection
        if on_done is not None:
            task.sig_done.connect(on_done, queued)
        if on_failed is not None:
            task.sig_failed.connect(on_failed, queued)
        if on_progress is not None:
            task.sig_progress.connect(on_progress, queued)
        self._running.add(task)
        task.sig_finished.connect(lambda: self._running.discard(task), queued)
        self._pool.start(_Runnable(task, job))
        return task

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every job has ended (used at shutdown and in tests)."""
        return self._pool.waitForDone(timeout_ms)


def while_shown(view: QWidget, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """Drop a job's result when its page was closed (signed out) before the job ended."""

    def deliver(result: Any) -> None:
        if isValid(view):
            callback(result)

    return deliver
