"""Locks one user's main window on idle time or Ctrl+L, and unlocks it with their password (and
authenticator code when they use two-step sign-in).

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
    """Owned by the window it guards. The clinic's idle time and whether the user unlocks with a
    code are read once, off the GUI thread; ``idle_ms`` overrides the idle time (tests)."""

    def __init__(
        self, *, window: MainWindow, actor: Actor, store: Store, tasks: TaskRunner,
        idle_ms: int | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.actor, self.store, self.tasks = window, actor, store, tasks
        self.idle: IdleWatcher | None = None
        self.settings: workstation_lock.LockSettings | None = None
        self._ended = False
        window.sig_lock_requested.connect(lambda: self.lock(reason="manual"))
        for leaving in (window.sig_sign_out, window.sig_quit, window.sig_switch_user):
            leaving.connect(self._end)
        if idle_ms is not None:
            self._watch(idle_ms)
        self.tasks.start("lock-settings", self._read_settings,
                         on_done=lambda settings: self._settings_read(settings, idle_ms))

    def _read_settings(self, _progress: object, _cancelled: object) -> object:
        with self.store.read_session() as session:
            return workstation_lock.lock_settings(session, self.actor)

    def _settings_read(self, settings: workstation_lock.LockSettings, idle_ms: int | None) -> None:
        self.settings = settings
        if isinstance(self.window.lock_screen, LockScreen):  # locked before they arrived
            self.window.lock_screen.set_ask_code(settings.code_required)
        if idle_ms is None:
            self._watch(settings.idle_minutes * 60_000)

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
        # Settings not read yet (a lock in the first instant): offer the code field anyway; it
        # is ignored for users without two-step sign-in.
        ask_code = self.settings is None or self.settings.code_required
        screen = LockScreen(actor=self.actor, tasks=self.tasks, attempt=self._attempt,
                            ask_code=ask_code)
        screen.sig_unlocked.connect(self.unlock)
        screen.sig_switch_user.connect(self._switch_user)
        self.window.show_lock(screen)
        self.tasks.start("lock", lambda _p, _c: self._record_lock(reason),
                         on_failed=lambda exc: log.error("lock not audited: %s",
                                                         type(exc).__name__))

    def _record_lock(self, reason: str) -> None:
        with self.store.session() as session:
            workstation_lock.lock(session, self.actor, reason=reason)

    def _attempt(self, password: str, code: str | None) -> bool:
        with self.store.session() as session:
            return workstation_lock.unlock(session, self.actor, password=password, code=code)

    def unlock(self) -> None:
        if self._ended:
            return
        self.window.hide_lock()
        if self.idle is not None:
            self.idle.start()

    def _switch_user(self) -> None:
        self.window.switch_user()
