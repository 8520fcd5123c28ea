"""What the registration and summary tests share: an application context over a demo database,
a workspace that opens patients through the real ``PatientOpener``, a summary with a patient
open, and keyboard helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medtrack_desktop.config import Settings
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext, DatabaseStatus
from medtrack_desktop.ui.patients.summary import PatientSummary
from medtrack_desktop.ui.shell.patient_opening import PatientOpener
from medtrack_desktop.ui.tasks import TaskRunner
from medtrack_desktop.ui.workspace import Workspace

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def app_context(store: Store, tmp_path: Path) -> Iterator[AppContext]:
    """An ``AppContext`` over ``store``; waits for every job at the end of the test."""
    with store.read_session() as session:
        seat = current_seat(session)
    assert seat is not None
    tasks = TaskRunner()
    yield AppContext(
        settings=Settings(data_dir=tmp_path, db_path=tmp_path / "x.db",
                          backup_dir=tmp_path / "backups", demo=False),
        store=store, seat=seat, tasks=tasks,
        database=DatabaseStatus(cipher_version="4", schema_revision="head", key_source="test"),
    )
    tasks.wait(10_000)


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


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_and_tab(qtbot: QtBot, text: str = "") -> QWidget:
    """Type ASCII ``text`` into the focused field, then Tab; returns the field typed in."""
    field = focused()
    if text:
        qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    return field


def demo_patient(store: Store, offset: int) -> Patient:
    """A demo patient who is not the restricted one, detached from its session."""
    with store.read_session() as session:
        patient = session.scalars(select(Patient).where(Patient.restricted.is_(False))
                                  .order_by(Patient.mrn).offset(offset).limit(1)).one()
        session.expunge(patient)
    return patient


def new_patient(store: Store, last_name: str) -> uuid.UUID:
    """A patient registered now (so nothing else of the demo hangs on it)."""
    frontdesk = sign_in(store, "frontdesk")
    record = perform(store, frontdesk, register_patient, today=date(2026, 11, 25),
                     demographics=Demographics(last_name=last_name, first_name="Test",
                                               date_of_birth=date(1980, 5, 6), sex="female"))
    return record.id


def summary_on(qtbot: QtBot, context: AppContext, actor: Actor,
               patient_id: uuid.UUID | None = None) -> tuple[PatientSummary, Workspace]:
    """A shown, active summary for ``actor``, with that patient open and loaded."""
    workspace = make_workspace(qtbot, context, actor)
    summary = PatientSummary(context, actor, workspace)
    qtbot.addWidget(summary)
    summary.resize(1150, 640)
    summary.show()
    summary.activateWindow()
    qtbot.waitUntil(summary.isActiveWindow)
    if patient_id is not None:
        workspace.open_patient(patient_id)
        qtbot.waitUntil(lambda: summary.record is not None and summary.record.id == patient_id,
                        timeout=10_000)
        settle(qtbot, context)
    return summary, workspace


def show_tab(qtbot: QtBot, context: AppContext, summary: PatientSummary, page: QWidget) -> None:
    """Bring a tab of the summary forward and let it load."""
    summary.view.tabs.setCurrentWidget(page)
    settle(qtbot, context)
