"""The Encounters tab: the timeline of visits (newest first, loaded a page at a time) beside the
open encounter's editor; starting a new encounter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.chart.encounters import (
    EncounterDetail,
    EncounterInput,
    EncounterSummary,
    Provider,
    encounter_type_label,
    encounters,
    providers,
    start_encounter,
)
from medtrack_desktop.domain.chart.models import ENCOUNTER_TYPES
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.encounter_editor import EncounterEditor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.list_tab import FormDialog, ListTabView, tab_key
from medtrack_desktop.ui.workspace import Changed, Workspace

PAGE = 50


class TimelineModel(RowsTableModel[EncounterSummary]):
    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__((
            Column("Date", lambda e: f"{e.starts_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            Column("Type", lambda e: encounter_type_label(e.encounter_type)),
            Column("Status", lambda e: e.status_label),
            Column("Reason", lambda e: e.reason),
            Column("Provider", lambda e: e.provider_name),
        ))


class NewEncounterDialog(FormDialog):
    def __init__(self, people: list[Provider], me: uuid.UUID | None,
                 parent: QWidget | None = None) -> None:
        super().__init__("New encounter", "Start encounter", parent)
        self.encounter_type = QComboBox()
        for value in ENCOUNTER_TYPES:
            self.encounter_type.addItem(encounter_type_label(value), value)
        self.starts_at = QDateTimeEdit(QDateTime.currentDateTime(), calendarPopup=True)
        self.starts_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.reason = QLineEdit(placeholderText="Chief complaint, as the patient puts it")
        self.reason.setMaxLength(500)
        self.provider = QComboBox()
        for person in people:
            self.provider.addItem(person.name, person.id)
        if me is not None and (index := self.provider.findData(me)) >= 0:
            self.provider.setCurrentIndex(index)
        self.facility = QLineEdit()
        self.facility.setMaxLength(200)
        self.specialty = QLineEdit()
        self.specialty.setMaxLength(80)
        for key, label, widget in (
            ("encounter_type", "&Type:", self.encounter_type),
            ("starts_at", "&Date and time:", self.starts_at),
            ("reason", "&Reason for visit:", self.reason),
            ("provider_id", "&Provider:", self.provider),
            ("facility", "&Facility:", self.facility),
            ("specialty", "&Specialty:", self.specialty),
        ):
            self.add_row(key, label, widget)
        self.reason.setFocus()

    def entered(self) -> EncounterInput:
        when = self.starts_at.dateTime().toSecsSinceEpoch()
        return EncounterInput(
            encounter_type=self.encounter_type.currentData(),
            starts_at=datetime.fromtimestamp(when, tz=UTC), reason=self.reason.text(),
            provider_id=self.provider.currentData(), facility=self.facility.text() or None,
            specialty=self.specialty.text() or None)


class EncountersTab(QObject):
    """A tab of the chart (``set_patient``/``refresh``)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self._actor, self._workspace = actor, workspace
        self.model = TimelineModel(ZoneInfo(context.seat.clinic_timezone))
        self.new = QPushButton("&New encounter\u2026")
        self.new.setToolTip("Start an encounter for this patient (Insert)")
        self.new.setVisible(actor.can("chart.write"))
        self.more = QPushButton("Load &older")
        self.list = ListTabView("Encounters", [self.new, self.more])
        self.list.table.setModel(self.model)
        self.editor = EncounterEditor(context, actor, workspace)
        self.view = QWidget()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(self.editor.view)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 840])
        layout = QVBoxLayout(self.view)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.setParent(self.view)
        self.model.setParent(self.view)
        self.calls = PatientCalls(context, actor, self.view)
        self.dialog: NewEncounterDialog | None = None
        tab_key(self.list, "Ins", self.new.click)
        self.new.clicked.connect(self.start_new)
        self.more.clicked.connect(self.load_older)
        bar = self.list.table.verticalScrollBar()
        bar.valueChanged.connect(lambda value: self.load_older()
                                 if value == bar.maximum() and self.more.isEnabled() else None)
        self.list.table.selectionModel().currentRowChanged.connect(self._picked)
        self.editor.sig_changed.connect(self.refresh)

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self.model.set_rows([])
        self.more.setEnabled(False)
        self.list.status.setText("")
        self.list.show_error("")
        self.editor.open(None)

    def refresh(self) -> None:
        self.list.status.setText("Loading\u2026")
        self.calls.start("chart.timeline", encounters, limit=PAGE, on_done=self._loaded,
                         on_failed=self._failed)

    def load_older(self) -> None:
        """The next page of older encounters (also when the list is scrolled to its end)."""
        rows = self.model.rows
        if rows and self.more.isEnabled():
            self.more.setEnabled(False)  # one page at a time
            self.calls.start("chart.timeline", encounters, limit=PAGE,
                             before=rows[-1].cursor, on_done=self._more_loaded,
                             on_failed=self._failed)

    def _loaded(self, rows: list[EncounterSummary]) -> None:
        current = self.editor.detail.id if self.editor.detail else None
        self.model.set_rows(rows)
        self._after_load(len(rows))
        for index, row in enumerate(rows):
            if row.id == current:
                self.list.table.selectRow(index)

    def _more_loaded(self, rows: list[EncounterSummary]) -> None:
        self.model.append_rows(rows)
        self._after_load(len(rows))

    def _after_load(self, count: int) -> None:
        self.more.setEnabled(count == PAGE)
        total = self.model.rowCount()
        self.list.status.setText(f"{total} encounter{'s' if total != 1 else ''} shown"
                                 if total else "No encounters yet.")

    def _failed(self, error: Exception) -> None:
        self.list.status.setText("")
        self.list.show_error(error_text(error, doing="load the encounters"))

    def _picked(self, current: object, _previous: object) -> None:
        row = self.model.row_at(current.row()) if hasattr(current, "row") else None
        if row is not None and (self.editor.detail is None or self.editor.detail.id != row.id):
            self.editor.open(row.id)

    def start_new(self) -> None:
        if self.calls.patient_id is None or not self.new.isVisible():
            return
        self.calls.start_for_clinic("chart.providers", providers, on_done=self._ask_new,
                                    on_failed=self._failed)

    def _ask_new(self, people: list[Provider]) -> None:
        dialog = NewEncounterDialog(people, self._actor.user_id, self.view)
        dialog.sig_submit.connect(lambda: self._submit_new(dialog))
        self.dialog = dialog
        dialog.open()

    def _submit_new(self, dialog: NewEncounterDialog) -> None:
        dialog.set_busy(True)

        def started(detail: EncounterDetail) -> None:
            dialog.accept()
            self._workspace.announce(Changed.CHART)
            self.editor.show(detail)
            self.refresh()
            # after the dialog has handed the focus back to where it came from
            QTimer.singleShot(0, self.editor.view.sections["subjective"].setFocus)

        self.calls.start("chart.encounter.start", start_encounter, entered=dialog.entered(),
                         on_done=started,
                         on_failed=lambda error: dialog.refused(error, doing="start it"))
