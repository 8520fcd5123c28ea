"""The Medications tab: what the patient takes, and every change to it.

Keyboard: Insert starts a medication, Enter or F2 changes how the selected one is taken (an
ended one shows its history instead), Delete discontinues it (a reason is required: the next
clinician needs it). "Complete" ends a finished course after a yes; "History" lists every
change with the medication as it stood after it. Changing the drug itself is a new medication,
never an edit, so the forms offer the regimen only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.chart.encounters import Provider, providers
from medtrack_desktop.domain.chart.medications import (
    MedicationEntry,
    MedicationHistoryEntry,
    MedicationInput,
    change_medication,
    complete_medication,
    discontinue_medication,
    medication_history,
    medications,
    start_medication,
)
from medtrack_desktop.domain.chart.models import MEDICATION_ROUTES
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_lists import ChartListTab, plural, set_code
from medtrack_desktop.ui.chart.chart_tab_parts import (
    StaffOrName,
    chart_error_text,
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
from medtrack_desktop.ui.widgets.tables import read_only_table
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Workspace


def dose_text(dose: Decimal | str | None, unit: str | None) -> str:
    """"500 mg": the history's snapshot keeps the dose as text, the list as a Decimal."""
    return "" if dose is None else f"{dose if isinstance(dose, str) else format(dose, 'f')} " \
                                   f"{unit or ''}".strip()


def snapshot_summary(after: Mapping[str, Any]) -> str:
    """The medication as it stood after a change, on one line: dose, route, frequency, status
    (with its end date)."""
    status = code_label(after.get("status") or "")
    if after.get("end_on"):
        status = f"{status} {after['end_on']}"
    parts = (dose_text(after.get("dose"), after.get("dose_unit")),
             code_label(after.get("route") or ""), after.get("frequency") or "", status)
    return " \u00b7 ".join(part for part in parts if part)


class MedicationsModel(RowsTableModel[MedicationEntry]):
    def __init__(self) -> None:
        super().__init__((
            Column("Medication", lambda m: m.name, lambda m: m.instructions or ""),
            Column("Dose", lambda m: dose_text(m.dose, m.dose_unit)),
            Column("Route", lambda m: code_label(m.route or "")),
            Column("Frequency", lambda m: m.frequency or "", lambda m: m.frequency or ""),
            Column("Started", lambda m: day(m.start_on)),
            Column("Ended", lambda m: day(m.end_on)),
            Column("Status", lambda m: code_label(m.status), lambda m: m.status_reason or ""),
            Column("Prescriber", lambda m: m.prescriber or ""),
        ))


