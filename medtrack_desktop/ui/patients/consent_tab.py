"""The Consent tab: what the patient consented to (treatment, disclosing their health
information to someone), when, until when, and withdrawals.

A consent is never edited away: Insert records a new one, Delete (or "Withdraw…") records
that the patient withdrew the selected one, with the day and their reason. Problems show at
their fields (``ConsentInvalid.errors``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QPushButton, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.consent import (
    Consent,
    consents,
    record_consent,
    withdraw_consent,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.patient_rows import ConsentsTableModel
from medtrack_desktop.ui.patients.registration_view import choice_combo
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.date_field import DateField, clinic_today, read_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog, ListTabView, tab_key
from medtrack_desktop.ui.workspace import Changed, Workspace


def _text_area(lines: int) -> QPlainTextEdit:
    area = QPlainTextEdit()
    area.setTabChangesFocus(True)
    area.setFixedHeight(area.fontMetrics().lineSpacing() * lines + 12)
    return area


class ConsentDialog(FormDialog):
    def __init__(self, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__("Record consent", "Record consent", parent)
        self.kind = choice_combo("consent_kind", blank="Choose\u2026")
        self.granted_on = DateField(today)
        self.expires_on = DateField(today, two_digit_future=True)
        self.disclosure_to = QLineEdit(placeholderText="Who may receive the information")
        self.disclosure_to.setMaxLength(200)
        self.note = _text_area(3)
        for key, label, widget in (("kind", "&Consent to:", self.kind),
                                   ("granted_on", "&Given on:", self.granted_on),
                                   ("expires_on", "&Expires:", self.expires_on),
                                   ("disclosure_to", "&Disclose to:", self.disclosure_to),
                                   ("note", "&Note:", self.note)):
            self.add_row(key, label, widget)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        self.disclosure_to.setEnabled(self.kind.currentData() == "phi_disclosure")


class WithdrawDialog(FormDialog):
    def __init__(self, consent: Consent, today: Callable[[], date],
                 parent: QWidget | None = None) -> None:
        super().__init__("Withdraw consent", "Record withdrawal", parent)
        self.consent = consent
        self.withdrawn_on = DateField(today)
        self.reason = _text_area(3)
        self.reason.setPlaceholderText("As the patient put it")
        self.add_row("withdrawn_on", "&Withdrawn on:", self.withdrawn_on)
        self.add_row("withdrawal_reason", "&Reason:", self.reason)


class ConsentTab(QObject):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self._workspace = workspace
        self._today = lambda: clinic_today(context.seat)
        self.model = ConsentsTableModel(today=self._today)
        self.record = QPushButton("Record &consent\u2026")
        self.withdraw = QPushButton("&Withdraw\u2026")
        self.view = ListTabView("Consents", [self.record, self.withdraw])
        self.view.table.setModel(self.model)
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.model.setParent(self.view)
        self.calls = PatientCalls(context, actor, self.view)
        self.dialog: FormDialog | None = None
        self._may_write = actor.can("patient.write")
        for button, key, tip in (
            (self.record, "Ins", "Record a consent the patient gave (Insert)"),
            (self.withdraw, "Del", "Record that the patient withdrew the selected consent "
                                   "(Delete)"),
        ):
            button.setToolTip(tip)
            button.setVisible(self._may_write)
            tab_key(self.view, key, button.click)
        self.record.clicked.connect(self.record_consent)
        self.withdraw.clicked.connect(self.withdraw_consent)
        self.view.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self.model.set_rows([])
        self.view.status.setText("")
        self.view.show_error("")

    def refresh(self) -> None:
        self.view.status.setText("Loading\u2026")
        self.calls.start("patient.consents", consents, on_done=self._loaded,
                         on_failed=lambda error: self.view.show_error(
                             error_text(error, doing="load the consents")))

    def _loaded(self, rows: list[Consent]) -> None:
        self.model.set_rows(rows)
        today = self._today()
        treated = any(row.kind == "treatment" and row.in_force(today) for row in rows)
        recorded = (f"{len(rows)} consent{'' if len(rows) == 1 else 's'} recorded" if rows
                    else "No consent recorded")
        self.view.status.setText(
            recorded + ("" if treated else " \u00b7 no consent to treatment in force"))
        if rows:
            self.view.table.selectRow(0)

    def selected(self) -> Consent | None:
        return self.model.row_at(self.view.table.currentIndex().row())

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.record.setEnabled(self._may_write)
        self.withdraw.setEnabled(self._may_write and chosen is not None
                                 and chosen.withdrawn_on is None)

    def _open(self, dialog: FormDialog, submit: Callable[[], None]) -> None:
        dialog.sig_submit.connect(submit)
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def record_consent(self) -> None:
        if not self.record.isEnabled():
            return
        dialog = ConsentDialog(self._today, self.view)
        dialog.granted_on.set_value(self._today())
        self._open(dialog, lambda: self._submit_consent(dialog))
        dialog.kind.setFocus()

    def _submit_consent(self, dialog: ConsentDialog) -> None:
        errors: dict[str, str] = {}
        granted = read_date(dialog.granted_on, "granted_on", "Given on", errors)
        expires = read_date(dialog.expires_on, "expires_on", "Expires", errors)
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("patient.consent.record", record_consent,
                         kind=dialog.kind.currentData() or "", granted_on=granted,
                         expires_on=expires, today=self._today(),
                         disclosure_to=(dialog.disclosure_to.text()
                                        if dialog.disclosure_to.isEnabled() else ""),
                         note=dialog.note.toPlainText(),
                         on_done=lambda _c: self._saved(dialog),
                         on_failed=lambda error: dialog.refused(error, doing="save the consent"))

    def withdraw_consent(self) -> None:
        consent = self.selected()
        if consent is None or not self.withdraw.isEnabled():
            return
        dialog = WithdrawDialog(consent, self._today, self.view)
        dialog.withdrawn_on.set_value(self._today())
        self._open(dialog, lambda: self._submit_withdrawal(dialog))
        dialog.reason.setFocus()

    def _submit_withdrawal(self, dialog: WithdrawDialog) -> None:
        errors: dict[str, str] = {}
        withdrawn = read_date(dialog.withdrawn_on, "withdrawn_on", "Withdrawn on", errors)
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("patient.consent.withdraw", withdraw_consent,
                         consent_id=dialog.consent.id, withdrawn_on=withdrawn,
                         reason=dialog.reason.toPlainText(), today=self._today(),
                         on_done=lambda _c: self._saved(dialog),
                         on_failed=lambda error: dialog.refused(error, doing="save the consent"))

    def _saved(self, dialog: FormDialog) -> None:
        dialog.accept()
        self._workspace.announce(Changed.PATIENTS)  # the summary reloads this tab

