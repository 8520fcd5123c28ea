"""The All patients tab over the demo clinic: counts, lazy pages, sorting, filters, opening."""

from __future__ import annotations

from datetime import date

import pytest
from demo_users import sign_in
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.listing import patient_statistics
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.patient_list import PatientList
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed, Workspace

PAGE = 15  # the demo clinic's 40 patients make three pages


@pytest.fixture
def patients(qtbot: QtBot, context: AppContext, frontdesk: Actor,
             workspace: Workspace) -> PatientList:
    listing = PatientList(context=context, actor=frontdesk, workspace=workspace,
                          page_size=PAGE)
    qtbot.addWidget(listing.view)
    listing.view.resize(1100, 520)  # room for about ten rows: the rest is further down
    listing.view.show()
    listing.view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is listing.view)
    assert listing.model.rowCount() == 0, "nothing is read before the tab is shown"
    listing.ensure_loaded()
    qtbot.waitUntil(lambda: listing.model.rowCount() == PAGE, timeout=10_000)
    settle(qtbot, context)
    return listing


def names(listing: PatientList) -> list[str]:
    return [row.display_name for row in listing.model.rows]


def load_all(qtbot: QtBot, listing: PatientList) -> None:
    """Scroll to the end until the last page is in."""
    bar = listing.view.table.verticalScrollBar()
    while not listing.model.complete:
        count = listing.model.rowCount()
        bar.setValue(bar.maximum())
        qtbot.waitUntil(lambda n=count: listing.model.rowCount() > n or listing.model.complete,
                        timeout=10_000)


def click_header(qtbot: QtBot, listing: PatientList, column: int) -> None:
    header = listing.view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(x, header.height() // 2))


def test_counts_by_sex_age_and_status(
    qtbot: QtBot, patients: PatientList, context: AppContext, frontdesk: Actor
) -> None:
    stats = perform(context.store, frontdesk, patient_statistics,
                    today=clinic_today(context.seat))
    panel = patients.view.stats
    assert panel.total.text() == "40" == f"{stats.total}"
    assert panel.value("sex", "female").text() == f"{stats.by_sex['female']}"
    assert panel.value("sex", "male").accessibleName() == "By sex: Male"
    assert [panel.value("age", g).text() for g in stats.by_age_group] == [
        f"{n}" for n in stats.by_age_group.values()]
    assert panel.value("status", "active").text() == "40"
    assert panel.value("status", "deceased").text() == "0"


def test_scrolling_to_the_end_loads_the_next_pages(
    qtbot: QtBot, patients: PatientList
) -> None:
    assert patients.view.status.text() == "15 patients shown: scroll down for more"
    bar = patients.view.table.verticalScrollBar()
    assert bar.maximum() > 0, "the first page fills more than the table shows"
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: patients.model.rowCount() == 2 * PAGE, timeout=10_000)
    load_all(qtbot, patients)
    assert patients.model.rowCount() == 40
    assert len(set(row.id for row in patients.model.rows)) == 40
    assert names(patients) == sorted(names(patients), key=lambda n: n.encode())
    assert patients.view.status.text() == "40 patients"


def test_header_clicks_and_the_sort_box_change_the_order(
    qtbot: QtBot, patients: PatientList
) -> None:
    def births() -> list[date]:
        return [row.date_of_birth for row in patients.model.rows]

    click_header(qtbot, patients, 1)  # date of birth
    qtbot.waitUntil(lambda: births() == sorted(births()) and len(births()) == PAGE,
                    timeout=10_000)
    oldest = births()[0]
    assert patients.view.sort.currentText() == "Oldest first"
    click_header(qtbot, patients, 1)  # again: the other way
    qtbot.waitUntil(lambda: bool(births()) and births()[0] != oldest, timeout=10_000)
    load_all(qtbot, patients)
    assert births() == sorted(births(), reverse=True) and births()[-1] == oldest
    assert patients.view.sort.currentText() == "Youngest first"

    header = patients.view.table.horizontalHeader()
    before = names(patients)
    click_header(qtbot, patients, 3)  # sex: not a sort
    assert header.sortIndicatorSection() == 1 and names(patients) == before

    # by keyboard: the Sort by box
    combo = patients.view.sort
    combo.setFocus()
    while combo.currentText() != "MRN":
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: patients.model.rowCount() == PAGE and not patients.model.loading,
                    timeout=10_000)
    mrns = [row.mrn for row in patients.model.rows]
    assert mrns == sorted(mrns) and header.sortIndicatorSection() == 4


def test_filters_narrow_the_list(qtbot: QtBot, patients: PatientList) -> None:
    view = patients.view
    view.sex.setCurrentIndex(view.sex.findData("male"))
    qtbot.waitUntil(lambda: not patients.model.loading, timeout=10_000)
    load_all(qtbot, patients)
    assert patients.model.rowCount() == 20
    assert {row.sex for row in patients.model.rows} == {"male"}

    view.last_name.setFocus()
    qtbot.keyClicks(view.last_name, "liu")
    qtbot.waitUntil(lambda: bool(names(patients)) and not patients.model.loading
                    and all(n.startswith("Liu") for n in names(patients)), timeout=10_000)
    assert len(names(patients)) == 3  # Hiroshi, Łukasz, Seán; Hélène is not male
    assert view.status.text() == "3 patients"

    view.status_filter.setCurrentIndex(view.status_filter.findData("deceased"))
    qtbot.waitUntil(lambda: patients.model.complete and patients.model.rowCount() == 0,
                    timeout=10_000)
    assert view.status.text() == "No patient matches these filters."


def test_enter_opens_the_chosen_patient(
    qtbot: QtBot, patients: PatientList, workspace: Workspace
) -> None:
    table = patients.view.table
    table.setFocus()
    table.selectRow(2)
    with qtbot.waitSignal(patients.sig_opened, timeout=10_000):
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert workspace.patient is not None
    assert workspace.patient.id == patients.model.rows[2].id


def test_a_change_to_patients_counts_and_lists_again(
    qtbot: QtBot, patients: PatientList, context: AppContext, workspace: Workspace
) -> None:
    perform(context.store, sign_in(context.store, "frontdesk"), register_patient,
            demographics=Demographics(last_name="Aaberg", first_name="Ida", sex="female",
                                      date_of_birth=date(1999, 9, 9)),
            today=clinic_today(context.seat))
    workspace.announce(Changed.PATIENTS)
    qtbot.waitUntil(lambda: patients.view.stats.total.text() == "41", timeout=10_000)
    qtbot.waitUntil(lambda: names(patients)[:1] == ["Aaberg, Ida"], timeout=10_000)
