"""The Immunizations tab: the doses the patient was given, newest first, coded in CVX.

Keyboard: Insert records a dose, Delete removes the selected one as entered in error (after a
yes/no question; it stays in the record as removed). The vaccine is picked from the CVX list
by typing any part of its name (or its code); only listed vaccines can be recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QPushButton, QWidget
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.encounters import Provider, providers
from medtrack_desktop.domain.chart.immunizations import (
    ImmunizationEntry,
    ImmunizationInput,
    Vaccine,
    immunizations,
    record_immunization,
    remove_immunization,
    vaccines,
)
from medtrack_desktop.domain.chart.models import IMMUNIZATION_ROUTES, IMMUNIZATION_SITES
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_tab_parts import (
    ChartTab,
    StaffOrName,
    code_combo,
    code_label,
    day,
    text_area,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.widgets.date_field import DateField, read_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Workspace


def _label(code: str | None) -> str:
    return "" if not code else code_label(code)


class ImmunizationsModel(RowsTableModel[ImmunizationEntry]):
    def __init__(self) -> None:
        super().__init__((
            Column("Date given", lambda i: day(i.administered_on)),
            Column("Vaccine", lambda i: i.vaccine, lambda i: f"CVX {i.cvx_code}"),
            Column("CVX", lambda i: i.cvx_code),
            Column("Lot", lambda i: i.lot_number or ""),
            Column("Manufacturer", lambda i: i.manufacturer or ""),
            Column("Route", lambda i: _label(i.route)),
            Column("Site", lambda i: _label(i.site)),
            Column("Given by", lambda i: i.administered_by or "", lambda i: i.notes or ""),
        ))


def vaccine_text(vaccine: Vaccine) -> str:
    return f"{vaccine.name} (CVX {vaccine.cvx})"


class VaccinePicker(QComboBox):
    """The CVX vaccines; typing any part of a name (or a code) narrows the list shown under
    the field. What is read is the chosen vaccine's code, or what was typed (the service
    refuses a vaccine that is not on the list)."""

    def __init__(self) -> None:
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.lineEdit().setPlaceholderText("Type part of the name, e.g. tdap or influenza")
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)

    def set_vaccines(self, found: list[Vaccine]) -> None:
        self.clear()
        for vaccine in found:
            self.addItem(vaccine_text(vaccine), vaccine.cvx)
        self.setCurrentIndex(-1)
        self.setEditText("")

    def cvx(self) -> str:
        text = self.currentText().strip()
        index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        return self.itemData(index) if index >= 0 else text


class ImmunizationDialog(FormDialog):
    def __init__(self, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__("Record immunization", "Record immunization", parent)
        self.vaccine = VaccinePicker()
        self.given_on = DateField(today)
        self.lot = text_field(40)
        self.manufacturer = text_field(100)
        self.route = code_combo(IMMUNIZATION_ROUTES, blank="")
        self.site = code_combo(IMMUNIZATION_SITES, blank="")
        self.given_by = StaffOrName()
        self.notes = text_area(2)
        for key, label, widget in (("cvx_code", "&Vaccine:", self.vaccine),
                                   ("administered_on", "&Date given:", self.given_on),
                                   ("lot_number", "&Lot number:", self.lot),
                                   ("manufacturer", "&Manufacturer:", self.manufacturer),
                                   ("route", "&Route:", self.route),
                                   ("site", "&Site:", self.site),
                                   ("administered_by", "&Given by:", self.given_by),
                                   ("notes", "&Notes:", self.notes)):
            self.add_row(key, label, widget)

    def entered(self) -> tuple[ImmunizationInput, dict[str, str]]:
        errors: dict[str, str] = {}
        given = read_date(self.given_on, "administered_on", "Date given", errors)
        given_by_id, given_by = self.given_by.chosen()
        return ImmunizationInput(
            cvx_code=self.vaccine.cvx(), administered_on=given, lot_number=self.lot.text(),
            manufacturer=self.manufacturer.text(), route=self.route.currentData(),
            site=self.site.currentData(), administered_by_id=given_by_id,
            administered_by=given_by, notes=self.notes.toPlainText()), errors


def immunization_choices(session: Session, actor: Actor) -> tuple[list[Vaccine], list[Provider]]:
    """What the form offers: the vaccines and who may have given the dose."""
    return vaccines(), providers(session, actor)


class ImmunizationsTab(ChartTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        record = QPushButton("&Record immunization\u2026")
        remove = QPushButton("Re&move\u2026")
        super().__init__(context, actor, workspace, name="Immunizations",
                         model=ImmunizationsModel(), buttons=[record, remove], confirm=confirm)
        self.record, self.remove = record, remove
        self.write_button(record, "Ins", "Record a dose the patient was given (Insert)",
                          self.record_immunization)
        self.write_button(remove, "Del", "Remove the selected dose, entered in error (Delete)",
                          self.remove_immunization)
        self.update_buttons()

    def load(self) -> None:
        self.calls.start("chart.immunizations", immunizations, on_done=self._loaded,
                         on_failed=self.failed("load the immunizations"))

    def _loaded(self, rows: list[ImmunizationEntry]) -> None:
        self.show_rows(rows, f"{len(rows)} dose{'' if len(rows) == 1 else 's'} recorded" if rows
                       else "No immunizations recorded")

    def update_buttons(self) -> None:
        self.record.setEnabled(self.may_write and self.calls.patient_id is not None)
        self.remove.setEnabled(self.may_write and self.selected() is not None)

    def record_immunization(self) -> None:
        if not self.record.isEnabled():
            return
        self.calls.start_for_clinic("chart.immunization.choices", immunization_choices,
                                    on_done=self._show_form,
                                    on_failed=self.failed("open the immunization form"))

    def _show_form(self, choices: tuple[list[Vaccine], list[Provider]]) -> None:
        found, people = choices
        dialog = ImmunizationDialog(self.today, self.list)
        dialog.vaccine.set_vaccines(found)
        dialog.given_by.set_people(people, self.actor)
        dialog.given_on.set_value(self.today())
        self.open_form(dialog, lambda: self._submit(dialog), dialog.vaccine)

    def _submit(self, dialog: ImmunizationDialog) -> None:
        entered, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("chart.immunization.record", record_immunization,
                         immunization=entered, today=self.today(),
                         on_done=lambda _i: self.saved(dialog),
                         on_failed=lambda error: dialog.refused(
                             error, doing="record the immunization"))

    def remove_immunization(self) -> None:
        chosen: ImmunizationEntry | None = self.selected()
        if chosen is None or not self.remove.isEnabled():
            return
        self.remove_entry(
            title="Remove immunization",
            question=f"Remove the {chosen.vaccine} dose of {day(chosen.administered_on)} as "
                     f"entered in error? It stays in the record as removed.",
            name="chart.immunization.remove", service=remove_immunization,
            doing="remove the immunization", immunization_id=chosen.id,
            version=chosen.version)
