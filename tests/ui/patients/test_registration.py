"""The registration form over the demo clinic: registering by keyboard alone, messages at the
field, the duplicate warning, editing against a stale version, the SSN kept masked, the photo."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from registry_ui import (
    CTRL,
    demo_patient,
    focused,
    settle,
    type_and_tab,
)
from sqlalchemy import func, select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import (
    get_patient,
    get_photo,
    reveal_ssn,
    update_demographics,
)
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.registration import DISCARD_QUESTION, RegistrationDialog
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed, Workspace


def _dialog(qtbot: QtBot, context: AppContext, actor: Actor, workspace: Workspace,
            **kwargs: object) -> RegistrationDialog:
    kwargs.setdefault("confirm", lambda _parent, _title, _question: True)  # no modal box
    dialog = RegistrationDialog(context, actor, workspace, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # shortcuts and mnemonics need the active window
    settle(qtbot, context)
    return dialog


def _count(store: Store) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(Patient)) or 0


def test_register_a_patient_entirely_by_keyboard(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    announced: list[Changed] = []
    workspace.sig_changed.connect(announced.append)
    before = _count(context.store)
    dialog = _dialog(qtbot, context, frontdesk, workspace)
    view = dialog.view
    assert dialog.windowTitle() == "Register a patient"
    assert focused() is view.last_name

    visited = [
        type_and_tab(qtbot, "Keyboardson"),
        type_and_tab(qtbot, "Ada"),
        type_and_tab(qtbot),  # middle name
        type_and_tab(qtbot, "Addie"),
        type_and_tab(qtbot, "3/4/71"),
        type_and_tab(qtbot, "f"),  # a list: the first letter picks Female
        type_and_tab(qtbot),  # gender identity
        type_and_tab(qtbot, "w"),
        type_and_tab(qtbot, "n"),
        type_and_tab(qtbot, "m"),
        type_and_tab(qtbot, "Spanish"),
        type_and_tab(qtbot, "512-34-5678"),
        type_and_tab(qtbot),  # "Enter an MRN" stays unticked
        type_and_tab(qtbot, "100 Congress Ave"),
        type_and_tab(qtbot, "Apt 4"),
        type_and_tab(qtbot, "Austin"),
        type_and_tab(qtbot, "tx"),
        type_and_tab(qtbot, "78701"),
        type_and_tab(qtbot),  # country: US already
        type_and_tab(qtbot, "5125550147"),
    ]
    assert visited == [
        view.last_name, view.first_name, view.middle_name, view.preferred_name,
        view.date_of_birth, view.sex, view.gender_identity, view.race, view.ethnicity,
        view.marital_status, view.preferred_language, view.ssn, view.mrn_manual,
        view.address_line1, view.address_line2, view.city, view.state, view.postal_code,
        view.country, view.phone_home,
    ], "the tab order follows the form top to bottom"
    assert view.date_of_birth.text() == "03/04/1971", "the date shows back as understood"
    assert view.phone_home.text() == "(512) 555-0147", "the phone as it will be stored"
    assert view.ssn.text() == "512-34-5678"
    assert view.ssn.echoMode() == QLineEdit.EchoMode.PasswordEchoOnEdit
    qtbot.keyClick(focused(), Qt.Key.Key_Return)  # Enter moves on like Tab, never saves
    assert focused() is view.phone_work and dialog.isVisible()
    type_and_tab(qtbot)
    type_and_tab(qtbot, "ada.k@example.com")
    assert focused() is view.emergency_contact_name
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        dialog.grab().save("/tmp/registration_typed.png")

    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert _count(context.store) == before + 1
    (match,) = perform(context.store, frontdesk, search_patients, query="keyboardson",
                       today=clinic_today(context.seat))
    assert (match.first_name, match.date_of_birth, match.sex) == ("Ada", date(1971, 3, 4),
                                                                   "female")
    record = perform(context.store, frontdesk, get_patient, patient_id=match.id)
    entered = record.demographics
    assert (entered.preferred_name, entered.race, entered.ethnicity, entered.marital_status,
            entered.preferred_language) == ("Addie", "white", "not_hispanic_latino", "married",
                                            "es")
    assert (entered.address_line1, entered.city, entered.state, entered.postal_code) == (
        "100 Congress Ave", "Austin", "TX", "78701")
    assert (entered.phone_home, entered.email) == ("(512) 555-0147", "ada.k@example.com")
    assert record.ssn_last4 == "5678" and record.mrn
    assert announced == [Changed.PATIENTS]
    qtbot.waitUntil(lambda: workspace.patient is not None, timeout=10_000)
    assert workspace.patient is not None and workspace.patient.id == match.id


def test_problems_show_at_their_fields_and_nothing_is_saved(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    before = _count(context.store)
    dialog = _dialog(qtbot, context, frontdesk, workspace)
    view = dialog.view
    view.last_name.setText("Núñez")
    view.first_name.setText("Inés")

    view.phone_mobile.setFocus()
    qtbot.keyClicks(view.phone_mobile, "555-12")
    assert view.errors.message("phone_mobile") == "", "no message while still typing"
    qtbot.keyClick(view.phone_mobile, Qt.Key.Key_Tab)
    assert view.errors.message("phone_mobile").startswith("Mobile phone: not a valid phone")
    assert view.phone_mobile.accessibleDescription() == view.errors.message("phone_mobile")
    assert view.errors.message("date_of_birth") == "", "only fields already left are judged"
    view.phone_mobile.setText("(512) 555-0199")
    assert view.errors.message("phone_mobile") == "", "gone as soon as it is fixed"
    view.phone_mobile.setText("555-12")

    future = clinic_today(context.seat) + timedelta(days=3)
    view.date_of_birth.setText(future.strftime("%m/%d/%Y"))
    view.sex.setCurrentIndex(view.sex.findData("female"))
    view.ssn.setText("000-12-3456")
    view.postal_code.setText("7870")
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    settle(qtbot, context)

    assert view.errors.shown() == {
        "date_of_birth": "Date of birth: cannot be in the future.",
        "ssn": "SSN: not a valid Social Security number (9 digits, as 123-45-6789).",
        "postal_code": "ZIP code: 5 digits, or 5+4 as 78701-1234.",
        "phone_mobile": "Mobile phone: not a valid phone number, e.g. (512) 555-0147.",
    }
    assert focused() is view.date_of_birth, "the first bad field in form order"
    error_label = view.date_of_birth.parentWidget().findChild(QLabel, "fieldError")
    assert error_label is not None and error_label.isVisible()
    assert view.message.text() == "Fix the fields marked in red, then save again."
    assert dialog.isVisible() and _count(context.store) == before
    assert (view.last_name.text(), view.ssn.text()) == ("Núñez", "000-12-3456"), "kept"

    view.date_of_birth.setText("not a day")
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    assert view.errors.message("date_of_birth") == (
        "Date of birth: not a date; type it as 03/04/1970 or 1970-03-04.")
    view.date_of_birth.clear()
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    assert view.errors.message("date_of_birth") == "Date of birth: required."
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        dialog.grab().save("/tmp/registration_errors.png")
    assert _count(context.store) == before


def test_a_typed_mrn_already_used_is_refused_at_the_field(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    taken = demo_patient(context.store, 0).mrn
    dialog = _dialog(qtbot, context, frontdesk, workspace)
    view = dialog.view
    assert not view.mrn.isEnabled() and view.mrn.placeholderText() == "(assigned on save)"
    view.last_name.setText("Carryover")
    view.date_of_birth.setText("1950-01-02")
    view.sex.setCurrentIndex(view.sex.findData("male"))
    view.mrn_manual.setChecked(True)
    assert view.mrn.isEnabled() and focused() is view.mrn
    qtbot.keyClicks(view.mrn, taken)
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: bool(view.errors.message("mrn")), timeout=10_000)
    assert view.errors.message("mrn") == f"MRN: {taken} is already used by another patient."
    assert focused() is view.mrn and dialog.isVisible()


def _type_existing_patient(dialog: RegistrationDialog, patient: Patient) -> None:
    view = dialog.view
    view.last_name.setText(patient.last_name)
    view.first_name.setText(patient.first_name)
    view.date_of_birth.set_value(patient.date_of_birth)
    view.sex.setCurrentIndex(view.sex.findData(patient.sex))


def test_the_duplicate_warning_opens_the_existing_patient(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    pytest.importorskip("medtrack_desktop.domain.patients.duplicates")
    existing = demo_patient(context.store, offset=5)
    before = _count(context.store)
    dialog = _dialog(qtbot, context, frontdesk, workspace)
    _type_existing_patient(dialog, existing)
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: dialog.duplicates is not None and dialog.duplicates.isVisible(),
                    timeout=10_000)
    warning = dialog.duplicates
    assert warning is not None
    assert warning.windowTitle() == "Possible duplicate"
    candidate = warning.model.rows[0]
    assert (candidate.id, candidate.mrn) == (existing.id, existing.mrn)
    assert "same name and date of birth" in candidate.reasons
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        warning.grab().save("/tmp/registration_duplicates.png")

    qtbot.keyClick(warning.table, Qt.Key.Key_Return)  # "Open existing" is the default
    qtbot.waitUntil(lambda: workspace.patient is not None, timeout=10_000)
    assert workspace.patient is not None and workspace.patient.id == existing.id
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert _count(context.store) == before


def test_register_as_new_after_the_duplicate_warning(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    pytest.importorskip("medtrack_desktop.domain.patients.duplicates")
    existing = demo_patient(context.store, offset=6)
    before = _count(context.store)
    dialog = _dialog(qtbot, context, frontdesk, workspace)
    _type_existing_patient(dialog, existing)
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: dialog.duplicates is not None and dialog.duplicates.isVisible(),
                    timeout=10_000)
    warning = dialog.duplicates
    assert warning is not None
    qtbot.keyClick(warning.table, Qt.Key.Key_Escape)  # back to the form, nothing saved
    assert not warning.isVisible() and dialog.isVisible() and _count(context.store) == before
    qtbot.waitUntil(dialog.isActiveWindow)
    assert focused() is dialog.view.last_name

    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: dialog.duplicates is not warning and dialog.duplicates is not None
                    and dialog.duplicates.isVisible(), timeout=10_000)
    second = dialog.duplicates
    assert second is not None
    qtbot.keyClick(second.table, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert _count(context.store) == before + 1
    assert dialog.record is not None and dialog.record.id != existing.id


def test_an_edit_over_a_stale_version_says_so_and_keeps_the_typing(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    patient = demo_patient(context.store, offset=1)
    dialog = _dialog(qtbot, context, frontdesk, workspace, patient_id=patient.id)
    view = dialog.view
    assert dialog.windowTitle() == "Edit demographics"  # no patient data in a window title
    assert view.last_name.text() == patient.last_name and view.mrn.text() == patient.mrn
    assert view.mrn.isReadOnly() and not view.mrn_manual.isVisible()
    assert not dialog.is_dirty()

    nurse = sign_in(context.store, "nurse")
    record = perform(context.store, nurse, get_patient, patient_id=patient.id)
    changed = record.demographics.__class__(**{**record.demographics.__dict__,
                                               "employer_name": "Riverside Hospital"})
    perform(context.store, nurse, update_demographics, patient_id=patient.id,
            version=record.version, demographics=changed, today=clinic_today(context.seat))

    view.employer_name.setFocus()
    qtbot.keyClicks(view.employer_name, "Capitol Cafe")
    assert dialog.is_dirty()
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(view.banner.isVisible, timeout=10_000)
    assert view.banner_text.text().startswith("Someone else changed this patient since you "
                                              "opened it.")
    assert view.reload.isVisible()
    assert view.employer_name.text() == "Capitol Cafe" and dialog.isVisible()
    assert view.message.text() == "Not saved; what you typed is still here."
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        dialog.grab().save("/tmp/registration_stale.png")
    saved = perform(context.store, nurse, get_patient, patient_id=patient.id)
    assert saved.demographics.employer_name == "Riverside Hospital"

    asked: list[str] = []
    dialog._confirm = lambda _parent, _title, question: asked.append(question) or True
    view.reload.click()
    qtbot.waitUntil(lambda: view.employer_name.text() == "Riverside Hospital", timeout=10_000)
    assert asked == [DISCARD_QUESTION] and not view.banner.isVisible()
    view.employer_name.setText("Capitol Cafe")
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    saved = perform(context.store, nurse, get_patient, patient_id=patient.id)
    assert saved.demographics.employer_name == "Capitol Cafe"


def test_the_ssn_stays_masked_until_revealed(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    patient = demo_patient(context.store, offset=2)
    record = perform(context.store, frontdesk, get_patient, patient_id=patient.id)
    with_ssn = record.demographics.__class__(**{**record.demographics.__dict__,
                                                "ssn": "512-34-5678"})
    perform(context.store, frontdesk, update_demographics, patient_id=patient.id,
            version=record.version, demographics=with_ssn, today=clinic_today(context.seat))

    dialog = _dialog(qtbot, context, frontdesk, workspace, patient_id=patient.id)
    view = dialog.view
    edits = dialog.findChildren(QLineEdit)
    shown = [widget.text() for widget in [*edits, *dialog.findChildren(QLabel)]] + [
        edit.placeholderText() for edit in edits]
    assert not any("512-34-5678" in text or "512345678" in text for text in shown)
    assert view.ssn.text() == ""
    assert view.ssn.placeholderText() == "\u2022\u2022\u2022-\u2022\u2022-5678"

    view.employer_name.setText("Cafe Nine")  # a save that leaves the SSN alone keeps it
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert perform(context.store, frontdesk, reveal_ssn, patient_id=patient.id) == "512-34-5678"

    again = _dialog(qtbot, context, frontdesk, workspace, patient_id=patient.id)
    assert again.view.reveal.isVisible()
    qtbot.keyClick(focused(), Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: again.view.ssn.text() == "512-34-5678", timeout=10_000)
    assert again.view.ssn.echoMode() == QLineEdit.EchoMode.Normal
    assert not again.is_dirty(), "seeing the number changes nothing"
    with context.store.read_session() as session:
        reveals = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "patient.ssn_reveal", AuditEntry.patient_id == patient.id))
    assert reveals == 2  # this test's own check above, and the button


def test_escape_asks_before_discarding_typed_changes(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    asked: list[str] = []
    answer = [False]

    def confirm(_parent: object, _title: str, question: str) -> bool:
        asked.append(question)
        return answer[0]

    dialog = _dialog(qtbot, context, frontdesk, workspace, confirm=confirm)
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and asked == [], "nothing typed: closes at once"

    dialog = _dialog(qtbot, context, frontdesk, workspace, confirm=confirm)
    qtbot.keyClicks(focused(), "Halfway")
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert asked == [DISCARD_QUESTION] and dialog.isVisible()
    assert dialog.view.last_name.text() == "Halfway"
    answer[0] = True
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


def test_a_big_photo_is_scaled_down_and_saved_with_the_patient(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace, tmp_path: Path
) -> None:
    picture = QImage(3000, 2000, QImage.Format.Format_ARGB32)
    picture.fill(QColor("#3a7ca5"))
    path = tmp_path / "camera.png"
    assert picture.save(str(path), "PNG")
    unreadable = tmp_path / "notes.png"
    unreadable.write_text("not a picture")
    chosen = [unreadable, path]

    patient = demo_patient(context.store, offset=3)
    dialog = _dialog(qtbot, context, frontdesk, workspace, patient_id=patient.id,
                     choose_file=lambda _parent: chosen.pop(0))
    view = dialog.view
    assert view.photo_preview.text() == "No photo" and not view.remove_photo.isEnabled()
    view.choose_photo.click()
    qtbot.waitUntil(lambda: bool(view.errors.message("photo")), timeout=10_000)
    assert view.errors.message("photo") == "Photo: a PNG or JPEG picture is needed."
    view.choose_photo.click()
    qtbot.waitUntil(lambda: view.photo_preview.pixmap() is not None
                    and not view.photo_preview.pixmap().isNull(), timeout=10_000)
    assert view.errors.message("photo") == "" and view.remove_photo.isEnabled()
    assert dialog.is_dirty()
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)

    stored = perform(context.store, frontdesk, get_photo, patient_id=patient.id)
    assert stored is not None and stored.startswith(b"\xff\xd8\xff")
    assert len(stored) < 2 * 1024 * 1024
    image = QImage.fromData(stored)
    assert (image.width(), image.height()) == (800, 533)
