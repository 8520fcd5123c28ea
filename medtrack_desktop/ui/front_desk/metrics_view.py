"""The front desk's Metrics tab: the seed report's appointment figures per period and provider.

A period (this week, last week, this month, last month, or from-to) and a provider (or all)
give a table of total, upcoming, completed, scheduled (not ended yet), cancelled and no-show
per provider — every provider of the clinic, with zeros — and a totals row
(``metrics.appointment_metrics``; the definitions are in its module doc). Counts only, no
patient data, so "Export CSV…" writes the table as it is shown. The figures are counted on
the task runner when the tab is shown, and again on ``Changed.SCHEDULE`` while it is.

Keys (in the tab): Alt+P period, Alt+O from, Alt+T to, Alt+R provider, Enter in the dates
counts, Alt+E export.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.calendar import CalendarSetup, calendar_setup
from medtrack_desktop.domain.scheduling.metrics import (
    AppointmentCounts,
    AppointmentMetrics,
    appointment_metrics,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, Index, RowsTableModel
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.choices import refill
from medtrack_desktop.ui.widgets.date_field import DateField, read_date
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.list_tab import tab_key
from medtrack_desktop.ui.widgets.tables import read_only_table
from medtrack_desktop.ui.workspace import Changed, Workspace

THIS_WEEK, LAST_WEEK, THIS_MONTH, LAST_MONTH, CUSTOM = (
    "this_week", "last_week", "this_month", "last_month", "custom")
PERIODS = ((THIS_WEEK, "This week"), (LAST_WEEK, "Last week"), (THIS_MONTH, "This month"),
           (LAST_MONTH, "Last month"), (CUSTOM, "From \u2013 to\u2026"))
FIGURES = (("total", "Total"), ("upcoming", "Upcoming"), ("completed", "Completed"),
           ("scheduled", "Scheduled"), ("cancelled", "Cancelled"), ("no_show", "No-show"))
TOTALS = "All providers"
# Save-as chooser: (parent, suggested name) -> the path chosen, or None (tests answer).
ChoosePath = Callable[[QWidget, str], Path | None]


def period_days(period: str, today: date) -> tuple[date, date]:
    """The first and last day of a named period around ``today`` (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    if period == LAST_WEEK:
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if period == THIS_MONTH:
        next_month = (first_of_month + timedelta(days=32)).replace(day=1)
        return first_of_month, next_month - timedelta(days=1)
    if period == LAST_MONTH:
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    return monday, monday + timedelta(days=6)


@dataclass(frozen=True)
class FigureRow:
    """A line of the table: a provider's counts, or the totals."""

    name: str
    counts: AppointmentCounts
    is_total: bool = False


def figure_rows(metrics: AppointmentMetrics, providers: Sequence[tuple[uuid.UUID, str]]
                ) -> list[FigureRow]:
    """One row per provider listed (zeros included), then any other provider who had
    appointments in the period, then the totals."""
    listed = {provider_id for provider_id, _name in providers}
    rows = [FigureRow(name, metrics.by_provider.get(provider_id, AppointmentCounts()))
            for provider_id, name in providers]
    rows += sorted((FigureRow(metrics.provider_names.get(provider_id, "Other provider"), counts)
                    for provider_id, counts in metrics.by_provider.items()
                    if provider_id not in listed), key=lambda row: row.name)
    return [*rows, FigureRow(TOTALS, metrics.overall, is_total=True)]


class FiguresModel(RowsTableModel[FigureRow]):
    """The figures, numbers right-aligned, the totals row in bold."""

    def __init__(self) -> None:
        super().__init__([Column("Provider", lambda r: r.name)] + [
            Column(title, lambda r, name=name: str(getattr(r.counts, name)))
            for name, title in FIGURES])
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if index.isValid() and role == Qt.ItemDataRole.TextAlignmentRole and index.column():
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = self.row_at(index.row()) if index.isValid() else None
        if role == Qt.ItemDataRole.FontRole and row is not None and row.is_total:
            return self._bold
        return super().data(index, role)


def write_csv(path: Path, first_day: date, last_day: date, rows: Sequence[FigureRow]) -> None:
    """The table as CSV (counts and provider names only; no patient data)."""
    names = [field.name for field in dataclass_fields(AppointmentCounts)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["first_day", "last_day", "provider", *names])
        for row in rows:
            writer.writerow([first_day.isoformat(), last_day.isoformat(), row.name,
                             *(getattr(row.counts, name) for name in names)])


def ask_path(parent: QWidget, suggested: str) -> Path | None:
    chosen, _filter = QFileDialog.getSaveFileName(parent, "Export the figures", suggested,
                                                  "CSV files (*.csv)")
    return Path(chosen) if chosen else None


class MetricsView(QWidget):
    """The Metrics tab. ``today`` is the clinic's time now (tests set it); ``choose_path``
    asks where to export (tests answer)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 today: Callable[[], datetime] | None = None,
                 choose_path: ChoosePath = ask_path) -> None:
        super().__init__()
        self.setAccessibleName("Metrics")
        self._context, self._choose_path = context, choose_path
        zone = ZoneInfo(context.seat.clinic_timezone)
        self._now = today or (lambda: datetime.now(zone))
        self._calls = ServiceCaller(context, actor, self)
        self.setup: CalendarSetup | None = None
        self.shown: AppointmentMetrics | None = None
        self.loading = False
        self._loads = 0
        self._build()
        workspace.sig_changed.connect(self._changed)
        self._calls.start("schedule.setup", calendar_setup, on_done=self._setup_loaded,
                          on_failed=lambda error: self._say(
                              error_text(error, doing="read the clinic's providers")))

    def _build(self) -> None:
        self.errors = FieldErrors()
        self.period = QComboBox()
        for key, text in PERIODS:
            self.period.addItem(text, key)
        self.first_day = DateField(lambda: self._now().date())
        self.last_day = DateField(lambda: self._now().date())
        self.provider = QComboBox()
        self.provider.addItem(TOTALS, None)
        self.provider.setMinimumWidth(200)
        self.export_button = QPushButton("&Export CSV\u2026", toolTip="Save the table as a CSV "
                                         "file (counts only)")
        self.export_button.setAutoDefault(False)
        bar = QHBoxLayout()
        for key, text, widget in (("period", "&Period:", self.period),
                                  ("first_day", "Fr&om:", self.first_day),
                                  ("last_day", "&To:", self.last_day),
                                  ("provider", "P&rovider:", self.provider)):
            caption = QLabel(text)
            caption.setBuddy(widget)
            caption.setContentsMargins(0, 4, 0, 0)  # level with the field's text
            widget.setAccessibleName(text.replace("&", "").rstrip(":"))
            bar.addWidget(caption, 0, Qt.AlignmentFlag.AlignTop)
            bar.addWidget(self.errors.add(key, widget), 0, Qt.AlignmentFlag.AlignTop)
        bar.addStretch(1)
        bar.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        self.heading = QLabel(objectName="sectionTitle")
        self.heading.setAccessibleName("Period shown")
        self.model = FiguresModel()
        self.model.setParent(self)
        self.table = read_only_table("Appointment figures", fit_contents=False)
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(FIGURES) + 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, 110)
        header.setStretchLastSection(False)
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Metrics message")
        self.message.hide()
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Metrics status")
        self.status.setText("Total = completed + scheduled (not ended yet: scheduled, "
                            "confirmed, checked in, in room) + cancelled + no-show. Upcoming: "
                            "scheduled or confirmed, still to come.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.addLayout(bar)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        self.setFocusProxy(self.period)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.provider.currentIndexChanged.connect(lambda _index: self.reload())
        self.export_button.clicked.connect(self.export)
        for field in (self.first_day, self.last_day):
            tab_key(field, "Return", self.reload)
            tab_key(field, "Enter", self.reload)
        self._period_changed()

    # -- what is counted ---------------------------------------------------------------------

    def _setup_loaded(self, setup: CalendarSetup) -> None:
        self.setup = setup
        refill(self.provider, self.provider.itemText(0),
               [(provider.name, provider.id) for provider in setup.providers])
        if self.isVisible():
            self.reload()

    def _period_changed(self) -> None:
        """A named period fills in its days (read only); "From - to…" lets them be typed."""
        period = self.period.currentData()
        custom = period == CUSTOM
        for field in (self.first_day, self.last_day):
            field.setReadOnly(not custom)
        if not custom:
            first, last = period_days(period, self._now().date())
            self.first_day.set_value(first)
            self.last_day.set_value(last)
            self.reload()
        else:
            self.first_day.setFocus()

    def entered(self) -> tuple[tuple[date, date] | None, dict[str, str]]:
        errors: dict[str, str] = {}
        first = read_date(self.first_day, "first_day", "From", errors)
        last = read_date(self.last_day, "last_day", "To", errors)
        if first is None and "first_day" not in errors:
            errors["first_day"] = "From: the first day to count."
        if last is None and "last_day" not in errors:
            errors["last_day"] = "To: the last day to count."
        if first is not None and last is not None and last < first:
            errors["last_day"] = "To: on or after the first day."
        if errors or first is None or last is None:
            return None, errors
        return (first, last), {}

    def reload(self) -> None:
        """Count the period entered (a reply to an older count is dropped)."""
        if self.setup is None:
            return
        days, errors = self.entered()
        self.errors.show(errors, focus=bool(errors))
        if days is None:
            return
        self._say("")
        self._loads += 1
        number = self._loads
        self.loading = True
        self._calls.start("schedule.metrics", appointment_metrics,
                          on_done=lambda metrics: self._loaded(number, metrics),
                          on_failed=lambda error: self._failed(number, error),
                          first_day=days[0], last_day=days[1],
                          provider_id=self.provider.currentData(), now=self._now())

    def _loaded(self, number: int, metrics: AppointmentMetrics) -> None:
        if number != self._loads or self.setup is None:
            return
        chosen = self.provider.currentData()
        providers = [(p.id, p.name) for p in self.setup.providers
                     if chosen is None or p.id == chosen]
        self.model.set_rows(figure_rows(metrics, providers))
        first, last = metrics.first_day, metrics.last_day
        self.heading.setText(f"{first:%a %m/%d/%Y}" if first == last
                             else f"{first:%a %m/%d/%Y} \u2013 {last:%a %m/%d/%Y}")
        self.shown = metrics
        self.loading = False

    def _failed(self, number: int, error: Exception) -> None:
        if number != self._loads:
            return
        self.loading = False
        refused = invalid_fields(error)
        if refused is not None:
            self._say(" ".join(self.errors.show(refused).values()))
        else:
            self._say(error_text(error, doing="count the appointments"))

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """Counted when the tab is shown (not at sign-in), and again each time it comes
        back ("this week" may be another week by then)."""
        super().showEvent(event)
        if event.spontaneous():
            return
        if self.period.currentData() == CUSTOM:
            self.reload()
        else:
            self._period_changed()

    def _changed(self, changed: Changed) -> None:
        if Changed.SCHEDULE in changed and self.isVisible():  # else counted when shown
            self.reload()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- export ------------------------------------------------------------------------------

    def export(self) -> None:
        """Save the table shown as CSV (written on the task runner)."""
        if self.shown is None:
            return
        shown, rows = self.shown, self.model.rows
        path = self._choose_path(self, f"appointments-{shown.first_day:%Y%m%d}-"
                                       f"{shown.last_day:%Y%m%d}.csv")
        if path is None:
            return
        self._calls.run("schedule.metrics_export",
                        lambda: write_csv(path, shown.first_day, shown.last_day, rows),
                        on_done=lambda _none: self.status.setText(f"Saved {path.name}."),
                        on_failed=lambda error: self._say(
                            error_text(error, doing="save the CSV file")))
