"""The Allergies tab: allergies and intolerances, and whether anybody asked.

Above the list a line says the allergy status in words, as the banner decides it: "Allergies
not recorded" (nobody asked, or the last active allergy was removed), "No known allergies
(recorded …)", or the number of active allergies. "No known allergies" is a finding, so it is
confirmed before it is recorded, and it is refused while an active allergy is listed (the
button is disabled then, and the service's refusal is shown should the list be out of date).

Keyboard: Insert adds an allergy, Enter or F2 changes the selected one, Delete takes it off the
list as entered in error (confirmed; the record keeps it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.allergies import (
    AllergyEntry,
    AllergyInput,
    AllergyStatus,
    allergies,
    allergy_status,
    record_no_known_allergies,
    remove_allergy,
    save_allergy,
)
from medtrack_desktop.domain.chart.models import (
    ALLERGEN_TYPES,
    ALLERGY_SEVERITIES,
    ALLERGY_STATUSES,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_lists import ChartListTab, plural, set_code
from medtrack_desktop.ui.chart.chart_tab_parts import code_combo, code_label, day, text_area
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.widgets.date_field import DateField, read_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Workspace

NKA_TIP = "Record that the patient was asked and has no known allergies"
NKA_REFUSED = ("Not while an active allergy is listed: mark each one resolved, inactive or "
               "entered in error first.")


class AllergiesModel(RowsTableModel[AllergyEntry]):
    def __init__(self) -> None:
        super().__init__((
            Column("Allergen", lambda a: a.allergen, lambda a: a.notes or ""),
            Column("Type", lambda a: code_label(a.allergen_type)),
            Column("Reaction", lambda a: a.reaction or "", lambda a: a.reaction or ""),
            Column("Severity", lambda a: code_label(a.severity) if a.severity else "Not known"),
            Column("Status", lambda a: code_label(a.status)),
            Column("Onset", lambda a: day(a.onset_on)),
        ))


def status_words(status: AllergyStatus | None, zone: ZoneInfo) -> str:
    """The allergy status as the banner decides it, in words."""
    if status is None:
        return ""
    if status.state == "allergies":
        return plural(len(status.allergies), "active allergy", "active allergies")
    if status.state == "no_known_allergies" and status.reviewed_at is not None:
        return f"No known allergies (recorded {status.reviewed_at.astimezone(zone):%Y-%m-%d %H:%M})"
    if status.state == "no_known_allergies":
        return "No known allergies"
    return "Allergies not recorded"


def allergies_and_status(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> tuple[list[AllergyEntry], AllergyStatus]:
    """The list and its status read in one unit of work, so the two always agree."""
    return (allergies(session, actor, patient_id=patient_id),
            allergy_status(session, actor, patient_id=patient_id))


class AllergyDialog(FormDialog):
    def __init__(self, today: Callable[[], date], title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, "Save allergy", parent)
        self.allergen = text_field(200, "the drug, food or substance: penicillin, peanuts")
        self.allergen_type = code_combo(ALLERGEN_TYPES)
        self.reaction = text_field(300, "hives, anaphylaxis, nausea")
        self.severity = code_combo(ALLERGY_SEVERITIES, blank="Not known")
        self.status = code_combo(ALLERGY_STATUSES)
        self.onset_on = DateField(today)
        self.notes = text_area(3)
        for key, caption, widget in (
            ("allergen", "A&llergen:", self.allergen),
            ("allergen_type", "&Type:", self.allergen_type),
            ("reaction", "&Reaction:", self.reaction),
            ("severity", "Se&verity:", self.severity),
            ("status", "&Status:", self.status),
            ("onset_on", "&Onset:", self.onset_on),
            ("notes", "&Notes:", self.notes),
        ):
            self.add_row(key, caption, widget)

    def fill(self, allergy: AllergyEntry) -> None:
        self.allergen.setText(allergy.allergen)
        set_code(self.allergen_type, allergy.allergen_type)
        self.reaction.setText(allergy.reaction or "")
        set_code(self.severity, allergy.severity)
        set_code(self.status, allergy.status)
        self.onset_on.set_value(allergy.onset_on)
        self.notes.setPlainText(allergy.notes or "")

    def entered(self) -> tuple[AllergyInput, dict[str, str]]:
        errors: dict[str, str] = {}
        onset = read_date(self.onset_on, "onset_on", "Onset", errors)
        return AllergyInput(
            allergen=self.allergen.text(), allergen_type=self.allergen_type.currentData(),
            reaction=self.reaction.text(), severity=self.severity.currentData(),
            onset_on=onset, status=self.status.currentData(), notes=self.notes.toPlainText(),
        ), errors


class AllergiesTab(ChartListTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        add = QPushButton("&Add allergy\u2026")
        change = QPushButton("C&hange allergy\u2026")
        remove = QPushButton("Re&move\u2026")
        nka = QPushButton("&No known allergies")
        super().__init__(context, actor, workspace, name="Allergies", model=AllergiesModel(),
                         buttons=[add, change, remove, nka], confirm=confirm)
        self.add, self.change, self.remove, self.nka = add, change, remove, nka
        self.write_button(add, "Ins", "Add an allergy or intolerance (Insert)", self.add_allergy)
        self.write_button(change, "F2", "Change the selected allergy (Enter or F2)",
                          self.change_allergy)
        self.write_button(remove, "Del", "Take the selected allergy off the list, entered in "
                                         "error (Delete)", self.remove_allergy)
        nka.setVisible(self.may_write)
        nka.clicked.connect(self.record_nka)
        self.allergy_status: AllergyStatus | None = None
        self.headline = QLabel(objectName="sectionTitle")
        self.headline.setAccessibleName("Allergy status")
        self.list.layout().insertWidget(0, self.headline)
        self.list.table.activated.connect(lambda _index: self.change.click())
        self.stretch_column(2)  # the reaction
        self.update_buttons()

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.allergy_status = None
        self.headline.setText("")
        super().set_patient(patient_id)

    def load(self) -> None:
        self.calls.start("chart.allergies", allergies_and_status, on_done=self._loaded,
                         on_failed=self.failed("load the allergies"))

    def _loaded(self, loaded: tuple[list[AllergyEntry], AllergyStatus]) -> None:
        rows, self.allergy_status = loaded
        self.headline.setText(status_words(self.allergy_status, self.zone))
        past = len(rows) - len(self.allergy_status.allergies)
        self.show_rows(rows, f"Also listed: {plural(past, 'past allergy', 'past allergies')} "
                             "(resolved or inactive)" if past else "")
        self.update_buttons()

    def update_buttons(self) -> None:
        chosen = self.selected() is not None
        known = self.allergy_status is not None
        active = known and bool(self.allergy_status.allergies)
        self.add.setEnabled(self.may_write and known)
        self.change.setEnabled(self.may_write and chosen)
        self.remove.setEnabled(self.may_write and chosen)
        self.nka.setEnabled(self.may_write and known and not active)
        self.nka.setToolTip(NKA_REFUSED if active else NKA_TIP)

    # -- changes ------------------------------------------------------------------------------

    def add_allergy(self) -> None:
        if self.add.isEnabled():
            self._open_form(None)

    def change_allergy(self) -> None:
        if self.change.isEnabled() and (allergy := self.selected()) is not None:
            self._open_form(allergy)

    def _open_form(self, allergy: AllergyEntry | None) -> None:
        dialog = AllergyDialog(self.today, "New allergy" if allergy is None
                               else f"Allergy to {allergy.allergen}", self.list)
        if allergy is not None:
            dialog.fill(allergy)
        self.open_form(dialog, lambda: self._submit(dialog, allergy),
                       dialog.allergen if allergy is None else dialog.reaction)

    def _submit(self, dialog: AllergyDialog, allergy: AllergyEntry | None) -> None:
        entered, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("chart.allergy.save", save_allergy, allergy=entered, today=self.today(),
                         allergy_id=None if allergy is None else allergy.id,
                         version=None if allergy is None else allergy.version,
                         on_done=lambda _saved: self.saved(dialog),
                         on_failed=self.refused(dialog, doing="save the allergy"))

    def remove_allergy(self) -> None:
        allergy: AllergyEntry | None = self.selected()
        if allergy is None or not self.remove.isEnabled():
            return
        self.remove_entry(
            title="Remove allergy",
            question=f"Take the allergy to \u201c{allergy.allergen}\u201d off the list as "
                     "entered in error? It stays in the record as removed.",
            name="chart.allergy.remove", service=remove_allergy, doing="remove the allergy",
            allergy_id=allergy.id, version=allergy.version)

    def record_nka(self) -> None:
        if not self.nka.isEnabled() or not self._confirm(
            self.view, "No known allergies",
            "Record that you asked the patient and they have no known allergies (drugs, "
            "foods, anything else)?",
        ):
            return
        self.list.show_error("")
        self.calls.start("chart.allergy.nka", record_no_known_allergies,
                         on_done=lambda _status: self.saved(),
                         on_failed=self.failed("record no known allergies", reload=True))
