"""The front desk's Metrics tab over the demo clinic and the real services: the seed report's
figures for a schedule made for the test, per provider with a totals row; the named periods;
one provider; a period that runs backwards said at its field; the CSV export (counts only)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import AppointmentEntry, set_status
from medtrack_desktop.paths import resource
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.metrics_view import (
    CUSTOM,
    LAST_MONTH,
    THIS_MONTH,
    MetricsView,
    period_days,
)
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.workspace import Changed, Workspace

HEADERS = ["Provider", "Total", "Upcoming", "Completed", "Scheduled", "Cancelled", "No-show"]


@pytest.fixture
def exported(tmp_path: Path) -> list[Path]:
    """Where the user says to save the CSV file, in order."""
    return [tmp_path / "figures.csv"]


@pytest.fixture
def view(qtbot: QtBot, context: AppContext, schedule: Schedule, workspace: Workspace,
         clock: Callable[[], datetime], exported: list[Path]) -> MetricsView:
    shown = MetricsView(context, schedule.desk, workspace, today=clock,
                        choose_path=lambda _parent, _name: exported.pop(0) if exported else None)
    shown.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    shown.resize(1156, 640)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: shown.shown is not None and not shown.loading, timeout=TIMEOUT)
    return shown


def moved(context: AppContext, schedule: Schedule, entry: AppointmentEntry,
          *statuses: str) -> None:
    for status in statuses:
        entry = perform(context.store, schedule.desk, set_status, appointment_id=entry.id,
                        version=entry.version, status=status, cancel_reason="Sick")


def table(view: MetricsView) -> dict[str, list[str]]:
    model = view.model
    return {model.index(row, 0).data(): [model.index(row, n).data()
                                         for n in range(1, model.columnCount())]
            for row in range(model.rowCount())}


def reloaded(qtbot: QtBot, view: MetricsView) -> None:
    before = view.shown
    qtbot.waitUntil(lambda: view.shown is not before and not view.loading, timeout=TIMEOUT)


def test_the_weeks_figures_per_provider_and_in_all(
    qtbot: QtBot, context: AppContext, schedule: Schedule, view: MetricsView,
    workspace: Workspace,
) -> None:
    # the clock says Monday DAY 08:30
    moved(context, schedule, schedule.book(context, 8), "arrived", "in_room", "completed")
    moved(context, schedule, schedule.book(context, 8, 20, patient=1), "arrived")
    moved(context, schedule, schedule.book(context, 9, patient=2), "no_show")
    moved(context, schedule, schedule.book(context, 9, 20, patient=3), "cancelled")
    schedule.book(context, 10, patient=1)
    moved(context, schedule, schedule.book(context, 9, provider=1), "confirmed")
    schedule.book(context, 9, provider=1, patient=2, day=DAY + timedelta(days=4))
    schedule.book(context, 9, provider=1, patient=3, day=DAY + timedelta(days=7))  # next week
    workspace.announce(Changed.SCHEDULE)
    reloaded(qtbot, view)
    assert [view.model.headerData(n, Qt.Orientation.Horizontal) for n in range(7)] == HEADERS
    assert view.heading.text() == "Mon 09/13/2027 \u2013 Sun 09/19/2027"
    figures = table(view)
    assert list(figures)[-1] == "All providers"
    #                             total upcoming completed scheduled cancelled no-show
    assert figures["Harper Quinn"] == ["5", "1", "1", "2", "1", "1"]
    assert figures["Mateo Ruiz"] == ["2", "2", "0", "2", "0", "0"]
    assert figures["Elena Márquez"] == ["0"] * 6  # every provider, zeros included
    assert figures["All providers"] == ["7", "3", "1", "4", "1", "1"]
    assert view.model.index(view.model.rowCount() - 1, 0).data(Qt.ItemDataRole.FontRole).bold()

    select_data(view.provider, schedule.providers[1])
    reloaded(qtbot, view)
    assert table(view) == {"Mateo Ruiz": ["2", "2", "0", "2", "0", "0"],
                           "All providers": ["2", "2", "0", "2", "0", "0"]}


def test_named_periods_a_backwards_range_and_the_export(
    qtbot: QtBot, view: MetricsView, context: AppContext, schedule: Schedule, tmp_path: Path,
) -> None:
    assert period_days(THIS_MONTH, date(2027, 2, 14)) == (date(2027, 2, 1), date(2027, 2, 28))
    assert period_days(LAST_MONTH, date(2027, 1, 5)) == (date(2026, 12, 1), date(2026, 12, 31))
    select_data(view.period, THIS_MONTH)
    reloaded(qtbot, view)
    assert view.heading.text() == "Wed 09/01/2027 \u2013 Thu 09/30/2027"
    assert view.first_day.isReadOnly()
    schedule.book(context, 11)
    select_data(view.period, CUSTOM)
    assert not view.first_day.isReadOnly() and view.first_day.hasFocus()
    view.first_day.clear()
    qtbot.keyClicks(view.first_day, "09/14/2027")
    view.last_day.clear()
    qtbot.keyClicks(view.last_day, "09/13/2027")
    loads = view._loads
    qtbot.keyClick(view.last_day, Qt.Key.Key_Return)
    assert view.errors.shown() == {"last_day": "To: on or after the first day."}
    assert view.last_day.hasFocus() and view._loads == loads  # nothing asked
    view.first_day.clear()
    qtbot.keyClicks(view.first_day, "09/13/2027")
    qtbot.keyClick(view.first_day, Qt.Key.Key_Return)
    reloaded(qtbot, view)
    assert view.errors.shown() == {}
    assert table(view)["All providers"] == ["1", "1", "0", "1", "0", "0"]
    path = tmp_path / "figures.csv"  # where the user says to save it
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text() == "Saved figures.csv.", timeout=TIMEOUT)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["first_day", "last_day", "provider", "total", "upcoming", "completed",
                       "scheduled", "cancelled", "no_show"]
    assert rows[-1] == ["2027-09-13", "2027-09-13", "All providers", "1", "1", "0", "1", "0",
                        "0"]
    text = path.read_text(encoding="utf-8")
    assert "Calendar" not in text  # no patient's name (they are all "Calendar…")
