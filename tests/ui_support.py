"""Qt test helpers every UI test shares: an application context over a database, a window's
workspace that opens patients through the real ``PatientOpener``, and waiting for jobs."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from medtrack_desktop.config import Settings
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext, DatabaseStatus
from medtrack_desktop.ui.shell.passphrase import PassphraseDialog
from medtrack_desktop.ui.shell.patient_opening import PatientOpener
from medtrack_desktop.ui.tasks import TaskRunner
from medtrack_desktop.ui.workspace import Workspace


def app_context(store: Store, tmp_path: Path) -> Iterator[AppContext]:
    """An ``AppContext`` over ``store``; waits for every job at the end of the test."""
    with store.read_session() as session:
        seat = current_seat(session)
    assert seat is not None
    tasks = TaskRunner()
    yield AppContext(
        settings=Settings(data_dir=tmp_path, db_path=store.path or tmp_path / "x.db",
                          backup_dir=tmp_path / "backups", demo=False),
        store=store, seat=seat, tasks=tasks,
        database=DatabaseStatus(cipher_version="4", schema_revision="head", key_source="test"),
    )
    tasks.wait(10_000)
    # collect cycles holding Qt wrappers here, on the GUI thread, not in some later job's thread
    QApplication.processEvents()
    gc.collect()


def make_workspace(qtbot: QtBot, context: AppContext, actor: Actor) -> Workspace:
    """A window's workspace for ``actor``; refusals to open a record are kept in
    ``workspace.refusals`` instead of shown in a message box."""
    host = QWidget()
    qtbot.addWidget(host)
    refusals: list[str] = []
    opener = PatientOpener(store=context.store, actor=actor, tasks=context.tasks, parent=host,
                           ask_reason=lambda _message, _parent: None,
                           show_error=lambda message, _parent: refusals.append(message))
    workspace = Workspace(opener, host)
    workspace.refusals = refusals  # type: ignore[attr-defined]
    return workspace


def settle(qtbot: QtBot, context: AppContext) -> None:
    """Let every started job end and its result reach the widgets."""
    for _round in range(3):
        context.tasks.wait(10_000)
        qtbot.wait(20)


_SEEN: weakref.WeakKeyDictionary[QWidget, object] = weakref.WeakKeyDictionary()


def wait_for_read(qtbot: QtBot, view: QWidget, attribute: str, *, timeout: int = 10_000,
                  before: object = None) -> None:
    """Wait until ``view`` shows a read (its ``attribute``) newer than the one the last wait
    for it saw, or than ``before``, and has none on its way (``view.loading``). Counting from
    the last wait, not from the call, a read finished while the test waited for something else
    (a dialog closing) still counts."""
    seen = before if before is not None else _SEEN.get(view, getattr(view, attribute))
    qtbot.waitUntil(lambda: getattr(view, attribute) is not seen and not view.loading,
                    timeout=timeout)
    _SEEN[view] = getattr(view, attribute)


def mark_read(view: QWidget, attribute: str) -> None:
    """Remember what ``view`` shows now as the read the next ``wait_for_read`` counts from."""
    _SEEN[view] = getattr(view, attribute)


def when_passphrase_asked(answer: Callable[[PassphraseDialog], None]) -> None:
    """Call ``answer`` with the passphrase dialog once it shows (it runs its own event loop,
    so the answer is scheduled before whatever opens it)."""
    def look() -> None:
        dialogs = [widget for widget in QApplication.topLevelWidgets()
                   if isinstance(widget, PassphraseDialog) and widget.isVisible()]
        if not dialogs:
            QTimer.singleShot(20, look)  # the dialog's event loop has not started yet
            return
        answer(dialogs[0])

    QTimer.singleShot(50, look)
