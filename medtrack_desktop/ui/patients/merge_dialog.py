"""Merge two records of one person: find both, compare them side by side, choose the one that
stays, say why, confirm.

Every search, each record's details and the merge itself run off the GUI thread as one
``perform`` each; a result that arrives for a query or a pick the user has since changed is
dropped. After a merge the window's views are told (``Changed.PATIENTS``) and the record that
stayed is opened. The window title carries no PHI.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import PatientNotFound
from medtrack_desktop.domain.patients.merge import (
    MergeCandidate,
    MergeReasonError,
    MergeRefused,
    MergeResult,
    clean_merge_reason,
    merge_candidate,
    merge_patients,
)
from medtrack_desktop.domain.patients.search import PatientMatch, search_patients
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.tasks import while_shown
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Changed, Workspace

SIDES = ("A", "B")
SEARCH_DELAY_MS = 250
_SAFE_ERRORS = (PermissionDenied, PatientNotFound, MergeRefused)
_DIFFERS = QColor("#fff1cc")
# How the comparison names the rows that point at a patient; other tables by their own name.
_TABLE_NAMES = {
    "patient_care_team": "care team", "patient_consents": "consents",
    "patient_guarantors": "guarantor", "patient_history": "history entries",
    "patient_insurance": "insurance policies", "users": "portal logins",
}


def _name(c: MergeCandidate) -> str:
    d = c.record.demographics
    given = " ".join(part for part in (d.first_name, d.middle_name) if part)
    return f"{d.last_name}, {given}" if given else d.last_name


def _address(c: MergeCandidate) -> str:
    d = c.record.demographics
    region = " ".join(part for part in (d.state, d.postal_code) if part)
    return ", ".join(part for part in (d.address_line1, d.address_line2, d.city, region) if part)


def _phones(c: MergeCandidate) -> str:
    d = c.record.demographics
    return "; ".join(f"{kind} {number}" for kind, number in (
        ("mobile", d.phone_mobile), ("home", d.phone_home), ("work", d.phone_work)) if number)


def _records(c: MergeCandidate) -> str:
    return ", ".join(f"{_TABLE_NAMES.get(table, table.replace('_', ' '))}: {count}"
                     for table, count in sorted(c.linked.items()))


# (row label, what it shows of a record, whether a difference matters)
_ROWS: tuple[tuple[str, Callable[[MergeCandidate], str], bool], ...] = (
    ("MRN", lambda c: c.record.mrn, False),
    ("Name", _name, True),
    ("Preferred name", lambda c: c.record.demographics.preferred_name, True),
    ("Date of birth", lambda c: f"{c.record.demographics.date_of_birth:%Y-%m-%d}", True),
    ("Sex", lambda c: c.record.demographics.sex, True),
    ("Address", _address, True),
    ("Phones", _phones, True),
    ("Email", lambda c: c.record.demographics.email, True),
    ("SSN", lambda c: f"ends {c.record.ssn_last4}" if c.record.ssn_last4 else "", True),
    ("Restricted", lambda c: "yes" if c.record.restricted else "no", True),
    ("Portal login", lambda c: ", ".join(c.portal_logins), False),
    ("Records", _records, False),
)


def _match_text(match: PatientMatch) -> str:
    flags = "".join(f" · {flag}" for flag, on in (("restricted", match.restricted),
                                                   ("deceased", match.deceased)) if on)
    return (f"{match.display_name} · DOB {match.date_of_birth:%Y-%m-%d} · {match.sex} · "
            f"MRN {match.mrn}{flags}")


class PatientPicker(QWidget):
    """One side's search box and matches. ``sig_query(text)`` when the typed text settles,
    ``sig_picked(id, text)`` when a match is chosen: Enter in the box takes the highlighted (or
    first) match, Down moves into the list, Enter or a double-click there takes one."""

    sig_query = Signal(str)
    sig_picked = Signal(object, str)

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Name, date of birth, MRN or phone")
        self.search.setAccessibleName(f"Search for record {side}")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.matches = QListWidget()
        self.matches.setAccessibleName(f"Matches for record {side}")
        self.matches.setFixedHeight(self.matches.fontMetrics().lineSpacing() * 4 + 8)
        self.chosen = QLabel("Nothing chosen yet.", objectName="muted", wordWrap=True)
        self.chosen.setAccessibleName(f"Record {side} chosen")
        self.chosen.setTextFormat(Qt.TextFormat.PlainText)  # names are never markup
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName(f"Record {side} error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"Record &{side}:", buddy=self.search))
        layout.addWidget(self.search)
        layout.addWidget(self.matches)
        layout.addWidget(self.chosen)
        layout.addWidget(self.error)
        self._settle = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._settle.timeout.connect(lambda: self.sig_query.emit(self.query()))
        self.search.textChanged.connect(self._settle.start)
        self.search.returnPressed.connect(self._take_current)
        self.matches.itemActivated.connect(self._take)

    def query(self) -> str:
        return self.search.text().strip()

    def show_matches(self, matches: list[PatientMatch]) -> None:
        self.matches.clear()
        for match in matches:
            item = QListWidgetItem(_match_text(match), self.matches)
            item.setData(Qt.ItemDataRole.UserRole, match.id)
        if matches:
            self.matches.setCurrentRow(0)
        elif self.query():
            QListWidgetItem("No match", self.matches).setFlags(Qt.ItemFlag.NoItemFlags)

    def show_chosen(self, text: str) -> None:
        self.chosen.setText(text)
        self.set_error("")

    def set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _take_current(self) -> None:
        item = self.matches.currentItem() or self.matches.item(0)
        if item is not None:
            self._take(item)

    def _take(self, item: QListWidgetItem) -> None:
        patient_id = item.data(Qt.ItemDataRole.UserRole)
        if patient_id is not None:
            self.sig_picked.emit(patient_id, item.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # a Qt override: camelCase
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down
                and self.matches.count()):
            self.matches.setFocus()
            return True
        return super().eventFilter(watched, event)


class MergeDialog(QDialog):
    """Pick, compare and merge two records (see the module doc). Record A starts as the
    window's open patient, if any. ``confirm`` asks the last question (tests answer it);
    ``merge_result`` holds the ``MergeResult`` once the merge is done."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace,
                 parent: QWidget | None = None, *, confirm: Confirm = ask) -> None:
        super().__init__(parent)
        self._context, self._actor, self._workspace = context, actor, workspace
        self._confirm = confirm
        self.merge_result: MergeResult | None = None
        self.candidates: dict[str, MergeCandidate | None] = dict.fromkeys(SIDES)
        self._wanted: dict[str, uuid.UUID | None] = dict.fromkeys(SIDES)
        self.setWindowTitle("Merge duplicate records")

        intro = QLabel("Find the two records of one person and compare them. Everything "
                       "recorded under the one that goes away moves to the one that stays.",
                       wordWrap=True)
        self.pickers = {side: PatientPicker(side) for side in SIDES}
        self.comparison = QTableWidget(len(_ROWS), 4)
        self.comparison.setAccessibleName("Comparison of the two records")
        self.comparison.setHorizontalHeaderLabels(["", "Record A", "Record B", "Compare"])
        self.comparison.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.comparison.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.comparison.setWordWrap(True)
        self.comparison.verticalHeader().hide()
        self.comparison.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)  # wrapped rows follow the column widths
        header = self.comparison.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for row, (label, _value, _matters) in enumerate(_ROWS):
            item = QTableWidgetItem(label)
            item.setFont(self._bold())
            self.comparison.setItem(row, 0, item)

        self.keep_a = QRadioButton("&Keep A, merge B into it")
        self.keep_b = QRadioButton("K&eep B, merge A into it")
        self.keep_a.setChecked(True)
        keep = QButtonGroup(self)
        keep.addButton(self.keep_a)
        keep.addButton(self.keep_b)
        self.summary = QLabel(objectName="muted", wordWrap=True)
        self.summary.setAccessibleName("What the merge will do")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for the merge")
        self.reason.setPlaceholderText("e.g. Registered twice: same DOB, phone and insurance "
                                       "card; patient confirmed at the desk")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 2 + 12)
        self.reason_error = QLabel(objectName="fieldError", wordWrap=True)
        self.reason_error.setAccessibleName("Reason error")
        self.reason_error.hide()
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Merge error")
        self.error.hide()
        self.status = QLabel(objectName="muted")
        buttons = QDialogButtonBox()
        # Not an accept button and never a default one: Enter in a search box or the match
        # list picks a match; it must never start a merge.
        self.merge_button = buttons.addButton("&Merge\u2026",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        for button in (self.merge_button, close):
            button.setAutoDefault(False)
        self.merge_button.clicked.connect(self.start_merge)
        buttons.rejected.connect(self.reject)

        sides = QHBoxLayout()
        for side in SIDES:
            sides.addWidget(self.pickers[side], 1)
        survivor = QHBoxLayout()
        survivor.addWidget(self.keep_a)
        survivor.addWidget(self.keep_b)
        survivor.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(sides)
        layout.addWidget(self.comparison, 1)
        layout.addLayout(survivor)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("&Reason:", buddy=self.reason))
        layout.addWidget(self.reason)
        layout.addWidget(self.reason_error)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(960, 780)

        for side, picker in self.pickers.items():
            picker.sig_query.connect(lambda text, s=side: self._search(s, text))
            picker.sig_picked.connect(lambda patient_id, text, s=side: self.pick(s, patient_id,
                                                                                   text))
        self.keep_a.toggled.connect(self._update_summary)
        self._update_summary()
        if workspace.patient is not None:
            opened = workspace.patient
            self.pick("A", opened.id, f"{opened.display_name} · MRN {opened.mrn}")
            self.pickers["B"].search.setFocus()
        else:
            self.pickers["A"].search.setFocus()

    # -- running service calls ---------------------------------------------------------------

    def _run(self, name: str, service: Callable[..., Any], on_done: Callable[[Any], None],
             on_failed: Callable[[Exception], None], **kwargs: Any) -> None:
        store, actor = self._context.store, self._actor
        self._context.tasks.start(
            name, lambda _progress, _cancelled: perform(store, actor, service, **kwargs),
            on_done=while_shown(self, on_done), on_failed=while_shown(self, on_failed))

    @staticmethod
    def _message(error: Exception) -> str:
        if isinstance(error, _SAFE_ERRORS):
            return str(error)
        return "Something went wrong; nothing was changed. Try again."

    def _search(self, side: str, query: str) -> None:
        picker = self.pickers[side]
        if not query:
            picker.show_matches([])
            return
        today = datetime.now(ZoneInfo(self._context.seat.clinic_timezone)).date()

        def found(matches: list[PatientMatch]) -> None:
            if picker.query() == query:
                picker.show_matches(matches)

        self._run("patient.search", search_patients, found,
                  lambda error: picker.set_error(self._message(error)), query=query, today=today)

    def pick(self, side: str, patient_id: uuid.UUID, text: str) -> None:
        """Choose record ``side`` and load what the comparison shows of it."""
        self._wanted[side] = patient_id
        self.candidates[side] = None
        self.pickers[side].show_chosen(f"Chosen: {text} (loading\u2026)")
        self._show_comparison()

        def loaded(candidate: MergeCandidate) -> None:
            if self._wanted[side] == candidate.record.id:
                self.candidates[side] = candidate
                self.pickers[side].show_chosen(f"Chosen: {text}")
                self._show_comparison()

        def failed(error: Exception) -> None:
            if self._wanted[side] == patient_id:
                self.pickers[side].show_chosen(f"Not chosen: {text}")
                self.pickers[side].set_error(self._message(error))

        self._run("patient.merge_candidate", merge_candidate, loaded, failed,
                  patient_id=patient_id)

    # -- comparison --------------------------------------------------------------------------

    @staticmethod
    def _bold() -> QFont:
        font = QFont()
        font.setBold(True)
        return font

    def _show_comparison(self) -> None:
        a, b = (self.candidates[side] for side in SIDES)
        for column, candidate, side in ((1, a, "A"), (2, b, "B")):
            self.comparison.horizontalHeaderItem(column).setText(
                f"Record {side} · MRN {candidate.record.mrn}" if candidate else f"Record {side}")
        for row, (_label, value, matters) in enumerate(_ROWS):
            shown = [(value(c) or "\u2014") if c else "" for c in (a, b)]
            compared = matters and a is not None and b is not None
            differs = compared and shown[0] != shown[1]
            verdict = ("Differs" if differs else "Same") if compared else ""
            for column, text in enumerate((*shown, verdict), start=1):
                item = QTableWidgetItem(text)
                if differs:
                    item.setBackground(_DIFFERS)
                    item.setFont(self._bold())
                self.comparison.setItem(row, column, item)
        self._update_summary()

    def _sides(self) -> tuple[str, str]:
        """(side that stays, side that goes)."""
        return ("A", "B") if self.keep_a.isChecked() else ("B", "A")

    def _update_summary(self) -> None:
        stays, goes = (self.candidates[side] for side in self._sides())
        if stays is None or goes is None:
            self.summary.setText("Choose both records to see what the merge will do.")
            return
        moving = sum(goes.linked.values())
        self.summary.setText(
            f"MRN {goes.record.mrn} will be closed for good and point to MRN "
            f"{stays.record.mrn}; its {moving} linked record{'' if moving == 1 else 's'} move "
            f"there. The demographics of MRN {stays.record.mrn} are kept.")

    # -- merging -----------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.merge_button, self.reason, self.keep_a, self.keep_b,
                       *self.pickers.values()):
            widget.setEnabled(not busy)
        self.status.setText("Merging\u2026" if busy else "")

    def _valid_reason(self) -> str | None:
        try:
            return clean_merge_reason(self.reason.toPlainText())
        except MergeReasonError as error:
            self._reason_error(str(error))
            return None

    def _reason_error(self, message: str) -> None:
        self.reason_error.setText(message)
        self.reason_error.setVisible(bool(message))
        if message:
            self.reason.setFocus()

    def start_merge(self) -> None:
        """Check the choices at their fields, ask for confirmation, then merge off the GUI
        thread."""
        self.error.hide()
        self._reason_error("")
        for side in SIDES:
            if self.candidates[side] is None and self._wanted[side] is None:
                self.pickers[side].set_error(f"Find record {side} and press Enter to choose it.")
        stays, goes = (self.candidates[side] for side in self._sides())
        reason = self._valid_reason()
        if stays is None or goes is None or reason is None:
            return
        if stays.record.id == goes.record.id:
            self.error.setText("Choose two different records: A and B are the same record.")
            self.error.show()
            return
        kept, closed = stays.record.mrn, goes.record.mrn
        if not self._confirm(
            self, "Merge records",
            f"Merge MRN {closed} into MRN {kept}?\n\nEverything recorded under MRN {closed} "
            f"moves to MRN {kept}, and MRN {closed} is closed for good. This cannot be undone.",
        ):
            return
        self._set_busy(True)
        self._run("patient.merge", merge_patients, self._merged, self._merge_failed,
                  survivor_id=stays.record.id, merged_id=goes.record.id, reason=reason)

    def _merged(self, result: MergeResult) -> None:
        self.merge_result = result
        self._workspace.announce(Changed.PATIENTS)
        self._workspace.open_patient(result.survivor_id)
        self.accept()

    def _merge_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, MergeReasonError):
            self._reason_error(str(error))
            return
        self.error.setText(self._message(error))
        self.error.show()
