"""The patient list's table: filled page by page as the user scrolls (Qt's ``canFetchMore`` /
``fetchMore``), each page a keyset query run through the task runner.

The model never reaches the database: it is given a ``query`` (cursor → page, run on a worker
thread) and keeps the rows that came back. A new query drops pages still in flight for the
old one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Signal
from shiboken6 import isValid

from medtrack_desktop.domain.patients.listing import PageCursor, PatientListRow, PatientPage
from medtrack_desktop.ui.models.patient_matches import RESTRICTED, PatientRowsModel, person_columns
from medtrack_desktop.ui.models.rows import Column, Index
from medtrack_desktop.ui.tasks import TaskRunner

PageQuery = Callable[[PageCursor | None], PatientPage]

STATUS_TEXT = {"active": "Active", "inactive": "Inactive", "deceased": "Deceased"}


class PatientListModel(PatientRowsModel[PatientListRow]):
    """``sig_page_loaded`` after each page arrives; ``sig_failed(Exception)`` when one fails
    (the controller says so; scrolling asks again)."""

    sig_page_loaded = Signal()
    sig_failed = Signal(object)

    def __init__(self, *, tasks: TaskRunner, today: Callable[[], date], timezone: str) -> None:
        zone = ZoneInfo(timezone)
        columns: tuple[Column[PatientListRow], ...] = (
            *person_columns(today),
            Column("Status", lambda r: STATUS_TEXT[r.status]),
            Column("Record", lambda r: RESTRICTED if r.restricted else ""),
            Column("Registered", lambda r: f"{r.created_at.astimezone(zone):%Y-%m-%d}"),
        )
        super().__init__(columns, marker=len(columns) - 2)
        self._tasks = tasks
        self._query: PageQuery | None = None
        self._next: PageCursor | None = None
        self._loading = False
        self._generation = 0

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def complete(self) -> bool:
        """Every row of the query is here (nothing more to fetch)."""
        return self._query is not None and not self._loading and self._next is None

    def load(self, query: PageQuery) -> None:
        """Start over with ``query``: empty the table and fetch its first page."""
        self._generation += 1
        self._query, self._next = query, None
        self.set_rows([])
        self._fetch(None)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._next is not None and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._fetch(self._next)

    def _fetch(self, cursor: PageCursor | None) -> None:
        query, generation = self._query, self._generation
        assert query is not None
        self._loading = True
        self._tasks.start(
            "patients.page", lambda _progress, _cancelled: query(cursor),
            on_done=lambda page: self._arrived(generation, page),
            on_failed=lambda error: self._failed(generation, error),
        )

    def _current(self, generation: int) -> bool:
        """False for a page of an older query, or once the table is gone (signed out)."""
        return isValid(self) and generation == self._generation

    def _arrived(self, generation: int, page: PatientPage) -> None:
        if self._current(generation):
            self._loading, self._next = False, page.next
            self.append_rows(page.rows)
            self.sig_page_loaded.emit()

    def _failed(self, generation: int, error: Exception) -> None:
        if self._current(generation):
            self._loading = False
            self.sig_failed.emit(error)
