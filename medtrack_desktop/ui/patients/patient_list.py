"""The All patients tab's logic: counts, filters, sorting, and the list loaded page by page.

Nothing is read until the tab is first shown (``ensure_loaded``): a front desk that only
searches never pays for counting a large clinic. Each change of sort or filter starts a new
keyset query from its first page; the model fetches the next page when the user scrolls to
the end. The day the ages count from is fixed per query, so its pages agree with each other.
Sorting is by header click or, from the keyboard, the Sort by box; the two stay in step.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QSignalBlocker, Qt, QTimer, Signal

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.listing import (
    PageCursor,
    PatientFilter,
    PatientPage,
    PatientStatistics,
    Sort,
    list_patients,
    patient_statistics,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.models.patient_list import PatientListModel
from medtrack_desktop.ui.patients.common import PatientPick
from medtrack_desktop.ui.patients.patient_list_view import PatientListView
from medtrack_desktop.ui.service_calls import service_job
from medtrack_desktop.ui.tasks import while_shown
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed, Workspace

PAGE_SIZE = 200
NAME_DEBOUNCE_MS = 250
ASCENDING, DESCENDING = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
# Header column -> the sort it asks for, and whether ascending in that column is descending
# in the sort (a younger age is a later birth date).
SORT_COLUMNS: dict[int, tuple[Sort, bool]] = {
    0: ("name", False), 1: ("date_of_birth", False), 2: ("date_of_birth", True),
    4: ("mrn", False), 8: ("created_at", False),
}
SORT_CHOICES: tuple[tuple[str, int, Qt.SortOrder], ...] = (
    ("Name, A to Z", 0, ASCENDING), ("Name, Z to A", 0, DESCENDING),
    ("Oldest first", 1, ASCENDING), ("Youngest first", 1, DESCENDING),
    ("MRN", 4, ASCENDING), ("Newest registered", 8, DESCENDING),
    ("First registered", 8, ASCENDING),
)


def _sort_of(column: int, order: Qt.SortOrder) -> tuple[Sort, bool]:
    sort, reversed_ = SORT_COLUMNS[column]
    return sort, reversed_ != (order == DESCENDING)


class PatientList(QObject):
    """``sig_opened(PatientHeader)`` when a patient chosen here is open in the workspace."""

    sig_opened = Signal(object)

    def __init__(
        self, *, context: AppContext, actor: Actor, workspace: Workspace,
        view: PatientListView | None = None, page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__()
        self._context, self._actor, self._page_size = context, actor, page_size
        self.model = PatientListModel(tasks=context.tasks,
                                      today=lambda: clinic_today(context.seat),
                                      timezone=context.seat.clinic_timezone)
        self.view = view or PatientListView(self.model,
                                            sort_choices=[c[0] for c in SORT_CHOICES])
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.model.setParent(self.view)
        self.loaded = False
        self._column, self._order = 0, ASCENDING
        self._pick = PatientPick(workspace, self)
        self._pick.sig_opened.connect(self.sig_opened)
        self._name_timer = QTimer(self, singleShot=True, interval=NAME_DEBOUNCE_MS)
        self._name_timer.timeout.connect(self.reload)
        view = self.view
        header = view.table.horizontalHeader()
        header.setSortIndicator(self._column, self._order)
        header.sortIndicatorChanged.connect(self._header_sorted)
        view.sort.currentIndexChanged.connect(self._sort_chosen)
        for combo in (view.sex, view.age, view.status_filter):
            combo.currentIndexChanged.connect(self.reload)
        view.last_name.textChanged.connect(lambda _text: self._name_timer.start())
        view.table.activated.connect(self._activated)
        self.model.sig_page_loaded.connect(self._show_count)
        self.model.sig_failed.connect(
            lambda error: view.show_error(plain_message(error, doing="list the patients")))
        workspace.sig_changed.connect(self._data_changed)

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.refresh()

    def refresh(self) -> None:
        """Count again and list again from the top."""
        self.loaded = True
        self.view.stats.total.setText("…")
        self._context.tasks.start(
            "patients.statistics",
            service_job(self._context.store, self._actor, patient_statistics,
                        today=clinic_today(self._context.seat)),
            on_done=while_shown(self.view, self._counted),
            on_failed=while_shown(self.view, lambda error: self.view.show_error(
                plain_message(error, doing="count the patients"))),
        )
        self.reload()

    def filters(self) -> PatientFilter:
        view = self.view
        return PatientFilter(sex=view.sex.currentData(), age_group=view.age.currentData(),
                             status=view.status_filter.currentData(),
                             last_name_prefix=view.last_name.text())

    def reload(self) -> None:
        """List from the first page with the sort and filters shown now."""
        self._name_timer.stop()
        self.view.show_error("")
        self.view.status.setText("Loading…")
        store, actor, limit = self._context.store, self._actor, self._page_size
        sort, descending = _sort_of(self._column, self._order)
        today, filters = clinic_today(self._context.seat), self.filters()

        def page(cursor: PageCursor | None) -> PatientPage:
            return perform(store, actor, list_patients, today=today, sort=sort,
                           descending=descending, after=cursor, limit=limit, filters=filters)

        self.model.load(page)

    def _counted(self, statistics: PatientStatistics) -> None:
        self.view.stats.show_statistics(statistics)

    def _show_count(self) -> None:
        count = self.model.rowCount()
        noun = "patient" if count == 1 else "patients"
        if not self.model.complete:
            text = f"{count:,} {noun} shown: scroll down for more"
        elif count == 0:
            text = "No patient matches these filters."
        else:
            text = f"{count:,} {noun}"
        self.view.status.setText(text)

    def _header_sorted(self, column: int, order: Qt.SortOrder) -> None:
        if column not in SORT_COLUMNS:  # sex, phone…: keep the sort as it was
            self._show_sort()
            return
        self._column, self._order = column, order
        self._show_sort()
        self.reload()

    def _sort_chosen(self, choice: int) -> None:
        _text, self._column, self._order = SORT_CHOICES[choice]
        self._show_sort()
        self.reload()

    def _show_sort(self) -> None:
        """The header arrow and the Sort by box both show the sort in force."""
        header, combo = self.view.table.horizontalHeader(), self.view.sort
        wanted = _sort_of(self._column, self._order)
        choice = next((i for i, (_text, column, order) in enumerate(SORT_CHOICES)
                       if _sort_of(column, order) == wanted), -1)
        with QSignalBlocker(header), QSignalBlocker(combo):
            header.setSortIndicator(self._column, self._order)
            combo.setCurrentIndex(choice)

    def _activated(self, index: QModelIndex) -> None:
        if (row := self.model.row_at(index.row())) is not None:
            self._pick.open(row.id)

    def _data_changed(self, changed: Changed) -> None:
        if Changed.PATIENTS in changed and self.loaded:
            self.refresh()
