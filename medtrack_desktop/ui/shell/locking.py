"""Locks one user's main window on idle time or Ctrl+L, and unlocks it with their password.

Locking covers the window at once, on the GUI thread; the audit entry is written afterwards by a
task. Unlocking runs the password check (Argon2id) as a task too.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from medtrack_desktop.domain.identity import workstation_lock
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.shell.idle import IdleWatcher
from medtrack_desktop.ui.shell.lock_screen import LockScreen
from medtrack_desktop.ui.shell.main_window import MainWindow
from medtrack_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class WorkstationLocker(QObject):
    """Owned by the window it guards. ``idle_ms`` None reads the clinic's setting once."""

    def __init__(
        self, *, window: MainWindow, actor: Actor, store: Store, tasks: TaskRunner,
        idle_ms: int | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.actor, self.store, self.tasks = window, actor, store, tasks
        self.idle: IdleWatcher | None = None
        self._ended = False
        window.sig_lock_requested.connect(lambda: self.lock(reason="manual"))
        for leaving in (window.sig_sign_out, window.sig_quit, window.sig_switch_user):
            leaving.connect(self._end)
        if idle_ms is not None:
            self._watch(idle_ms)
        else:
            self.tasks.start("idle-lock-setting", self._read_minutes,
                             on_done=lambda minutes: self._watch(minutes * 60_000))

    def _read_minutes(self, _progress: object, _cancelled: object) -> int:
        with self.store.read_session() as session:
            return workstation_lock.idle_lock_minutes(session, self.actor.seat.clinic_id)

    def _watch(self, interval_ms: int) -> None:
        if self.idle is not None or self._ended:
            return  # the session ended before the setting arrived
        self.idle = IdleWatcher(interval_ms=interval_ms, parent=self)
        self.idle.sig_idle.connect(lambda: self.lock(reason="idle"))
        if not self.window.locked:
            self.idle.start()

    def _end(self) -> None:
        self._ended = True
        self._stop()

    def _stop(self) -> None:
        if self.idle is not None:
            self.idle.stop()

    def lock(self, *, reason: str) -> None:
        if self.window.locked or self._ended:
            return
        self._stop()
        screen = LockScreen(actor=self.actor, tasks=self.tasks, attempt=self._attempt)
        screen.sig_unlocked.connect(self.unlock)
        screen.sig_switch_user.connect(self._switch_user)
        self.window.show_lock(screen)
        self.tasks.start("lock", lambda _p, _c: self._record_lock(reason),
                         on_failed=lambda exc: log.error("lock not audited: %s",
                                                         type(exc).__name__))

    def _record_lock(self, reason: str) -> None:
        with self.store.session() as session:
            workstation_lock.lock(session, self.actor, reason=reason)

    def _attempt(self, password: str) -> bool:
        with self.store.session() as session:
            return workstation_lock.unlock(session, self.actor, password=password)

    def unlock(self) -> None:
        if self._ended:
            return
        self.window.hide_lock()
        if self.idle is not None:
            self.idle.start()

    def _switch_user(self) -> None:
        self.window.switch_user()
