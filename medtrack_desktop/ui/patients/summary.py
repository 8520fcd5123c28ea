"""The patient summary: the patient open in the workspace — who they are, how to reach them,
how long the record is kept — and tabs for the demographic history, insurance, consent, the
guarantor and (for privacy officers) the record's restriction.

The header is drawn at once from the opened record's header; the full demographics follow
from one read (audited). A tab reads its data the first time it is shown for a patient, so
only what someone looks at is read, and audited as read. Any ``Changed.PATIENTS`` notice
(this window's edits included) reloads what is on screen.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.domain.patients.registry import PatientRecord
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.patient_rows import day
from medtrack_desktop.ui.patients.consent_tab import ConsentTab
from medtrack_desktop.ui.patients.guarantor_tab import GuarantorTab
from medtrack_desktop.ui.patients.insurance_tab import InsuranceTab
from medtrack_desktop.ui.patients.privacy_tab import PrivacyTab
from medtrack_desktop.ui.patients.registration import RegistrationDialog, patient_with_photo
from medtrack_desktop.ui.patients.registration_choices import choice_label, language_label
from medtrack_desktop.ui.patients.summary_history import HistoryTab
from medtrack_desktop.ui.patients.summary_tab import PatientTab
from medtrack_desktop.ui.patients.summary_view import SUMMARY_PHOTO_SIZE, SummaryView
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.widgets.patient_bar import age_text
from medtrack_desktop.ui.widgets.thumbnail import thumbnail
from medtrack_desktop.ui.workspace import Changed, Workspace


def _address(record: PatientRecord) -> str:
    d = record.demographics
    place = " ".join(part for part in (f"{d.city}," if d.city else "", d.state, d.postal_code)
                     if part).rstrip(",")
    lines = [d.address_line1, d.address_line2, place,
             "" if d.country == "US" else d.country]
    return "\n".join(line for line in lines if line)


def _emergency(record: PatientRecord) -> str:
    d = record.demographics
    who = d.emergency_contact_name
    if who and d.emergency_contact_relation:
        who = f"{who} ({d.emergency_contact_relation})"
    return "\n".join(part for part in (who, d.emergency_contact_phone) if part)


class PatientSummary(QWidget):
    """Shows ``workspace.patient``; ``tabs`` are the tab controllers in their order."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self._context, self._actor, self._workspace = context, actor, workspace
        self.view = SummaryView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.calls = PatientCalls(context, actor, self)
        self.record: PatientRecord | None = None
        self.dialog: RegistrationDialog | None = None
        self.history = HistoryTab(context, actor)
        self.insurance = InsuranceTab(context, actor, workspace)
        self.consent = ConsentTab(context, actor, workspace)
        self.guarantor = GuarantorTab(context, actor, workspace)
        self.privacy = PrivacyTab(context, actor, workspace) if actor.can("privacy.admin") \
            else None
        self.tabs: list[PatientTab] = []
        for tab, title in ((self.history, "&History"), (self.insurance, "&Insurance"),
                           (self.consent, "C&onsent"), (self.guarantor, "&Guarantor"),
                           (self.privacy, "Pri&vacy")):
            if tab is not None:
                self.tabs.append(tab)
                self.view.tabs.addTab(tab.view, title)
        self._shown_tabs: set[int] = set()

        self.view.edit.setEnabled(False)
        self.view.edit.clicked.connect(self.edit_demographics)
        self.view.tabs.currentChanged.connect(self._tab_shown)
        workspace.sig_patient_changed.connect(self.show_patient)
        workspace.sig_changed.connect(self._changed)
        self.show_patient(workspace.patient)

    def _today(self) -> date:
        return clinic_today(self._context.seat)

    # -- the open patient --------------------------------------------------------------------

    def show_patient(self, header: PatientHeader | None) -> None:
        self.record = None
        self.calls.patient_id = header.id if header is not None else None
        for tab in self.tabs:
            tab.set_patient(self.calls.patient_id)
        self.view.edit.setEnabled(False)
        if header is None:
            self.view.show_empty()
            return
        view = self.view
        view.name.setText(header.display_name)
        view.preferred.setText("")
        view.facts.setText(self._facts(header.date_of_birth, header.sex, header.mrn, None))
        view.set_flags(restricted=header.restricted, deceased=None, inactive=False)
        view.show_photo(None)
        for key in view.values:
            view.set_value(key, None)
        view.show_content()
        self.refresh()

    def refresh(self) -> None:
        """Read the record again, and the tab on screen."""
        if self.calls.patient_id is None:
            return
        self.view.show_status("")
        self.calls.start("patient.summary", patient_with_photo, on_done=self._loaded,
                         on_failed=self._failed)
        self._shown_tabs.clear()
        self._tab_shown(self.view.tabs.currentIndex())

    def _changed(self, changed: Changed) -> None:
        if Changed.PATIENTS in changed:
            self.refresh()

    def _tab_shown(self, index: int) -> None:
        if index < 0 or index in self._shown_tabs or self.calls.patient_id is None:
            return
        self._shown_tabs.add(index)
        self.tabs[index].refresh()

    def _facts(self, born: date, sex: str, mrn: str, died: date | None) -> str:
        age = age_text(born, died or self._today())
        return (f"{age}{' at death' if died else ''} \u00b7 {choice_label('sex', sex)} \u00b7 "
                f"DOB {day(born)} \u00b7 MRN {mrn}")

    def _loaded(self, loaded: tuple[PatientRecord, bytes | None]) -> None:
        record, photo = loaded
        self.record = record
        d = record.demographics
        view = self.view
        view.name.setText(record.display_name)
        view.preferred.setText(f"\u201c{d.preferred_name}\u201d" if d.preferred_name else "")
        assert d.date_of_birth is not None  # required of every record
        view.facts.setText(self._facts(d.date_of_birth, d.sex, record.mrn, d.deceased_on))
        view.set_flags(restricted=record.restricted,
                       deceased=(f"Deceased {day(d.deceased_on)}".strip() if d.deceased
                                 else None),
                       inactive=not d.active)
        view.show_photo(thumbnail(photo, *SUMMARY_PHOTO_SIZE))
        values = {
            "address": _address(record),
            "phone_home": d.phone_home, "phone_mobile": d.phone_mobile,
            "phone_work": d.phone_work, "email": d.email,
            "emergency": _emergency(record), "employer_name": d.employer_name,
            "preferred_language": language_label(d.preferred_language),
            "marital_status": choice_label("marital_status", d.marital_status),
            "ssn": f"\u2022\u2022\u2022-\u2022\u2022-{record.ssn_last4}"
                   if record.ssn_last4 else None,
            "gender_identity": choice_label("gender_identity", d.gender_identity),
            "race": choice_label("race", d.race),
            "ethnicity": choice_label("ethnicity", d.ethnicity),
            "retention": day(record.retention_until),
            "notes": d.notes,
        }
        for key, text in values.items():
            view.set_value(key, text)
        view.edit.setEnabled(self._actor.can("patient.write"))

    def _failed(self, error: Exception) -> None:
        self.view.show_status(error_text(error, doing="load the patient"))

    # -- editing -----------------------------------------------------------------------------

    def edit_demographics(self) -> None:
        """The registration form on this patient; saving it reloads the summary."""
        if self.record is None or not self._actor.can("patient.write"):
            return
        self.dialog = RegistrationDialog(self._context, self._actor, self._workspace,
                                         patient_id=self.record.id, parent=self)
        self.dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog.open()
