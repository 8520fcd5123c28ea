"""The Guarantor tab: who pays the patient's balance (statements go to them).

"Self" needs nothing more; anyone else needs at least a last name, and the address the
statements are mailed to. Saved with Ctrl+S (while the focus is in the tab); problems show at
their fields (``InsuranceInvalid.errors``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.insurance import (
    GuarantorDetails,
    GuarantorInput,
    get_guarantor,
    set_guarantor,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.registration_choices import US_STATE_NAMES
from medtrack_desktop.ui.patients.registration_view import (
    choice_combo,
    combo_code,
    editable_combo,
    set_combo_code,
)
from medtrack_desktop.ui.service_calls import PatientCalls, error_text, invalid_fields
from medtrack_desktop.ui.widgets.date_field import DateField, clinic_today, read_date
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.list_tab import tab_key
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Changed, Workspace

_TEXT = ("first_name", "last_name", "address_line1", "address_line2", "city", "postal_code",
         "phone")


class GuarantorView(QWidget):
    def __init__(self, *, today: Callable[[], date]) -> None:
        super().__init__()
        self.errors = FieldErrors()
        self.relation = choice_combo("guarantor_relation")
        self.relation.removeItem(0)  # "self" is the answer when nobody else pays
        self.lines = {
            "first_name": text_field(100), "last_name": text_field(100),
            "address_line1": text_field(200),
            "address_line2": text_field(200, "Apartment, suite, unit"), "city": text_field(100),
            "postal_code": text_field(20, "78701"), "phone": text_field(30, "(512) 555-0147"),
        }
        self.date_of_birth = DateField(today)
        self.state = editable_combo({code: f"{code} \u2013 {name}"
                                     for code, name in US_STATE_NAMES.items()})
        self.save = QPushButton("&Save guarantor")
        self.save.setToolTip("Save the guarantor (Ctrl+S)")
        self.save.setAutoDefault(False)
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Guarantor status")
        self.problem = QLabel(objectName="fieldError", wordWrap=True)
        self.problem.setAccessibleName("Guarantor problem")
        self.problem.hide()

        person, address = QFormLayout(), QFormLayout()
        for form, key, label, widget in (
            (person, "relation", "&Who pays:", self.relation),
            (person, "first_name", "&First name:", self.lines["first_name"]),
            (person, "last_name", "&Last name:", self.lines["last_name"]),
            (person, "date_of_birth", "Date of &birth:", self.date_of_birth),
            (person, "phone", "Phon&e:", self.lines["phone"]),
            (address, "address_line1", "&Address:", self.lines["address_line1"]),
            (address, "address_line2", "Address line &2:", self.lines["address_line2"]),
            (address, "city", "Cit&y:", self.lines["city"]),
            (address, "state", "S&tate:", self.state),
            (address, "postal_code", "&ZIP code:", self.lines["postal_code"]),
        ):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setSpacing(6)  # not the columns' spacing
            self.errors.add_row(form, key, label, widget)
        columns = QHBoxLayout()
        columns.setSpacing(28)
        columns.addLayout(person, 1)
        columns.addLayout(address, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(columns)
        layout.addWidget(self.problem)
        layout.addWidget(self.save, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def person_widgets(self) -> list[QWidget]:
        return [*self.lines.values(), self.date_of_birth, self.state]


class GuarantorTab(QObject):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self._workspace = workspace
        self._today = lambda: clinic_today(context.seat)
        self.view = GuarantorView(today=self._today)
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.calls = PatientCalls(context, actor, self.view)
        self._may_write = actor.can("patient.write")
        self.view.save.setVisible(self._may_write)
        self.view.save.clicked.connect(self.save)
        tab_key(self.view, "Ctrl+S", self.save)
        self.view.relation.currentIndexChanged.connect(self._relation_changed)
        self._relation_changed()

    def _relation_changed(self) -> None:
        other = self.view.relation.currentData() != "self"
        for widget in self.view.person_widgets():
            widget.setEnabled(other and self._may_write)
        self.view.relation.setEnabled(self._may_write)

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self._fill(None)
        self.view.status.setText("")

    def refresh(self) -> None:
        self.view.status.setText("Loading\u2026")
        self.calls.start("patient.guarantor", get_guarantor, on_done=self._loaded,
                         on_failed=self._failed)

    def _fill(self, guarantor: GuarantorDetails | None) -> None:
        view = self.view
        set_combo_code(view.relation, guarantor.relation if guarantor else "self")
        for key, edit in view.lines.items():
            edit.setText((getattr(guarantor, key) if guarantor else None) or "")
        view.date_of_birth.set_value(guarantor.date_of_birth if guarantor else None)
        set_combo_code(view.state, guarantor.state if guarantor else "")
        view.errors.clear()
        self._show_problem("")

    def _loaded(self, guarantor: GuarantorDetails | None) -> None:
        self._fill(guarantor)
        self.view.status.setText(
            "The patient pays their own balance." if guarantor is None or
            guarantor.relation == "self" else "Statements go to the guarantor below.")

    def _failed(self, error: Exception) -> None:
        self.view.status.setText("")
        self._show_problem(error_text(error, doing="load the guarantor"))

    def _show_problem(self, message: str) -> None:
        self.view.problem.setText(message)
        self.view.problem.setVisible(bool(message))

    def save(self) -> None:
        view = self.view
        if not self._may_write or not view.save.isEnabled() or self.calls.patient_id is None:
            return
        errors: dict[str, str] = {}
        born = read_date(view.date_of_birth, "date_of_birth", "Date of birth", errors)
        if errors:
            self._show_problem(" ".join(view.errors.show(errors).values()))
            return
        entered = GuarantorInput(relation=view.relation.currentData(), date_of_birth=born,
                                 state=combo_code(view.state),
                                 **{key: view.lines[key].text() for key in _TEXT})
        view.save.setEnabled(False)
        self.calls.start("patient.guarantor.save", set_guarantor, guarantor=entered,
                         on_done=self._saved, on_failed=self._refused)

    def _saved(self, _guarantor: GuarantorDetails) -> None:
        self.view.save.setEnabled(True)
        self._workspace.announce(Changed.PATIENTS)  # the summary reloads this tab

    def _refused(self, error: Exception) -> None:
        self.view.save.setEnabled(True)
        if (errors := invalid_fields(error)) is not None:
            self._show_problem(" ".join(self.view.errors.show(errors).values()))
        else:
            self._show_problem(error_text(error, doing="save the guarantor"))
