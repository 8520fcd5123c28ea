"""The registration form's logic: register a new patient, or change one's demographics.

Made to be fast by keyboard and hard to get wrong:

- Tab (or Enter) goes down the form in reading order; every label has a mnemonic; Ctrl+S
  saves; Esc asks before throwing typed changes away.
- Fields are checked with the registry's own rules (``clean_demographics``, pure and fast) as
  the user leaves each one; only fields already left show their problem, and a problem
  disappears as soon as it is fixed. A refused save shows each message at its field and
  focuses the first; nothing typed is lost.
- A new patient is checked for likely duplicates first (same SSN, same date of birth with a
  similar name, same phone) and the user chooses: open the existing record, or register.
- An edit saves against the version that was opened; if someone else saved in between, the
  form says so and keeps what was typed.

Each save is one unit of work: the demographics, the photo and their audit entries commit
together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import (
    PHONE_FIELDS,
    Demographics,
    DemographicsInvalid,
    clean_demographics,
    format_phone,
)
from medtrack_desktop.domain.patients.duplicates import DuplicateCandidate, find_duplicates
from medtrack_desktop.domain.patients.mrn import MrnError
from medtrack_desktop.domain.patients.registry import (
    PatientRecord,
    StaleRecord,
    get_patient,
    get_photo,
    register_patient,
    reveal_ssn,
    set_photo,
    update_demographics,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.registration_choices import field_label
from medtrack_desktop.ui.patients.registration_duplicates import DuplicatesDialog
from medtrack_desktop.ui.patients.registration_photo import choose_photo_file, prepare_photo
from medtrack_desktop.ui.patients.registration_view import (
    PHOTO_SIZE,
    RegistrationView,
    combo_code,
    set_combo_code,
)
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text
from medtrack_desktop.ui.widgets.date_field import DateField, clinic_today, read_date
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.thumbnail import thumbnail
from medtrack_desktop.ui.workspace import Changed, Workspace

ChooseFile = Callable[[QWidget], Path | None]
DISCARD_QUESTION = "Discard the changes to this patient?"
_DATE_FIELDS = ("date_of_birth", "deceased_on")


# -- the units of work ----------------------------------------------------------------------------


def patient_with_photo(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> tuple[PatientRecord, bytes | None]:
    """The record and its photo, as the form shows them."""
    record = get_patient(session, actor, patient_id=patient_id)
    photo = get_photo(session, actor, patient_id=patient_id) if record.has_photo else None
    return record, photo


def register_with_photo(
    session: Session, actor: Actor, *, demographics: Demographics, today: date,
    mrn: str | None, photo: bytes | None, check_duplicates: bool,
) -> PatientRecord | list[DuplicateCandidate]:
    """Register the patient (and their photo) — unless ``check_duplicates`` finds likely
    duplicates, which are returned instead, with nothing saved."""
    if check_duplicates and (found := find_duplicates(session, actor, demographics=demographics,
                                                      today=today)):
        return found
    record = register_patient(session, actor, demographics=demographics, today=today, mrn=mrn)
    if photo is not None:
        set_photo(session, actor, patient_id=record.id, photo=photo)
    return record


def update_with_photo(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, version: int,
    demographics: Demographics, today: date, photo: bytes | None, photo_changed: bool,
) -> PatientRecord:
    record = update_demographics(session, actor, patient_id=patient_id, version=version,
                                 demographics=demographics, today=today)
    if photo_changed:
        set_photo(session, actor, patient_id=patient_id, photo=photo)
    return record


# -- the dialog -----------------------------------------------------------------------------------


class RegistrationDialog(QDialog):
    """Registers a patient (``patient_id`` None) or edits one. After a save it announces
    ``Changed.PATIENTS`` and opens the saved patient in the workspace.

    ``confirm`` asks yes/no and ``choose_file`` picks a photo: dialogs that tests answer.
    """

    def __init__(
        self, context: AppContext, actor: Actor, workspace: Workspace,
        patient_id: uuid.UUID | None = None, parent: QWidget | None = None, *,
        confirm: Confirm = ask, choose_file: ChooseFile = choose_photo_file,
    ) -> None:
        super().__init__(parent)
        self._workspace, self._confirm, self._choose_file = workspace, confirm, choose_file
        self._calls = ServiceCaller(context, actor, self)
        self._may_write = actor.can("patient.write")
        self._today = lambda: clinic_today(context.seat)
        self.patient_id = patient_id
        self.record: PatientRecord | None = None
        self.duplicates: DuplicatesDialog | None = None
        self._photo: bytes | None = None
        self._photo_changed = False
        self._ssn_known = ""  # the SSN as shown once revealed: unchanged means "keep"
        self._touched: set[str] = set()
        self._clean: tuple[Any, ...] = ()
        self._busy = False

        editing = patient_id is not None
        self.setWindowTitle("Edit demographics" if editing else "Register a patient")
        self.setModal(True)
        self.view = RegistrationView(today=self._today, editing=editing)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        screen = (parent.screen() if parent else QGuiApplication.primaryScreen())
        available = screen.availableGeometry()
        self.resize(min(1240, available.width() - 40), min(720, available.height() - 40))

        view = self.view
        view.deceased.toggled.connect(view.deceased_on.setEnabled)
        for key, widget in view.inputs.items():
            widget.installEventFilter(self)
            self._watch(key, widget)
        view.mrn_manual.toggled.connect(self._mrn_manual_toggled)
        view.save.clicked.connect(self.save)
        view.cancel.clicked.connect(self.reject)
        view.reveal.clicked.connect(self.reveal_ssn)
        view.reload.clicked.connect(self.reload)
        view.choose_photo.clicked.connect(self.choose_photo)
        view.remove_photo.clicked.connect(self.remove_photo)
        view.save.setEnabled(self._may_write)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

        if editing:
            self.reload()
        else:
            self._fill(Demographics(sex=""), photo=None)
            view.mrn.setEnabled(False)
            view.mrn.setPlaceholderText("(assigned on save)")
        view.last_name.setFocus()

    # -- reading and filling the form --------------------------------------------------------

    def _watch(self, key: str, widget: QWidget) -> None:
        """Re-check a field that shows a problem as soon as it changes; a choice made in a
        list or a box ticked counts as leaving the field."""
        def changed() -> None:
            if self.view.errors.message(key):
                self._recheck()

        def chosen() -> None:
            self._touched.add(key)
            self._recheck()

        if isinstance(widget, QLineEdit | QPlainTextEdit):
            widget.textChanged.connect(changed)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(chosen)
            if widget.isEditable():
                widget.editTextChanged.connect(changed)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(chosen)

    def _date(self, key: str) -> date | None:
        field = self.view.inputs[key]
        assert isinstance(field, DateField)
        try:
            return field.value()
        except ValueError:
            return None

    def _ssn(self) -> str | None:
        """What to do with the SSN: None keeps the stored one (untouched in an edit)."""
        typed = self.view.ssn.text().strip()
        if self.patient_id is not None and typed == self._ssn_known:
            return None
        return typed

    def entered(self) -> Demographics:
        """The form's values as the registry takes them."""
        view = self.view
        text: dict[str, Any] = {}
        for key, widget in view.inputs.items():
            if isinstance(widget, QLineEdit) and not isinstance(widget, DateField) \
                    and key not in ("mrn", "ssn"):
                text[key] = widget.text()
            elif isinstance(widget, QComboBox):
                text[key] = combo_code(widget)
        deceased = view.deceased.isChecked()
        return Demographics(
            **text,
            date_of_birth=self._date("date_of_birth"),
            deceased=deceased,
            deceased_on=self._date("deceased_on") if deceased else None,
            active=view.active.isChecked(),
            notes=view.notes.toPlainText(),
            ssn=self._ssn(),
        )

    def _state(self) -> tuple[Any, ...]:
        view = self.view
        return (self.entered(), view.date_of_birth.text(), view.deceased_on.text(),
                view.mrn_manual.isChecked() and view.mrn.text(), self._photo_changed)

    def is_dirty(self) -> bool:
        return self._state() != self._clean

    def _fill(self, demographics: Demographics, *, photo: bytes | None) -> None:
        view = self.view
        for key, widget in view.inputs.items():
            value = getattr(demographics, key, None)
            if isinstance(widget, DateField):
                widget.set_value(value)
            elif isinstance(widget, QLineEdit) and key not in ("mrn", "ssn"):
                widget.setText(value or "")
            elif isinstance(widget, QComboBox):
                set_combo_code(widget, value)
        view.deceased.setChecked(demographics.deceased)
        view.deceased_on.setEnabled(demographics.deceased)
        view.active.setChecked(demographics.active)
        view.notes.setPlainText(demographics.notes)
        view.ssn.clear()
        self._ssn_known = ""
        self._set_photo(photo, changed=False)
        self._touched.clear()
        view.errors.clear()
        self._clean = self._state()

    # -- checking as the user goes -----------------------------------------------------------

    def problems(self) -> dict[str, str]:
        """Every problem of the form as it stands (the registry's rules, plus unreadable
        dates and a missing manual MRN), by field."""
        try:
            clean_demographics(self.entered(), today=self._today())
            errors: dict[str, str] = {}
        except DemographicsInvalid as invalid:
            errors = dict(invalid.errors)
        for key in _DATE_FIELDS:
            field = self.view.inputs[key]
            assert isinstance(field, DateField)
            if key != "deceased_on" or self.view.deceased.isChecked():
                read_date(field, key, field_label(key), errors)
        if self.view.mrn_manual.isChecked() and not self.view.mrn.text().strip():
            errors["mrn"] = "MRN: type the number, or untick Enter an MRN."
        return errors

    def _recheck(self) -> None:
        errors = self.problems()
        for key in self._touched & self.view.inputs.keys():
            self.view.errors.set(key, errors.get(key, ""))

    def _left(self, key: str) -> None:
        self._touched.add(key)
        if key in PHONE_FIELDS:  # show the number as it will be stored
            edit = self.view.inputs[key]
            assert isinstance(edit, QLineEdit)
            try:
                shown = format_phone(edit.text(), region=self.view.country.text().upper() or "US")
            except ValueError:
                shown = edit.text()
            if edit.text().strip() and shown != edit.text():
                edit.setText(shown)
        self._recheck()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # a Qt override: camelCase
        if event.type() == QEvent.Type.FocusOut and isinstance(event, QFocusEvent) and \
                event.reason() != Qt.FocusReason.PopupFocusReason:
            key = next((k for k, w in self.view.inputs.items() if w is watched), None)
            if key is not None:
                self._left(key)
        return super().eventFilter(watched, event)

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._touched |= errors.keys()
        others = self.view.errors.show(errors)
        self.view.show_banner(" ".join(others.values()))
        self.view.message.setText("Fix the fields marked in red, then save again.")
        focused = QApplication.focusWidget()
        if focused is not None and self.view.scroll.widget().isAncestorOf(focused):
            self.view.scroll.ensureWidgetVisible(focused)

    # -- keys --------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # a Qt override: camelCase
        """Enter moves to the next field like Tab (a half-filled form is never saved by an
        Enter typed out of habit); on a button it presses the button."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            focused = self.focusWidget()
            if isinstance(focused, QPushButton):
                focused.click()
            else:
                self.focusNextChild()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Esc, Cancel or the window's close button: ask before losing typed changes."""
        if self.is_dirty() and not self._confirm(self, "Discard changes", DISCARD_QUESTION):
            return
        super().reject()

    # -- actions -----------------------------------------------------------------------------

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._busy = busy
        self.view.save.setEnabled(not busy and self._may_write)
        self.view.message.setText(message)

    def reload(self) -> None:
        """Read the record again (after someone else changed it), if typed changes may go."""
        if self.record is not None and self.is_dirty() and not self._confirm(
                self, "Reload the record", DISCARD_QUESTION):
            return
        self._set_busy(True, "Loading\u2026")
        self._calls.start("patient.load", patient_with_photo, patient_id=self.patient_id,
                          on_done=self._loaded, on_failed=self._load_failed)

    def _loaded(self, loaded: tuple[PatientRecord, bytes | None]) -> None:
        record, photo = loaded
        self.record = record
        view = self.view
        view.mrn.setText(record.mrn)
        self._fill(record.demographics, photo=photo)
        view.ssn.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        if record.ssn_last4:
            view.ssn.setPlaceholderText(f"\u2022\u2022\u2022-\u2022\u2022-{record.ssn_last4}")
            view.ssn.setToolTip("Type a new number to replace it, or Reveal to see it")
        view.reveal.setVisible(record.ssn_last4 is not None)
        view.reveal.setEnabled(True)
        view.show_banner("")
        self._set_busy(False)
        view.last_name.setFocus()

    def _load_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.view.save.setEnabled(False)
        self.view.show_banner(error_text(error, doing="open the patient"))

    def reveal_ssn(self) -> None:
        """Show the whole SSN (``patient.write``; audited as ``patient.ssn_reveal``)."""
        self.view.reveal.setEnabled(False)
        self._calls.start("patient.ssn_reveal", reveal_ssn, patient_id=self.patient_id,
                          on_done=self._revealed, on_failed=self._reveal_failed)

    def _revealed(self, ssn: str | None) -> None:
        view = self.view
        self._ssn_known = ssn or ""
        view.ssn.setEchoMode(QLineEdit.EchoMode.Normal)
        view.ssn.setText(self._ssn_known)
        view.reveal.hide()
        view.ssn.setFocus()

    def _reveal_failed(self, error: Exception) -> None:
        self.view.reveal.setEnabled(True)
        self.view.errors.set("ssn", error_text(error, doing="show the SSN"))

    def _mrn_manual_toggled(self, manual: bool) -> None:
        self.view.mrn.setEnabled(manual)
        self.view.mrn.setPlaceholderText("" if manual else "(assigned on save)")
        if manual:
            self.view.mrn.setFocus()
        else:
            self.view.mrn.clear()
            self.view.errors.set("mrn", "")

    def choose_photo(self) -> None:
        path = self._choose_file(self)
        if path is None:
            return
        self.view.choose_photo.setEnabled(False)
        self.view.errors.set("photo", "")
        self._calls.run("patient.photo.prepare", lambda: prepare_photo(path),
                        on_done=self._photo_ready, on_failed=self._photo_failed)

    def _photo_ready(self, photo: bytes) -> None:
        self.view.choose_photo.setEnabled(True)
        self._set_photo(photo, changed=True)

    def _photo_failed(self, error: Exception) -> None:
        self.view.choose_photo.setEnabled(True)
        self.view.errors.set("photo", error_text(error, doing="read the picture"))

    def remove_photo(self) -> None:
        self._set_photo(None, changed=True)

    def _set_photo(self, photo: bytes | None, *, changed: bool) -> None:
        self._photo = photo
        self._photo_changed = changed or self._photo_changed
        self.view.show_photo(thumbnail(photo, *PHOTO_SIZE))

    # -- saving ------------------------------------------------------------------------------

    def save(self) -> None:
        if self._busy or not self.view.save.isEnabled():
            return
        errors = self.problems()
        if errors:
            self._show_errors(errors)
            return
        self.view.show_banner("")
        self._save(check_duplicates=True)

    def _save(self, *, check_duplicates: bool) -> None:
        self._set_busy(True, "Saving\u2026")
        today = self._today()
        if self.record is None:
            mrn = self.view.mrn.text() if self.view.mrn_manual.isChecked() else None
            self._calls.start("patient.register", register_with_photo,
                              demographics=self.entered(), today=today, mrn=mrn,
                              photo=self._photo, check_duplicates=check_duplicates,
                              on_done=self._registered, on_failed=self._save_failed)
        else:
            self._calls.start("patient.update", update_with_photo, patient_id=self.record.id,
                              version=self.record.version, demographics=self.entered(),
                              today=today, photo=self._photo,
                              photo_changed=self._photo_changed,
                              on_done=self._saved, on_failed=self._save_failed)

    def _registered(self, result: PatientRecord | list[DuplicateCandidate]) -> None:
        if isinstance(result, PatientRecord):
            self._saved(result)
            return
        self._set_busy(False, "Check the possible duplicates.")
        self.duplicates = DuplicatesDialog(result, self)
        self.duplicates.sig_open_existing.connect(self._open_existing)
        self.duplicates.sig_register_new.connect(lambda: self._save(check_duplicates=False))
        self.duplicates.rejected.connect(self._back_to_form)
        self.duplicates.open()

    def _back_to_form(self) -> None:
        self.activateWindow()
        self.view.last_name.setFocus()

    def _open_existing(self, patient_id: uuid.UUID) -> None:
        self._workspace.open_patient(patient_id)
        super().reject()

    def _saved(self, record: PatientRecord) -> None:
        self.record = record
        self._set_busy(False, "Saved.")
        self._workspace.announce(Changed.PATIENTS)
        self._workspace.open_patient(record.id)
        self.accept()

    def _save_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, DemographicsInvalid):
            self._show_errors(error.errors)
        elif isinstance(error, MrnError):
            self._show_errors({"mrn": str(error)})
        elif isinstance(error, ValueError) and str(error).startswith("Photo:"):
            self._show_errors({"photo": str(error)})
        elif isinstance(error, StaleRecord):
            self.view.show_banner(str(error), reload=True)
            self.view.message.setText("Not saved; what you typed is still here.")
        else:
            self.view.show_banner(error_text(error, doing="save the patient"))
            self.view.message.setText("Not saved; what you typed is still here.")