class HistoryModel(RowsTableModel[MedicationHistoryEntry]):
    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__((
            Column("When", lambda h: f"{h.changed_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            Column("Who", lambda h: h.changed_by or ""),
            Column("Change", lambda h: code_label(h.change)),
            Column("Reason", lambda h: h.reason or "", lambda h: h.reason or ""),
            Column("Medication after", lambda h: snapshot_summary(h.after),
                   lambda h: h.after.get("instructions") or ""),
        ))


class RegimenDialog(FormDialog):
    """How a medication is taken: the fields the start and change forms share."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(title, ok_text, parent)
        self.dose = text_field(12, "500 or 0.5")
        self.dose_unit = text_field(20, "mg, mL, tablet, puff")
        self.route = code_combo(MEDICATION_ROUTES, blank="")
        self.frequency = text_field(60, "twice daily, every 6 hours as needed")
        self.instructions = text_area(2, "as on the label: take with food")

    def regimen_rows(self) -> list[tuple[str, str, QWidget]]:
        return [("dose", "D&ose:", self.dose), ("dose_unit", "&Unit:", self.dose_unit),
                ("route", "&Route:", self.route), ("frequency", "&Frequency:", self.frequency)]

    def fill(self, medication: MedicationEntry) -> None:
        self.dose.setText(dose_text(medication.dose, None))
        self.dose_unit.setText(medication.dose_unit or "")
        set_code(self.route, medication.route)
        self.frequency.setText(medication.frequency or "")
        self.instructions.setPlainText(medication.instructions or "")

    def regimen(self) -> dict[str, str]:
        return {"dose": self.dose.text(), "dose_unit": self.dose_unit.text(),
                "route": self.route.currentData(), "frequency": self.frequency.text(),
                "instructions": self.instructions.toPlainText()}


class StartDialog(RegimenDialog):
    def __init__(self, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__("Start medication", "Start medication", parent)
        self.name = text_field(200, "drug and strength as on the label: Metformin 500 mg tablet")
        self.start_on = DateField(today)
        self.prescriber = StaffOrName("A clinic prescriber, or type a name")
        for key, caption, widget in (
            ("name", "&Medication:", self.name), *self.regimen_rows(),
            ("start_on", "&Started:", self.start_on),
            ("prescriber", "&Prescriber:", self.prescriber),
            ("instructions", "&Instructions:", self.instructions),
        ):
            self.add_row(key, caption, widget)

    def entered(self) -> tuple[MedicationInput, dict[str, str]]:
        errors: dict[str, str] = {}
        started = read_date(self.start_on, "start_on", "Started", errors)
        prescriber_id, prescriber_name = self.prescriber.chosen()
        return MedicationInput(name=self.name.text(), start_on=started,
                               prescriber_id=prescriber_id, prescriber_name=prescriber_name,
                               **self.regimen()), errors


class ChangeDialog(RegimenDialog):
    def __init__(self, medication: MedicationEntry, parent: QWidget | None = None) -> None:
        super().__init__(f"Change {medication.name}", "Save change", parent)
        self.medication = medication
        self.reason = text_field(300, "why, for the next clinician (optional)")
        for key, caption, widget in (*self.regimen_rows(),
                                     ("instructions", "&Instructions:", self.instructions),
                                     ("reason", "Re&ason:", self.reason)):
            self.add_row(key, caption, widget)
        self.fill(medication)


class DiscontinueDialog(FormDialog):
    """Why and when a medication was stopped (the service requires the reason)."""

    def __init__(self, medication: MedicationEntry, today: Callable[[], date],
                 parent: QWidget | None = None) -> None:
        super().__init__(f"Discontinue {medication.name}", "Discontinue", parent)
        self.medication = medication
        self.reason = text_field(300, "side effects, no longer needed, replaced by …")
        self.end_on = DateField(today)
        self.end_on.set_value(today())
        self.add_row("reason", "&Reason:", self.reason)
        self.add_row("end_on", "&Stopped:", self.end_on)


class HistoryDialog(QDialog):
    """Every change of one medication, oldest first, each with the medication after it."""

    def __init__(self, medication: MedicationEntry, zone: ZoneInfo,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of {medication.name}")
        self.resize(900, 320)
        self.model = HistoryModel(zone)
        self.model.setParent(self)
        self.table = read_only_table("Medication history")
        self.table.setModel(self.model)
        self.status = QLabel("Loading\u2026", objectName="muted", wordWrap=True)
        self.status.setAccessibleName("History status")
        heading = QLabel(medication.name, objectName="sectionTitle")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (heading, self.table, self.status, buttons):
            layout.addWidget(widget)

    def show_entries(self, entries: list[MedicationHistoryEntry]) -> None:
        self.model.set_rows(entries)
        self.status.setText(plural(len(entries), "change"))
        if entries:
            self.table.selectRow(len(entries) - 1)  # the latest
        self.table.setFocus()


class MedicationsTab(ChartListTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        start = QPushButton("&Start medication\u2026")
        change = QPushButton("C&hange\u2026")
        discontinue = QPushButton("Disc&ontinue\u2026")
        complete = QPushButton("Co&mplete")
        history = QPushButton("Histo&ry\u2026")
        super().__init__(context, actor, workspace, name="Medications",
                         model=MedicationsModel(),
                         buttons=[start, change, discontinue, complete, history],
                         confirm=confirm)
        self.start, self.change, self.discontinue = start, change, discontinue
        self.complete, self.history = complete, history
        self.write_button(start, "Ins", "Start a medication (Insert)", self.start_medication)
        self.write_button(change, "F2", "Change how the selected medication is taken (Enter or "
                                        "F2)", self.change_medication)
        self.write_button(discontinue, "Del", "Stop the selected medication, with the reason "
                                              "(Delete)", self.discontinue_medication)
        complete.setToolTip("The selected course is finished as planned")
        complete.setVisible(self.may_write)
        complete.clicked.connect(self.complete_medication)
        self.read_button(history, "Every change of the selected medication",
                         self.show_history)
        self.list.table.activated.connect(lambda _index: self._activated())
        self.stretch_column(3)  # the frequency ("every 4 to 6 hours as needed …")
        self.update_buttons()

    def load(self) -> None:
        self.calls.start("chart.medications", medications, on_done=self._loaded,
                         on_failed=self.failed("load the medications"))

    def _loaded(self, rows: list[MedicationEntry]) -> None:
        active = sum(1 for row in rows if row.active)
        ended = f", {len(rows) - active} ended" if len(rows) > active else ""
        self.show_rows(rows, f"{plural(active, 'active medication')}{ended}" if rows
                       else "No medications recorded.")

    def update_buttons(self) -> None:
        chosen: MedicationEntry | None = self.selected()
        active = chosen is not None and chosen.active
        self.start.setEnabled(self.may_write and self.calls.patient_id is not None)
        for button in (self.change, self.discontinue, self.complete):
            button.setEnabled(self.may_write and active)
        self.history.setEnabled(chosen is not None)

    def _activated(self) -> None:
        (self.change if self.change.isEnabled() else self.history).click()

    # -- starting and changing ----------------------------------------------------------------

    def start_medication(self) -> None:
        if self.start.isEnabled():
            self.calls.start_for_clinic("chart.providers", providers, on_done=self._start_form,
                                        on_failed=self.failed("open the medication form"))

    def _start_form(self, people: list[Provider]) -> None:
        dialog = StartDialog(self.today, self.list)
        dialog.prescriber.set_people(people, self.actor)
        dialog.start_on.set_value(self.today())
        self.open_form(dialog, lambda: self._submit_start(dialog), dialog.name)

    def _submit_start(self, dialog: StartDialog) -> None:
        entered, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("chart.medication.start", start_medication, medication=entered,
                         today=self.today(), on_done=lambda _m: self.saved(dialog),
                         on_failed=self.refused(dialog, doing="start the medication"))

    def change_medication(self) -> None:
        medication: MedicationEntry | None = self.selected()
        if medication is not None and self.change.isEnabled():
            dialog = ChangeDialog(medication, self.list)
            self.open_form(dialog, lambda: self._submit_change(dialog), dialog.dose)

    def _submit_change(self, dialog: ChangeDialog) -> None:
        dialog.set_busy(True)
        self.calls.start("chart.medication.change", change_medication,
                         medication_id=dialog.medication.id, version=dialog.medication.version,
                         reason=dialog.reason.text(), **dialog.regimen(),
                         on_done=lambda _m: self.saved(dialog),
                         on_failed=self.refused(dialog, doing="change the medication"))

    # -- ending -------------------------------------------------------------------------------

    def discontinue_medication(self) -> None:
        medication: MedicationEntry | None = self.selected()
        if medication is not None and self.discontinue.isEnabled():
            dialog = DiscontinueDialog(medication, self.today, self.list)
            self.open_form(dialog, lambda: self._submit_end(dialog), dialog.reason)

    def _submit_end(self, dialog: DiscontinueDialog) -> None:
        errors: dict[str, str] = {}
        ended = read_date(dialog.end_on, "end_on", "Stopped", errors)
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("chart.medication.discontinue", discontinue_medication,
                         medication_id=dialog.medication.id, version=dialog.medication.version,
                         reason=dialog.reason.text(), end_on=ended, today=self.today(),
                         on_done=lambda _m: self.saved(dialog),
                         on_failed=self.refused(dialog, doing="discontinue the medication"))

    def complete_medication(self) -> None:
        medication: MedicationEntry | None = self.selected()
        if medication is None or not self.complete.isEnabled() or not self._confirm(
            self.view, "Complete medication",
            f"Mark {medication.name} as completed today (the course is finished as planned)? "
            "To stop it for another reason, discontinue it instead.",
        ):
            return
        self.list.show_error("")
        self.calls.start("chart.medication.complete", complete_medication,
                         medication_id=medication.id, version=medication.version,
                         today=self.today(), on_done=lambda _m: self.saved(),
                         on_failed=self.failed("complete the medication"))

    # -- history ------------------------------------------------------------------------------

    def show_history(self) -> None:
        medication: MedicationEntry | None = self.selected()
        if medication is None:
            return
        dialog = HistoryDialog(medication, self.zone, self.list)
        dialog.finished.connect(lambda _code: self._closed(dialog))
        self.dialog = dialog  # closed with the patient, as a form is
        dialog.open()
        self.calls.start("chart.medication.history", medication_history,
                         medication_id=medication.id, on_done=dialog.show_entries,
                         on_failed=lambda error: dialog.status.setText(
                             chart_error_text(error, doing="load the history")))

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
