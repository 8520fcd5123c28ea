"""The Find tab's logic: search while typing, choose with the arrows, open with Enter.

Each pause in typing (``DEBOUNCE_MS``) sends one search through the task runner. Searches may
finish out of order (a short prefix scans more than a long one), so only the latest one sent
is shown; an older one that finishes later is dropped. Enter opens only a row the user can
see for what is typed now: while the results are behind the box, Enter searches at once and
waits for the next Enter, so it never opens a patient picked for an older text. An empty box
lists the patients this user opened last.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.domain.patients.search import (
    DEFAULT_LIMIT,
    PatientMatch,
    recent_patients,
    search_patients,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.models.patient_matches import PatientMatchesModel
from medtrack_desktop.ui.patients.common import PatientPick
from medtrack_desktop.ui.patients.search_panel_view import SearchPanelView
from medtrack_desktop.ui.service_calls import service_job
from medtrack_desktop.ui.tasks import while_shown
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed, Workspace

DEBOUNCE_MS = 150
RECENT_LIMIT = 10
SearchService = Callable[..., list[PatientMatch]]


class SearchPanel(QObject):
    """``sig_opened(PatientHeader)`` when a patient chosen here is open in the workspace.
    ``search`` is the search service (tests wrap the real one to finish late)."""

    sig_opened = Signal(object)

    def __init__(
        self, *, context: AppContext, actor: Actor, workspace: Workspace,
        view: SearchPanelView | None = None, search: SearchService = search_patients,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__()
        self._context, self._actor, self._search = context, actor, search
        self.model = PatientMatchesModel(today=lambda: clinic_today(context.seat))
        self.view = view or SearchPanelView(self.model)
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.model.setParent(self.view)
        self._pick = PatientPick(workspace, self)
        self._pick.sig_opened.connect(self.sig_opened)
        self._timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self._timer.timeout.connect(self.search_now)
        self._sent = 0  # the number of the latest search sent
        self._shown: str | None = None  # the text whose results are on screen
        query = self.view.query
        query.textChanged.connect(lambda _text: self._timer.start())
        query.sig_move.connect(self.move)
        query.sig_escape.connect(query.clear)
        query.returnPressed.connect(self.open_selected)
        self.view.table.activated.connect(self._activated)
        workspace.sig_changed.connect(self._data_changed)
        workspace.sig_patient_changed.connect(self._patient_changed)
        self.search_now()

    def text(self) -> str:
        return " ".join(self.view.query.text().split())

    @property
    def current(self) -> bool:
        """The results on screen are those of the text in the box."""
        return self._shown == self.text()

    def search_now(self) -> None:
        """Search for what is in the box now (the recently opened when it is empty)."""
        self._timer.stop()
        text = self.text()
        self._sent += 1
        number = self._sent
        store, actor = self._context.store, self._actor
        job = (service_job(store, actor, self._search, query=text,
                           today=clinic_today(self._context.seat)) if text
               else service_job(store, actor, recent_patients, limit=RECENT_LIMIT))
        self._context.tasks.start(
            "patients.search", job,
            on_done=while_shown(self.view, lambda found: self._arrived(number, text, found)),
            on_failed=while_shown(self.view, lambda error: self._failed(number, error)),
        )

    def _arrived(self, number: int, text: str, matches: list[PatientMatch]) -> None:
        if number != self._sent:
            return  # an older search: the latest one is still on its way
        self._shown = text
        self.view.show_error("")
        self.model.set_rows(matches)
        self.view.heading.setText("Matches" if text else "Recently opened")
        self.view.status.setText(self._status(text, len(matches)))
        if matches:
            self.view.table.selectRow(0)

    def _status(self, text: str, count: int) -> str:
        if not text:
            return ("Type a name, date of birth, MRN, phone or the last 4 digits of an SSN."
                    if count else "No patients opened yet: type to search.")
        if count == 0:
            register = (" Press Ctrl+N to register a new patient."
                        if self._actor.can("patient.write") else "")
            return f"No patient matches “{text}”.{register}"
        if count >= DEFAULT_LIMIT:
            return f"The first {count} matches: type more to narrow them."
        return "1 match" if count == 1 else f"{count} matches"

    def _failed(self, number: int, error: Exception) -> None:
        if number == self._sent:
            self.view.show_error(plain_message(error, doing="search for patients"))

    def move(self, rows: int) -> None:
        """Move the chosen row by ``rows`` (the arrows in the box), within the results."""
        count = self.model.rowCount()
        if count:
            row = self.view.table.currentIndex().row()
            self.view.table.selectRow(max(0, min(count - 1, row + rows if row >= 0 else 0)))

    def open_selected(self) -> None:
        if not self.current:
            self.view.status.setText("Searching…")
            self.search_now()
            return
        match = self.model.row_at(self.view.table.currentIndex().row())
        if match is not None:
            self._pick.open(match.id)

    def _activated(self, index: QModelIndex) -> None:
        if (match := self.model.row_at(index.row())) is not None:
            self._pick.open(match.id)

    def _data_changed(self, changed: Changed) -> None:
        if Changed.PATIENTS in changed:
            self.search_now()

    def _patient_changed(self, patient: PatientHeader | None) -> None:
        if patient is not None and not self.text():
            self.search_now()  # the patient just opened heads the recent list
