"""The Procedures tab: what was done to the patient, coded (CPT, HCPCS, ICD-10-PCS, SNOMED CT).

Keyboard: Insert records a procedure, Delete removes the selected one as entered in error
(after a yes/no question; it stays in the record as removed). The code is checked for its
system's shape by the service, and a refusal shows at its field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QPushButton, QWidget

from medtrack_desktop.domain.chart.encounters import Provider, providers
from medtrack_desktop.domain.chart.models import PROCEDURE_CODE_SYSTEMS
from medtrack_desktop.domain.chart.procedures import (
    ProcedureEntry,
    ProcedureInput,
    procedures,
    record_procedure,
    remove_procedure,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_tab_parts import (
    ChartTab,
    StaffOrName,
    code_combo,
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

CODE_HINTS = {"CPT": "99213", "HCPCS": "G0439", "ICD-10-PCS": "0DTJ4ZZ", "SNOMED-CT": "80146002"}


class ProceduresModel(RowsTableModel[ProcedureEntry]):
    def __init__(self) -> None:
        super().__init__((
            Column("Date", lambda p: day(p.performed_on)),
            Column("System", lambda p: p.code_system),
            Column("Code", lambda p: p.code),
            Column("Description", lambda p: p.description, lambda p: p.notes or ""),
            Column("Performed by", lambda p: p.performer or ""),
        ))


class ProcedureDialog(FormDialog):
    def __init__(self, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__("Record procedure", "Record procedure", parent)
        self.code_system = code_combo(PROCEDURE_CODE_SYSTEMS, label=lambda code: code)
        self.code = text_field(10)
        self.description = text_field(300, "What was done")
        self.performed_on = DateField(today)
        self.performer = StaffOrName()
        self.notes = text_area(3)
        for key, label, widget in (("code_system", "Code &system:", self.code_system),
                                   ("code", "&Code:", self.code),
                                   ("description", "&Description:", self.description),
                                   ("performed_on", "Date &performed:", self.performed_on),
                                   ("performer", "Performed &by:", self.performer),
                                   ("notes", "&Notes:", self.notes)):
            self.add_row(key, label, widget)
        self.code_system.currentIndexChanged.connect(self._system_changed)
        self._system_changed()

    def _system_changed(self) -> None:
        self.code.setPlaceholderText(f"e.g. {CODE_HINTS[self.code_system.currentData()]}")

    def entered(self) -> tuple[ProcedureInput, dict[str, str]]:
        errors: dict[str, str] = {}
        performed = read_date(self.performed_on, "performed_on", "Date performed", errors)
        performer_id, performer_name = self.performer.chosen()
        return ProcedureInput(
            code=self.code.text(), description=self.description.text(),
            performed_on=performed, code_system=self.code_system.currentData(),
            performer_id=performer_id, performer_name=performer_name,
            notes=self.notes.toPlainText()), errors


class ProceduresTab(ChartTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        record = QPushButton("&Record procedure\u2026")
        remove = QPushButton("Re&move\u2026")
        super().__init__(context, actor, workspace, name="Procedures", model=ProceduresModel(),
                         buttons=[record, remove], confirm=confirm)
        self.record, self.remove = record, remove
        self.write_button(record, "Ins", "Record a procedure the patient had (Insert)",
                          self.record_procedure)
        self.write_button(remove, "Del", "Remove the selected procedure, entered in error "
                                         "(Delete)", self.remove_procedure)
        self.update_buttons()

    def load(self) -> None:
        self.calls.start("chart.procedures", procedures, on_done=self._loaded,
                         on_failed=self.failed("load the procedures"))

    def _loaded(self, rows: list[ProcedureEntry]) -> None:
        self.show_rows(rows, f"{len(rows)} procedure{'' if len(rows) == 1 else 's'}" if rows
                       else "No procedures recorded")

    def update_buttons(self) -> None:
        self.record.setEnabled(self.may_write and self.calls.patient_id is not None)
        self.remove.setEnabled(self.may_write and self.selected() is not None)

    def record_procedure(self) -> None:
        if not self.record.isEnabled():
            return
        self.calls.start_for_clinic("chart.staff", providers, on_done=self._show_form,
                                    on_failed=self.failed("open the procedure form"))

    def _show_form(self, people: list[Provider]) -> None:
        dialog = ProcedureDialog(self.today, self.list)
        dialog.performer.set_people(people, self.actor)
        dialog.performed_on.set_value(self.today())
        self.open_form(dialog, lambda: self._submit(dialog), dialog.code_system)

    def _submit(self, dialog: ProcedureDialog) -> None:
        entered, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("chart.procedure.record", record_procedure, procedure=entered,
                         today=self.today(), on_done=lambda _p: self.saved(dialog),
                         on_failed=lambda error: dialog.refused(
                             error, doing="record the procedure"))

    def remove_procedure(self) -> None:
        chosen: ProcedureEntry | None = self.selected()
        if chosen is None or not self.remove.isEnabled():
            return
        self.remove_entry(
            title="Remove procedure",
            question=f"Remove {chosen.code_system} {chosen.code} \u201c{chosen.description}\u201d "
                     f"of {day(chosen.performed_on)} as entered in error? It stays in the "
                     f"record as removed.",
            name="chart.procedure.remove", service=remove_procedure,
            doing="remove the procedure", procedure_id=chosen.id, version=chosen.version)
