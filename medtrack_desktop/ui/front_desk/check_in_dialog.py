"""Checking a patient in: the desk confirms the address and phone and the insurance card with the
patient, and records the copay taken, then the appointment is arrived.

The patient's demographics and policies are read from the registry (each an audited PHI read)
while the clerk talks to the patient; the check-in itself is ``front_desk.check_in`` on the task
runner. A refusal is said at its field (a box not ticked, a copay such as "12.345"), anything
else above the buttons; nothing typed or ticked is lost.

Keys: Alt+D / Alt+I tick the demographics / insurance box, Alt+C the copay, Enter checks in,
Escape closes without checking in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.insurance import Policy, policies
from medtrack_desktop.domain.patients.registry import PatientRecord, StaleRecord, get_patient
from medtrack_desktop.domain.scheduling.appointments import AppointmentEntry, AppointmentNotFound
from medtrack_desktop.domain.scheduling.front_desk import FlowRow, check_in
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.field_errors import FieldErrors

STALE = ("Someone changed this appointment meanwhile; it was read again. Check the details "
         "and press Check in again.")


def address_text(person: Demographics) -> str:
    """The postal address on one line, or "" when none is on file."""
    place = " ".join(part for part in (person.state, person.postal_code) if part)
    parts = (person.address_line1, person.address_line2, person.city, place,
             person.country if person.country not in ("", "US") else "")
    return ", ".join(part for part in parts if part)


def phones_text(person: Demographics) -> str:
    """The phone numbers on file, each named ("mobile (555) 010-2000 · home …"), or ""."""
    return " \u00b7 ".join(f"{kind} {number}" for kind, number in (
        ("mobile", person.phone_mobile), ("home", person.phone_home),
        ("work", person.phone_work)) if number)


def policy_text(policy: Policy, today: date) -> str:
    """One policy as the desk compares it with the card: the payer, then its numbers."""
    parts = [f"member {policy.member_id}"]
    if policy.group_number:
        parts.append(f"group {policy.group_number}")
    if policy.plan_name:
        parts.append(policy.plan_name)
    if policy.copay is not None:
        parts.append(f"copay {policy.copay:.2f}")
    if not policy.in_force(today):
        parts.append("NOT IN FORCE today" + (f" (expired {policy.expires_on:%m/%d/%Y})"
                                             if policy.expires_on and policy.expires_on < today
                                             else ""))
    return f"{policy.rank.capitalize()}: {policy.company_name}\n" + " \u00b7 ".join(parts)


def _value_label(name: str) -> QLabel:
    label = QLabel("Reading\u2026", wordWrap=True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class CheckInDialog(QDialog):
    """Checks in the patient of ``row`` (a flow board row); ``sig_checked_in(AppointmentEntry)``
    before it closes, ``sig_stale()`` when the appointment had changed meanwhile (the board
    reads it again and hands the fresh row over with ``set_row``)."""

    sig_checked_in = Signal(object)
    sig_stale = Signal()

    def __init__(self, context: AppContext, actor: Actor, row: FlowRow, *,
                 now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check in")
        self.row = row
        self._now = now
        self._zone = ZoneInfo(context.seat.clinic_timezone)
        self._calls = ServiceCaller(context, actor, self)
        self.record: PatientRecord | None = None
        self.policies: list[Policy] | None = None
        self.errors = FieldErrors()

        starts = row.starts_at.astimezone(self._zone)
        self.who = QLabel(f"{row.patient_name} (MRN {row.mrn})", objectName="sectionTitle",
                          wordWrap=True)
        self.who.setAccessibleName("Patient")
        visit = QLabel(f"{starts:%a %m/%d/%Y %H:%M} \u00b7 {row.provider_name} \u00b7 "
                       f"{row.category}" + (f" \u00b7 {row.room}" if row.room else ""),
                       objectName="muted", wordWrap=True)
        visit.setAccessibleName("Appointment")

        self.born = _value_label("Date of birth")
        self.address = _value_label("Address")
        self.phones = _value_label("Phone")
        self.email = _value_label("Email")
        self.demographics = QCheckBox("&Demographics confirmed with the patient")
        self.demographics.setAccessibleName("Demographics confirmed")
        demographics = QFormLayout()
        demographics.addRow("Date of birth:", self.born)
        demographics.addRow("Address:", self.address)
        demographics.addRow("Phone:", self.phones)
        demographics.addRow("Email:", self.email)
        demographics.addRow(self.errors.add("demographics", self.demographics))

        self.insurance_lines = _value_label("Insurance on file")
        self.insurance = QCheckBox("&Insurance card checked (or none)")
        self.insurance.setAccessibleName("Insurance checked")
        insurance = QFormLayout()
        insurance.addRow("On file:", self.insurance_lines)
        insurance.addRow(self.errors.add("insurance", self.insurance))

        self.copay = QLineEdit(maxLength=12)
        self.copay.setPlaceholderText("e.g. 25.00; empty for none")
        self.copay.setAccessibleName("Copay collected")
        self.copay_hint = QLabel(objectName="muted", wordWrap=True)
        self.copay_hint.setAccessibleName("Copay on the card")
        self.copay_hint.hide()
        payment = QFormLayout()
        self.errors.add_row(payment, "copay", "&Copay collected:", self.copay)
        payment.addRow("", self.copay_hint)

        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Check-in message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        buttons = QDialogButtonBox()
        self.check_in_button = buttons.addButton("Check in",
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.check_in_button.setDefault(True)
        self.check_in_button.setToolTip("Check the patient in (Enter)")
        close = buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        close.setToolTip("Close without checking in (Escape)")
        close.setAutoDefault(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.who)
        layout.addWidget(visit)
        for title, section in (("Demographics", demographics), ("Insurance", insurance),
                               ("Payment", payment)):
            layout.addSpacing(4)
            layout.addWidget(QLabel(title, objectName="sectionTitle"))
            layout.addLayout(section)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.demographics.setFocus()
        self._read(row)

    # -- what the registry has ---------------------------------------------------------------

    def _read(self, row: FlowRow) -> None:
        self._calls.start("patient.details", get_patient, on_done=self._show_record,
                          on_failed=self._record_failed, patient_id=row.patient_id)
        self._calls.start("patient.insurance", policies, on_done=self._show_policies,
                          on_failed=self._policies_failed, patient_id=row.patient_id)

    def _show_record(self, record: PatientRecord) -> None:
        self.record = record
        person = record.demographics
        self.born.setText(f"{person.date_of_birth:%m/%d/%Y}" if person.date_of_birth else "")
        self.address.setText(address_text(person) or "No address on file \u2014 ask for it.")
        self.phones.setText(phones_text(person) or "No phone on file \u2014 ask for one.")
        self.email.setText(person.email or "None on file.")
        self.adjustSize()  # the lines read may be longer than "Reading…"

    def _record_failed(self, error: Exception) -> None:
        text = error_text(error, doing="read the patient's details")
        for label in (self.born, self.address, self.phones, self.email):
            label.setText("")
        self.address.setText(text)

    def _show_policies(self, found: list[Policy]) -> None:
        self.policies = found
        today = self._now().astimezone(self._zone).date()
        self.insurance_lines.setText("\n".join(policy_text(p, today) for p in found)
                                     or "No insurance on file (self-pay).")
        card = next((p for p in found if p.copay is not None and p.in_force(today)), None)
        self.copay_hint.setText(f"The {card.rank} card's copay is {card.copay:.2f}."
                                if card is not None else "")
        self.copay_hint.setVisible(card is not None)
        self.adjustSize()

    def _policies_failed(self, error: Exception) -> None:
        self.insurance_lines.setText(error_text(error, doing="read the patient's insurance"))

    # -- checking in -------------------------------------------------------------------------

    def set_row(self, row: FlowRow) -> None:
        """The appointment as read again after it changed meanwhile (what is ticked and typed
        stays)."""
        self.row = row

    def submit(self) -> None:
        if not self.check_in_button.isEnabled():
            return  # already on its way
        self.errors.clear()
        self._say("")
        self.check_in_button.setEnabled(False)
        self._calls.start("schedule.check_in", check_in, on_done=self._checked_in,
                          on_failed=self._refused, appointment_id=self.row.appointment_id,
                          version=self.row.version,
                          demographics_confirmed=self.demographics.isChecked(),
                          insurance_confirmed=self.insurance.isChecked(),
                          copay=self.copay.text(), now=self._now())

    def _checked_in(self, entry: AppointmentEntry) -> None:
        self.sig_checked_in.emit(entry)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.check_in_button.setEnabled(True)
        fields = invalid_fields(error)
        if fields is not None:
            rest = self.errors.show(fields)
            self._say(" ".join(rest.values()))
        elif isinstance(error, StaleRecord):
            self._say(STALE)
            self.sig_stale.emit()
        elif isinstance(error, AppointmentNotFound):
            self._say(str(error))
        else:
            self._say(error_text(error, doing="check the patient in"))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
