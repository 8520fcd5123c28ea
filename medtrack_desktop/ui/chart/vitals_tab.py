"""The Vitals tab: the patient's sets of vital signs, newest first, and a trend plot of one.

A long-followed patient has thousands of sets, so the list reads a page at a time (keyset
pages from the service) and the next page when the user scrolls to the end or presses "Load
older". Values are stored in canonical units and shown in metric or US units, the user's
choice for the session (kept on the sign-in's workspace, so every chart of this sign-in shows
the same units and signing out forgets it).

Keyboard: Insert records a set, Delete removes the selected one as entered in error.
Recording: values refused by the service show at their fields; unusual ones are shown at
their fields too and the user is asked "Save anyway?" (No by default) before the set is saved
with the warnings confirmed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.vital_measures import Vital
from medtrack_desktop.domain.chart.vitals import (
    VitalSet,
    VitalsInput,
    VitalsNeedConfirmation,
    format_vital,
    record_vitals,
    remove_vitals,
    vital_series,
    vital_sets,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_tab_parts import SHOWN_TIME, ChartTab, chart_error_text
from medtrack_desktop.ui.chart.vitals_form import METRIC, SYSTEM_UNITS, US, VitalsDialog
from medtrack_desktop.ui.chart.vitals_plot import Series, TrendView
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Workspace

PAGE = 100
# The workspace property that keeps the units chosen for this sign-in.
UNITS_PROPERTY = "chartVitalUnits"


def shown(kind: Vital, value: Decimal | None, units: str) -> str:
    """A stored value as the list shows it in ``units`` (US heights in feet and inches)."""
    return "" if value is None else format_vital(kind, value, SYSTEM_UNITS[units].get(kind))


def _blood_pressure(row: VitalSet) -> str:
    if row.systolic is None and row.diastolic is None:
        return ""
    missing = "\u2013"
    return f"{row.systolic or missing}/{row.diastolic or missing}"


class VitalSetsModel(RowsTableModel[VitalSet]):
    def __init__(self, zone: ZoneInfo, units: str) -> None:
        self.units = units

        def measure(header: str, kind: Vital) -> Column[VitalSet]:
            return Column(header, lambda row: shown(kind, row.value(kind), self.units))

        def bare(value: Decimal | None, suffix: str = "") -> str:
            return "" if value is None else f"{value}{suffix}"

        super().__init__((
            Column("Taken", lambda row: f"{row.taken_at.astimezone(zone):{SHOWN_TIME}}"),
            measure("Height", Vital.HEIGHT),
            measure("Weight", Vital.WEIGHT),
            Column("BMI", lambda row: bare(row.bmi, "*" if row.bmi_from_earlier_height else ""),
                   lambda row: "* computed with an earlier height"
                   if row.bmi_from_earlier_height else ""),
            measure("Temp.", Vital.TEMPERATURE),
            Column("Pulse", lambda row: bare(row.pulse)),
            Column("Resp.", lambda row: bare(row.respiration)),
            Column("BP", _blood_pressure),
            Column("SpO2", lambda row: bare(row.spo2, " %")),
            Column("Pain", lambda row: bare(row.pain, "/10")),
            measure("Head", Vital.HEAD_CIRCUMFERENCE),
            measure("Waist", Vital.WAIST_CIRCUMFERENCE),
            Column("Note", lambda row: row.note or "", lambda row: row.note or ""),
        ))

    def set_units(self, units: str) -> None:
        self.units = units
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1))


def vital_trend(session: Session, actor: Actor, *, patient_id: uuid.UUID,
                kinds: tuple[Vital, ...]) -> dict[Vital, Series]:
    """The series of the vitals drawn together (blood pressure: two), one unit of work."""
    return {kind: vital_series(session, actor, patient_id=patient_id, kind=kind)
            for kind in kinds}


class VitalsTab(ChartTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, page_size: int = PAGE) -> None:
        record = QPushButton("&Record vitals\u2026")
        remove = QPushButton("Re&move\u2026")
        more = QPushButton("Load &older")
        units = workspace.property(UNITS_PROPERTY)
        units = units if units in (METRIC, US) else METRIC
        super().__init__(context, actor, workspace, name="Vital signs",
                         model=VitalSetsModel(ZoneInfo(context.seat.clinic_timezone), units),
                         buttons=[record, remove, more], confirm=confirm)
        self.record, self.remove, self.more = record, remove, more
        self.page_size = page_size
        self.write_button(record, "Ins", "Record a set of vital signs (Insert)",
                          self.record_vitals)
        self.write_button(remove, "Del", "Remove the selected set, entered in error (Delete)",
                          self.remove_vitals)
        more.setToolTip("Read the next older sets (they also load when you scroll to the end)")
        more.clicked.connect(self.load_older)

        self.units = QComboBox()
        self.units.setAccessibleName("Units")
        self.units.addItem("Metric (cm, kg, \u00b0C)", METRIC)
        self.units.addItem("US (ft and in, lb, \u00b0F)", US)
        self.units.setCurrentIndex(self.units.findData(units))
        units_label = QLabel("Unit&s:")  # not Alt+U: the page's tabs take letters too
        units_label.setBuddy(self.units)
        self.trend = TrendView(self.zone)
        self.view = QWidget()
        header = QHBoxLayout()
        header.addWidget(units_label)
        header.addWidget(self.units)
        header.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.list)
        splitter.addWidget(self.trend)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self.view)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)

        self._generation = 0  # a page read for an earlier listing is dropped
        self._more = self._loading = False
        self._series: dict[Vital, Series] = {}
        self.units.currentIndexChanged.connect(self._units_changed)
        self.trend.choice.currentIndexChanged.connect(lambda _i: self._load_trend())
        self.list.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.model.rowsInserted.connect(lambda *_args: self.update_buttons())
        self.update_buttons()

    # -- the list, a page at a time ----------------------------------------------------------

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self._generation += 1
        self._more = self._loading = False
        self._series = {}
        self.trend.clear()
        super().set_patient(patient_id)

    def load(self) -> None:
        self._generation += 1
        generation = self._generation
        self._loading = True
        self.calls.start("chart.vitals", vital_sets, limit=self.page_size,
                         on_done=lambda rows: self._page(generation, rows, first=True),
                         on_failed=self._page_failed("load the vital signs"))
        self._load_trend()

    def load_older(self) -> None:
        rows = self.model.rows
        if self._loading or not self._more or not rows:
            return
        self._loading = True
        generation = self._generation
        self.list.status.setText(f"{len(rows)} sets shown \u00b7 loading older sets\u2026")
        self.calls.start("chart.vitals", vital_sets, limit=self.page_size,
                         before=rows[-1].cursor,
                         on_done=lambda rows: self._page(generation, rows, first=False),
                         on_failed=self._page_failed("load older vital signs"))

    def _page(self, generation: int, rows: list[VitalSet], *, first: bool) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._more = len(rows) == self.page_size
        if first:
            self.show_rows(rows, "")
        else:
            self.model.append_rows(rows)
        count = len(self.model.rows)
        self.list.status.setText(
            "No vital signs recorded" if not count else
            f"{count} set{'' if count == 1 else 's'}"
            + (" shown \u00b7 older sets load as you scroll to the end" if self._more else ""))
        self.update_buttons()

    def _page_failed(self, doing: str) -> Callable[[Exception], None]:
        show = self.failed(doing)

        def failed(error: Exception) -> None:
            self._loading = False
            show(error)
        return failed

    def _scrolled(self, value: int) -> None:
        if value >= self.list.table.verticalScrollBar().maximum() and self._more:
            self.load_older()

    def update_buttons(self, *_args: QModelIndex) -> None:
        self.record.setEnabled(self.may_write and self.calls.patient_id is not None)
        self.remove.setEnabled(self.may_write and self.selected() is not None)
        self.more.setEnabled(self._more and not self._loading)

    # -- units and the trend -----------------------------------------------------------------

    def current_units(self) -> str:
        return self.units.currentData()

    def _units_changed(self) -> None:
        units = self.current_units()
        self._workspace.setProperty(UNITS_PROPERTY, units)
        self.model.set_units(units)
        if self._series:
            self._draw()

    def _load_trend(self) -> None:
        if self.calls.patient_id is None:
            return
        kinds, generation = self.trend.kinds(), self._generation
        self.trend.summary.setText("Loading\u2026")

        def loaded(series: dict[Vital, Series]) -> None:
            if generation == self._generation and kinds == self.trend.kinds():
                self._series = series
                self._draw()

        self.calls.start("chart.vitals.trend", vital_trend, kinds=kinds, on_done=loaded,
                         on_failed=lambda error: self.trend.clear(
                             chart_error_text(error, doing="read the trend")))

    def _draw(self) -> None:
        self.trend.show_series(self._series, units=self.current_units(),
                               age_years=self._age())

    def _age(self) -> int | None:
        """The open patient's age today, for the shaded range (None: not known here)."""
        patient = self._workspace.patient
        if patient is None or patient.id != self.calls.patient_id:
            return None
        today, born = self.today(), patient.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    # -- recording and removing --------------------------------------------------------------

    def record_vitals(self) -> None:
        if not self.record.isEnabled():
            return
        dialog = VitalsDialog(zone=self.zone, units=self.current_units(), parent=self.list)
        self.open_form(dialog, lambda: self._submit(dialog),
                       dialog.fields[Vital.HEIGHT].value)

    def _submit(self, dialog: VitalsDialog, *, entered: VitalsInput | None = None,
                taken_at: datetime | None = None, confirmed: bool = False) -> None:
        entered = entered or dialog.entered()
        taken_at = taken_at or dialog.taken()
        dialog.set_busy(True)
        self.calls.start(
            "chart.vitals.record", record_vitals, taken_at=taken_at, entered=entered,
            confirm_warnings=confirmed, on_done=lambda _r: self.saved(dialog),
            on_failed=lambda error: self._refused(dialog, error, entered, taken_at))

    def _refused(self, dialog: VitalsDialog, error: Exception, entered: VitalsInput,
                 taken_at: datetime) -> None:
        if not isinstance(error, VitalsNeedConfirmation):
            dialog.refused(error, doing="record the vital signs")
            return
        dialog.show_warnings(error.messages)
        unusual = "\n".join(f"\u2022 {warning.message.removesuffix(': confirm.')}."
                            for warning in error.warnings)
        if self._confirm(dialog, "Unusual values",
                         f"These values are unusual:\n\n{unusual}\n\nSave anyway?"):
            self._submit(dialog, entered=entered, taken_at=taken_at, confirmed=True)
        else:
            dialog.set_busy(False)  # the warnings stay at their fields, to correct

    def remove_vitals(self) -> None:
        chosen: VitalSet | None = self.selected()
        if chosen is None or not self.remove.isEnabled():
            return
        self.remove_entry(
            title="Remove vital signs",
            question=f"Remove the set taken {chosen.taken_at.astimezone(self.zone):{SHOWN_TIME}}"
                     f" as entered in error? It stays in the record as removed.",
            name="chart.vitals.remove", service=remove_vitals,
            doing="remove the vital signs", vitals_id=chosen.id, version=chosen.version)
