"""Choosing a patient in a form (the calendar's booking dialog, the waitlist's): the registry's
search box and result table, the pieces of the Patients module's Find tab, while typing.

Each pause in typing sends one search; only the latest one sent is shown, and its first match
is chosen until another is (Up/Down or a click). Whoever was chosen is forgotten as soon as
the text changes, so a quick OK never saves the patient of an older text. Enter in the box
chooses the highlighted match and moves on (never submits the form).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.search import PatientMatch, search_patients
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.patient_matches import PatientMatchesModel
from medtrack_desktop.ui.patients.search_panel_view import (
    PLACEHOLDER,
    SearchLineEdit,
    patient_table,
)
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text
from medtrack_desktop.ui.widgets.date_field import clinic_today

DEBOUNCE_MS = 150
NOBODY = "No patient chosen: type to search, Up/Down to choose."


class PatientPicker(QWidget):
    """A search box over its matches and a line naming who is chosen (``patient_id``).
    ``sig_chosen(PatientMatch)`` when a patient is chosen; ``sig_failed(str)`` when a search
    failed (the form shows it at its patient field); ``sig_done`` on Enter once chosen."""

    sig_chosen = Signal(object)
    sig_failed = Signal(str)
    sig_done = Signal()

    def __init__(self, context: AppContext, actor: Actor, *, name: str = "Patient",
                 chosen_prefix: str = "Chosen", matches_height: int = 120) -> None:
        super().__init__()
        self._context, self._prefix = context, chosen_prefix
        self._calls = ServiceCaller(context, actor, self)
        self._sent = 0
        self.patient_id: uuid.UUID | None = None
        self.query = SearchLineEdit(placeholderText=PLACEHOLDER)
        self.query.setAccessibleName(name)
        self.model = PatientMatchesModel(today=lambda: clinic_today(context.seat))
        self.model.setParent(self)
        self.matches = patient_table(self.model, f"{name} matches")
        self.matches.setMinimumHeight(matches_height)
        self.chosen = QLabel(NOBODY, objectName="muted", wordWrap=True)
        self.chosen.setAccessibleName(f"Chosen {name.lower()}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.query)
        layout.addWidget(self.matches, 1)
        layout.addWidget(self.chosen)
        self.setFocusProxy(self.query)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.query.textChanged.connect(self._typed)
        self.query.sig_move.connect(self._move)
        self.query.installEventFilter(self)
        self.matches.clicked.connect(lambda index: self.choose(self.model.row_at(index.row())))
        self.matches.activated.connect(lambda index: self.choose(self.model.row_at(index.row())))

    def _typed(self, _text: str) -> None:
        self.patient_id = None
        self.chosen.setText("Searching\u2026" if self.query.text().strip() else NOBODY)
        self._timer.start()

    def search_now(self) -> None:
        self._timer.stop()
        text = " ".join(self.query.text().split())
        self._sent += 1
        if not text:
            self.model.set_rows([])
            self.patient_id = None
            return
        number = self._sent
        self._calls.start("patients.search", search_patients,
                          on_done=lambda found: self._found(number, found),
                          on_failed=lambda error: self._failed(number, error),
                          query=text, today=clinic_today(self._context.seat))

    def _found(self, number: int, matches: list[PatientMatch]) -> None:
        if number != self._sent:
            return  # an older search: the latest one is still on its way
        self.model.set_rows(matches)
        if matches:
            self.matches.selectRow(0)
            self.choose(matches[0], announce=False)
        else:
            self.patient_id = None
            self.chosen.setText("No patient matches: check the spelling, or register the "
                                "patient first (Patients, Ctrl+2).")

    def _failed(self, number: int, error: Exception) -> None:
        if number == self._sent:
            self.sig_failed.emit(error_text(error, doing="search for patients"))

    def _move(self, rows: int) -> None:
        count = self.model.rowCount()
        if count:
            row = max(0, min(count - 1, self.matches.currentIndex().row() + rows))
            self.matches.selectRow(row)
            self.choose(self.model.row_at(row))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if (watched is self.query and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self._timer.stop()
            if self.patient_id is None and self.query.text().strip():
                self.search_now()  # the first match is chosen when it arrives
            elif self.patient_id is not None:
                self.sig_done.emit()
            return True
        return super().eventFilter(watched, event)

    def choose(self, match: PatientMatch | None, *, announce: bool = True) -> None:
        """``match`` is the patient chosen: the first match of a search until the user
        chooses another (then named more boldly: ``announce``)."""
        if match is None:
            return
        self.patient_id = match.id
        self.chosen.setText(f"{self._prefix}: {match.display_name} \u00b7 "
                            f"DOB {match.date_of_birth:%m/%d/%Y} \u00b7 MRN {match.mrn}")
        self.chosen.setObjectName("sectionTitle" if announce else "muted")
        self.chosen.style().unpolish(self.chosen)
        self.chosen.style().polish(self.chosen)
        self.sig_chosen.emit(match)
