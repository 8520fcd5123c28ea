"""What the registration and summary tests share: an application context over a demo database,
a workspace that opens patients through the real ``PatientOpener``, a summary with a patient
open, and keyboard helpers."""

from __future__ import annotations

import uuid
from datetime import date

from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import make_workspace, settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.summary import PatientSummary
from medtrack_desktop.ui.workspace import Workspace

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


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
