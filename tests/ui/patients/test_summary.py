"""The patient summary over the demo clinic: what it shows of the open patient (the SSN by its
last 4 only), editing demographics from it, and the History tab's old → new."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import date

from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from registry_ui import CTRL, demo_patient, focused, show_tab, summary_on
from sqlalchemy import func, select
from ui_support import settle

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.registry import get_patient, update_demographics
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.date_field import clinic_today


def test_the_summary_shows_the_open_patient_and_only_the_ssn_last_4(
    qtbot: QtBot, context: AppContext
) -> None:
    frontdesk = sign_in(context.store, "frontdesk")
    patient = demo_patient(context.store, 4)
    record = perform(context.store, frontdesk, get_patient, patient_id=patient.id)
    perform(context.store, frontdesk, update_demographics, patient_id=patient.id,
            version=record.version, today=clinic_today(context.seat),
            demographics=replace(record.demographics, ssn="512-34-5678",
                                 preferred_name="Bea", race="black_african_american",
                                 gender_identity="not_disclosed", employer_name="H-E-B",
                                 emergency_contact_name="Sam Doe",
                                 emergency_contact_relation="Spouse",
                                 emergency_contact_phone="512-555-0100"))
    summary, workspace = summary_on(qtbot, context, frontdesk)
    view = summary.view
    assert view.pages.currentWidget() is view.empty

    workspace.open_patient(patient.id)
    qtbot.waitUntil(lambda: summary.record is not None, timeout=10_000)
    settle(qtbot, context)
    assert view.name.text() == f"{patient.last_name}, {patient.first_name}"
    assert view.preferred.text() == "\u201cBea\u201d"
    assert f"DOB {patient.date_of_birth:%Y-%m-%d} \u00b7 MRN {patient.mrn}" in view.facts.text()
    assert view.values["ssn"].text() == "\u2022\u2022\u2022-\u2022\u2022-5678"
    assert view.values["race"].text() == "Black or African American"
    assert view.values["gender_identity"].text() == "Prefer not to say"
    assert view.values["emergency"].text() == "Sam Doe (Spouse)\n(512) 555-0100"
    assert view.values["address"].text().startswith(patient.address_line1 or "")
    assert view.values["retention"].text() == f"{summary.record.retention_until:%Y-%m-%d}"
    assert not view.restricted.isVisible() and not view.deceased.isVisible()
    assert view.edit.isEnabled()
    texts = [label.text() for label in summary.findChildren(QLabel)]
    assert not any("512-34-5678" in text or "512345678" in text for text in texts)
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        summary.grab().save("/tmp/summary.png")

    assert _reads(context.store, patient.id, "insurance") == 0, "a tab reads when shown"
    show_tab(qtbot, context, summary, summary.insurance.view)
    assert _reads(context.store, patient.id, "insurance") == 1
    show_tab(qtbot, context, summary, summary.history.view)
    show_tab(qtbot, context, summary, summary.insurance.view)
    assert _reads(context.store, patient.id, "insurance") == 1, "once per patient shown"

    workspace.close_patient()
    assert view.pages.currentWidget() is view.empty and summary.record is None


def _reads(store: Store, patient_id: uuid.UUID, what: str) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "patient.read", AuditEntry.patient_id == patient_id,
            AuditEntry.reason == what)) or 0


def test_edit_from_the_summary_and_see_old_to_new_in_history(
    qtbot: QtBot, context: AppContext
) -> None:
    frontdesk = sign_in(context.store, "frontdesk")
    patient = demo_patient(context.store, 7)
    summary, _workspace = summary_on(qtbot, context, frontdesk, patient.id)
    assert summary.history.view.status.text() == (
        "No demographic field has been changed since registration.")

    qtbot.keyClick(summary.view.edit, Qt.Key.Key_E, CTRL)
    qtbot.waitUntil(lambda: summary.dialog is not None and summary.dialog.isVisible(),
                    timeout=10_000)
    dialog = summary.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.view.last_name.text() == patient.last_name, timeout=10_000)
    qtbot.waitUntil(dialog.isActiveWindow)
    assert focused() is dialog.view.last_name
    dialog.view.last_name.selectAll()
    qtbot.keyClicks(dialog.view.last_name, "Renamed")
    dialog.view.deceased.setChecked(True)
    dialog.view.deceased_on.set_value(date(2026, 1, 2))
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: summary.record is not None
                    and summary.record.demographics.last_name == "Renamed", timeout=10_000)
    settle(qtbot, context)

    view = summary.view
    assert view.name.text() == f"Renamed, {patient.first_name}"
    assert view.deceased.isVisible() and view.deceased.text() == "Deceased 2026-01-02"
    assert " at death \u00b7 " in view.facts.text()
    rows = {(row.field, row.changed_by): row for row in summary.history.model.rows}
    assert ("last_name", "frontdesk") in rows and ("deceased_on", "frontdesk") in rows
    model = summary.history.model
    shown = {model.index(r, 2).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    assert shown["Last name"] == f"{patient.last_name} \u2192 Renamed"
    assert shown["Deceased"] == "No \u2192 Yes"
    assert shown["Date of death"] == "(empty) \u2192 2026-01-02"
    assert summary.history.view.status.text() == "3 changes, newest first"
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        summary.grab().save("/tmp/summary_history.png")


def test_those_who_may_not_change_demographics_cannot_open_the_form(
    qtbot: QtBot, context: AppContext
) -> None:
    assistant = sign_in(context.store, "assistant")
    assert not assistant.can("patient.write")
    summary, _workspace = summary_on(qtbot, context, assistant,
                                     demo_patient(context.store, 1).id)
    assert not summary.view.edit.isEnabled()
    summary.edit_demographics()
    assert summary.dialog is None
