"""The shell's flow: unlock the database, (build the demo,) sign in, main window, sign out.

Every failure a person can meet here ends in a plain message (a StoreError's own text, never a
traceback) and a clean exit; nothing is written to a database that is refused.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from medtrack_desktop.config import DEMO_KEY_PASSPHRASE, Settings
from medtrack_desktop.domain.identity import mfa
from medtrack_desktop.domain.identity.accounts import (
    LoginOutcome,
    PendingSignIn,
    authenticate,
    change_password,
    sign_out,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.errors import PassphraseRequired, StoreError
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.lifecycle import open_workstation_store
from medtrack_desktop.store.migrate import head_revision
from medtrack_desktop.ui.context import AppContext, DatabaseStatus
from medtrack_desktop.ui.shell.login import LoginDialog, SignInCalls
from medtrack_desktop.ui.shell.passphrase import PassphraseDialog
from medtrack_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.ui.shell.main_window import MainWindow
    from medtrack_desktop.ui.shell.sync_status import BackgroundSync

log = logging.getLogger(__name__)
DEMO_PATIENTS = 250


class ShellController(QObject):
    """Owns the windows of one app run; emits ``sig_finished(exit_code)`` when the run is over."""

    sig_finished = Signal(int)

    def __init__(
        self,
        *,
        settings: Settings,
        keys: KeyStore,
        tasks: TaskRunner,
        on_login_shown: Callable[[], None] | None = None,
        show_error: Callable[[str], None] | None = None,
        idle_lock_ms: int | None = None,
        open_server: Callable[[Engine], Engine | None] | None = None,
    ) -> None:
        super().__init__()
        self.settings, self.keys, self.tasks = settings, keys, tasks
        # The clinic server's engine for the workstation database (None: none set up);
        # tests hand in their own server.
        self.open_server = open_server or self._open_clinic_server
        self.sync: BackgroundSync | None = None
        # Without an OS keyring the sync login's password is sealed under the database's
        # passphrase: kept from the unlock for the session's background sync.
        self._passphrase: str | None = None
        self.on_login_shown = on_login_shown
        self.idle_lock_ms = idle_lock_ms  # None: the clinic's setting (tests pass a short one)
        self.show_error = show_error or (
            lambda message: QMessageBox.critical(None, "MedTrack Desktop", message)
        )
        self.context: AppContext | None = None
        self.login: LoginDialog | None = None
        self.window: MainWindow | None = None
        self.exit_code = 0
        # Set when the database's start-up upkeep (after the sign-in window shows) has ended;
        # the password check waits for it, so a rebuild never holds the write lock against it.
        self._upkeep_done = threading.Event()

    # -- start -------------------------------------------------------------------------------

    def start(self) -> None:
        if self.settings.demo and not self.settings.db_path.exists():
            self._build_demo()
        else:
            self._open_database()

    def _fatal(self, message: str) -> None:
        self.exit_code = 1
        self.show_error(message)
        self.sig_finished.emit(1)

    def _build_demo(self) -> None:
        # The demo package (and the registry and chart code it builds with) is imported only
        # where a demo is built or opened: every other start is shorter for it.
        from medtrack_desktop.demo import create_demo_database

        path = self.settings.db_path
        try:
            key = self.keys.create(path, passphrase=DEMO_KEY_PASSPHRASE)
        except StoreError as exc:
            self._fatal(str(exc))
            return
        dialog = QProgressDialog("Creating the demo clinic…", "Cancel", 0, DEMO_PATIENTS)
        dialog.setWindowTitle("MedTrack Desktop — first start")
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        dialog.setMinimumDuration(0)
        today = datetime.now().astimezone().date()
        task = self.tasks.start(
            "demo",
            lambda progress, cancelled: create_demo_database(
                path, key, patients=DEMO_PATIENTS, today=today, progress=progress,
                cancelled=cancelled,
            ),
            on_progress=lambda done, _total: dialog.setValue(done),
            on_done=lambda _summary: (dialog.close(), self._open_database()),
            on_failed=lambda exc: (dialog.close(), self._demo_failed(exc)),
        )
        dialog.canceled.connect(task.cancel)
        dialog.show()

    def _demo_failed(self, exc: Exception) -> None:
        from medtrack_desktop.demo import DemoCancelled

        if isinstance(exc, DemoCancelled):
            self.sig_finished.emit(0)
        elif isinstance(exc, StoreError):
            self._fatal(str(exc))
        else:
            self._fatal("The demo clinic could not be created.")

    def _load_key(self) -> bytes | None:
        path = self.settings.db_path
        if self.settings.demo:
            self._passphrase = DEMO_KEY_PASSPHRASE
            return self.keys.load(path, passphrase=DEMO_KEY_PASSPHRASE)
        try:
            return self.keys.load(path)
        except PassphraseRequired:
            def unlock(passphrase: str) -> bytes:
                key = self.keys.load(path, passphrase=passphrase)
                self._passphrase = passphrase
                return key

            dialog = PassphraseDialog(database_name=path.name, unlock=unlock)
            return dialog.key if dialog.exec() else None

    def _open_database(self) -> None:
        path = self.settings.db_path
        if not path.exists():
            self._fatal(
                f"There is no workstation database at {path}.\n\nCreate one with "
                "“medtrack-admin init”, or start the demo with “medtrack-desktop --demo”."
            )
            return
        try:
            key = self._load_key()
            if key is None:
                self.sig_finished.emit(0)
                return
            store = open_workstation_store(path, key, backup_dir=self.settings.backup_dir)
        except StoreError as exc:
            self._fatal(str(exc))
            return
        with store.session() as session:
            seat = current_seat(session)
        if seat is None:
            store.close()
            self._fatal("This database is not set up for a clinic. Run “medtrack-admin init”.")
            return
        self.context = AppContext(
            settings=self.settings,
            store=store,
            seat=seat,
            tasks=self.tasks,
            database=DatabaseStatus(
                cipher_version=store.cipher_version(),
                schema_revision=head_revision(),  # open_workstation_store upgraded it to head
                key_source=self.keys.source_of(path) or "unknown",
            ),
        )
        self.show_login()
        self._start_upkeep(store)

    def _start_upkeep(self, store: Store) -> None:
        """Work the database needs before anyone uses it, but the sign-in window need not wait
        for: the patient search index is checked (and rebuilt when its rules changed) while the
        user types. Its imports (the patient registry's models) leave the start path too."""

        def upkeep(_progress: object, _cancelled: object) -> None:
            from medtrack_desktop.domain.patients.search_index import ensure_current

            try:
                with store.session() as session:
                    ensure_current(session)
            finally:
                self._upkeep_done.set()

        def failed(exc: Exception) -> None:
            log.error("start-up upkeep failed: %s", type(exc).__name__)
            self._fatal(str(exc) if isinstance(exc, StoreError) else
                        "The patient search index could not be prepared. MedTrack will close; "
                        "if this happens again, tell your administrator.")

        self.tasks.start("start-up upkeep", upkeep, on_failed=failed)

    # -- sign in / out -----------------------------------------------------------------------

    def _sign_in_calls(self) -> SignInCalls:
        assert self.context is not None
        store, seat = self.context.store, self.context.seat

        def password(username: str, password: str) -> LoginOutcome:
            self._upkeep_done.wait()
            with store.session() as session:
                return authenticate(session, seat=seat, username=username, password=password)

        def code(pending: PendingSignIn, code: str) -> LoginOutcome:
            with store.session() as session:
                return mfa.complete_sign_in(session, seat=seat, pending=pending, code=code)

        def begin_enrolment(pending: PendingSignIn) -> mfa.Enrolment:
            with store.session() as session:
                return mfa.begin_sign_in_enrolment(session, seat=seat, pending=pending)

        def confirm_enrolment(
            pending: PendingSignIn, code: str
        ) -> tuple[LoginOutcome, list[str]]:
            with store.session() as session:
                return mfa.confirm_sign_in_enrolment(session, seat=seat, pending=pending,
                                                     code=code)

        def new_password(actor: Actor, current: str, new: str) -> None:
            with store.session() as session:
                change_password(session, actor, current_password=current, new_password=new)

        return SignInCalls(password=password, code=code, begin_enrolment=begin_enrolment,
                           confirm_enrolment=confirm_enrolment, change_password=new_password)

    def show_login(self) -> None:
        assert self.context is not None
        self.login = LoginDialog(seat=self.context.seat, tasks=self.tasks,
                                 calls=self._sign_in_calls())
        self.login.sig_signed_in.connect(self._open_main_window)
        self.login.rejected.connect(self._login_left)
        self.login.show()
        if self.on_login_shown is not None:
            self.on_login_shown()

    def _login_left(self) -> None:
        """Quit from the sign-in dialog; a user let in but stopped at a due password change is
        signed out first, so the trail shows the session ended."""
        admitted = self.login.admitted if self.login is not None else None
        if admitted is not None:
            self._end_session(admitted, then=self._quit, reason="password change not done")
        else:
            self._quit()

    def _open_clinic_server(self, local: Engine) -> Engine | None:
        from medtrack_desktop.sync.connection import open_clinic_server

        return open_clinic_server(local, self.keys, passphrase=self._passphrase)

    def _open_main_window(self, actor: Actor) -> None:
        # Imported here, after sign-in: the sign-in window must show as soon as possible.
        from medtrack_desktop.ui.modules import modules_for
        from medtrack_desktop.ui.shell.locking import WorkstationLocker
        from medtrack_desktop.ui.shell.main_window import MainWindow
        from medtrack_desktop.ui.shell.sync_status import BackgroundSync

        assert self.context is not None
        local = self.context.store.engine
        self.sync = BackgroundSync(local, lambda: self.open_server(local), parent=self)
        self.window = MainWindow(context=self.context, actor=actor, modules=modules_for(actor),
                                 sync=self.sync)
        self.window.sig_sign_out.connect(lambda: self._end_session(actor, then=self.show_login))
        self.window.sig_quit.connect(lambda: self._end_session(actor, then=self._quit))
        self.window.sig_switch_user.connect(
            lambda: self._end_session(actor, then=self.show_login, reason="switch user")
        )
        self.window.showMaximized()
        self.sync.start()  # after the window shows: its first status finds the label there
        WorkstationLocker(window=self.window, actor=actor, store=self.context.store,
                          tasks=self.tasks, idle_ms=self.idle_lock_ms)
        # What exists now (modules, mapped classes, the window) lives as long as the session:
        # kept out of the garbage collector's full passes, which otherwise scanned it all
        # again and again (100 ms and more added to a week's calendar read).
        gc.freeze()

    def _end_session(
        self, actor: Actor, *, then: Callable[[], None], reason: str = "user"
    ) -> None:
        assert self.context is not None
        store = self.context.store

        def record(_progress: object, _cancelled: object) -> None:
            with store.session() as session:
                sign_out(session, actor, reason=reason)

        def failed(exc: Exception) -> None:
            log.error("sign-out could not be recorded: %s", type(exc).__name__)
            then()

        self.window = None
        self._stop_sync()
        gc.unfreeze()  # the session's window may be collected now (frozen again at sign-in)
        self.tasks.start("sign-out", record, on_done=lambda _r: then(), on_failed=failed)

    def _stop_sync(self) -> None:
        if self.sync is not None:
            self.sync.stop()
            self.sync.deleteLater()
            self.sync = None

    def _quit(self) -> None:
        self._stop_sync()
        self.tasks.wait(10_000)
        if self.context is not None:
            self.context.store.close()
        self.sig_finished.emit(0)
