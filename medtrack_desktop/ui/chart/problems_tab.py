"""The Problems tab: the patient's problem list, coded in ICD-10-CM where a code is known.

Keyboard: Insert adds a problem, Enter or F2 changes the selected one, Delete takes it off the
list as entered in error (confirmed; the record keeps it). The form finds a code as you type:
words ("type 2 diab") or a code ("E11.9"), Up/Down choose, Enter picks (code and title), Esc
clears the search. A problem without a code (free text) is allowed. The search runs on the task
runner, never on the GUI thread: the code set takes seconds to load the first time, and even
a loaded search should not make typing stutter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.chart import icd10
from medtrack_desktop.domain.chart.models import PROBLEM_STATUSES
from medtrack_desktop.domain.chart.problems import (
    ProblemEntry,
    ProblemInput,
    problems,
    remove_problem,
    save_problem,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_lists import ChartListTab, plural, set_code
from medtrack_desktop.ui.chart.chart_tab_parts import code_combo, code_label, day, text_area
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.service_calls import ServiceCaller
from medtrack_desktop.ui.widgets.date_field import DateField, read_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Workspace

DEBOUNCE_MS = 150
CODE_LIMIT = 25
NOT_BILLABLE = "Not billable: a category; choose a more specific code for a claim."
_MOVES = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8,
          Qt.Key.Key_PageDown: 8}
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def billable_text(billable: bool | None) -> str:
    return "" if billable is None else "Yes" if billable else "No"


class ProblemsModel(RowsTableModel[ProblemEntry]):
    def __init__(self) -> None:
        super().__init__((
            Column("Status", lambda p: code_label(p.status)),
            Column("Code", lambda p: p.code or "",
                   lambda p: p.code_system if p.code else "Free text: no code"),
            Column("Problem", lambda p: p.title, lambda p: p.notes or ""),
            Column("Billable", lambda p: billable_text(p.billable),
                   lambda p: NOT_BILLABLE if p.billable is False else ""),
            Column("Onset", lambda p: day(p.onset_on)),
            Column("Resolved", lambda p: day(p.resolved_on)),
        ))


def code_line(code: icd10.IcdCode) -> str:
    return f"{code.code} \u2014 {code.description}"


class CodeList(QTreeWidget):
    """Matching codes: "code — description" (elided, whole in the tooltip) and whether it is
    billable in a column of its own, so the mark never scrolls out of sight. Exactly ``rows``
    whole rows high, measured once the app's style sheet has set the font."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self._rows = rows
        self.setAccessibleName("Matching ICD-10-CM codes")
        self.setHeaderLabels(["Code \u2014 description", "Billable"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the arrows work from the search box
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

    def event(self, event: QEvent) -> bool:  # a Qt override
        handled = super().event(event)
        if event.type() == QEvent.Type.Polish:  # the style sheet's font is set: measure
            self._fit()
        return handled

    def _fit(self) -> None:
        self.insertTopLevelItem(0, QTreeWidgetItem(["E11.9", "Yes"]))  # uniform rows: measure one
        row = self.sizeHintForRow(0)
        self.takeTopLevelItem(0)
        self.setFixedHeight(self.header().sizeHint().height() + row * self._rows
                            + 2 * self.frameWidth())


class CodeSearch(QObject):
    """A search box over a list of matching codes, for one form.

    Each pause in typing (``debounce_ms``) sends one search; only the latest one sent is shown
    (an older one finishing late is dropped). Enter picks the chosen code only while the list
    shows the results for what is typed now; otherwise it searches at once and waits for the
    next Enter. With text in the box, Enter and Esc stay here: they never save or close the
    form by accident. ``sig_picked(IcdCode)`` when a code is picked.
    """

    sig_picked = Signal(object)

    def __init__(self, caller: ServiceCaller, *, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__()
        self._caller = caller
        self.edit = text_field(100, "Words or a code: type 2 diab, E11.9")
        self.edit.setAccessibleName("Find code")
        self.edit.setToolTip("Type words or a code; Up/Down choose, Enter picks, Esc clears")
        self.edit.setClearButtonEnabled(True)
        self.list = CodeList(rows=6)
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Code search status")
        self.box = QWidget()
        layout = QVBoxLayout(self.box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for widget in (self.edit, self.list, self.status):
            layout.addWidget(widget)
        self.setParent(self.box)
        self._timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self._timer.timeout.connect(self.search_now)
        self._sent = 0  # the number of the latest search sent
        self._shown: str | None = ""  # the text whose results are in the list
        self._warming = self._warmed = False
        self.edit.textChanged.connect(lambda _text: self._timer.start())
        self.edit.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item, _column: self.pick())
        self.list.itemClicked.connect(lambda _item, _column: self.edit.setFocus())
        self._hint()
        if not icd10.is_ready():
            self._warm_up()

    def text(self) -> str:
        return " ".join(self.edit.text().split())

    @property
    def current(self) -> bool:
        """The list shows the results for the text in the box."""
        return self._shown == self.text()

    def chosen(self) -> icd10.IcdCode | None:
        item = self.list.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def count(self) -> int:
        return self.list.topLevelItemCount()

    def line(self, row: int) -> str:
        """A row of the list as read: "E11.9 — Type 2 … · billable"."""
        item = self.list.topLevelItem(row)
        return f"{item.text(0)} \u00b7 {'billable' if item.text(1) == 'Yes' else 'not billable'}"

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # a Qt override
        if watched is self.edit and isinstance(event, QKeyEvent) \
                and event.type() == QEvent.Type.KeyPress:
            key = Qt.Key(event.key())
            if key in _MOVES and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                self.move(_MOVES[key])
                return True
            if key in _ENTER and self.text():
                self.enter()
                return True
            if key == Qt.Key.Key_Escape and self.edit.text():
                self.edit.clear()
                return True
        return super().eventFilter(watched, event)

    def move(self, rows: int) -> None:
        count = self.count()
        if count:
            row = self.list.currentIndex().row()
            self.list.setCurrentItem(self.list.topLevelItem(
                max(0, min(count - 1, row + rows if row >= 0 else 0))))

    def enter(self) -> None:
        if self.current and self.chosen() is not None:
            self.pick()
        elif not self.current:
            self.status.setText("Searching\u2026")
            self.search_now()

    def pick(self) -> None:
        if (code := self.chosen()) is not None:
            self.sig_picked.emit(code)

    # -- searching ----------------------------------------------------------------------------

    def search_now(self) -> None:
        self._timer.stop()
        text = self.text()
        self._sent += 1
        number = self._sent
        if not text:
            self._arrived(number, text, [])
            return
        if not (self._warmed or icd10.is_ready()):
            self.status.setText("Loading the code set\u2026")
            self._warm_up()  # which searches again once the code set is there
            return
        self._caller.run("icd10.search", lambda: icd10.search_codes(text, limit=CODE_LIMIT),
                         on_done=lambda found: self._arrived(number, text, found),
                         on_failed=lambda error: self._failed(number, error))

    def _warm_up(self) -> None:
        if self._warming:
            return
        self._warming = True
        self.status.setText("Loading the code set\u2026")
        self._caller.run("icd10.warm_up", icd10.warm_up, on_done=self._warm,
                         on_failed=lambda error: self._failed(self._sent, error))

    def _warm(self, _codes: int) -> None:
        self._warming, self._warmed = False, True
        if self.text():
            self.search_now()
        else:
            self._hint()

    def _arrived(self, number: int, text: str, found: list[icd10.IcdCode]) -> None:
        if number != self._sent:
            return  # an older search: the latest one is still on its way
        self._shown = text
        self.list.clear()
        for code in found:
            item = QTreeWidgetItem([code_line(code), billable_text(code.billable)])
            item.setData(0, Qt.ItemDataRole.UserRole, code)
            for column in (0, 1):
                item.setToolTip(column, code_line(code) if code.billable
                                else f"{code_line(code)}\n{NOT_BILLABLE}")
            self.list.addTopLevelItem(item)
        if found:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        if not text:
            self._hint()
        elif not found:
            self.status.setText(f"No ICD-10-CM code matches \u201c{text}\u201d: try other "
                                "words, or keep it a free-text problem.")
        elif len(found) >= CODE_LIMIT:
            self.status.setText(f"The first {len(found)} codes: type more to narrow them.")
        else:
            self.status.setText(f"{plural(len(found), 'code')}: Up/Down choose, Enter picks.")

    def _hint(self) -> None:
        self.status.setText("Loading the code set\u2026" if self._warming else
                            "Type words or a code; leave it empty for a free-text problem.")

    def _failed(self, number: int, error: Exception) -> None:
        self._warming = False
        if number == self._sent:
            self.status.setText(plain_message(error, doing="search the ICD-10-CM codes"))


class ProblemDialog(FormDialog):
    def __init__(self, caller: ServiceCaller, today: Callable[[], date], title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, "Save problem", parent)
        self.setMinimumWidth(640)
        self.search = CodeSearch(caller)
        self.code = text_field(10, "none: a free-text problem")
        self.billable = QLabel(objectName="muted")
        code_row = QWidget()
        row = QHBoxLayout(code_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.code)
        row.addWidget(self.billable, 1)
        self.code.setMaximumWidth(self.code.fontMetrics().horizontalAdvance("M") * 10)
        self.title = text_field(300, "empty: the code's description")
        self.status = code_combo(PROBLEM_STATUSES)
        self.onset_on = DateField(today)
        self.resolved_on = DateField(today)
        self.notes = text_area(3)
        for key, caption, widget, shown in (
            ("search", "&Find code:", self.search.edit, self.search.box),
            ("code", "&Code:", self.code, code_row),
            ("title", "&Title:", self.title, None),
            ("status", "&Status:", self.status, None),
            ("onset_on", "&Onset:", self.onset_on, None),
            ("resolved_on", "&Resolved:", self.resolved_on, None),
            ("notes", "&Notes:", self.notes, None),
        ):
            self.add_row(key, caption, widget, shown)
        self.search.sig_picked.connect(self.pick)
        self.code.textEdited.connect(lambda _text: self.billable.setText(""))

    def pick(self, code: icd10.IcdCode) -> None:
        self.code.setText(code.code)
        self.title.setText(code.description[:300])
        self.show_billable(code.billable)
        self.errors.clear(["code", "title"])
        self.title.setFocus()

    def show_billable(self, billable: bool | None) -> None:
        self.billable.setText("" if billable is None else "billable" if billable
                              else "not billable: a category")
        self.billable.setToolTip(NOT_BILLABLE if billable is False else "")

    def fill(self, problem: ProblemEntry) -> None:
        self.code.setText(problem.code or "")
        self.show_billable(problem.billable)
        self.title.setText(problem.title)
        set_code(self.status, problem.status)
        self.onset_on.set_value(problem.onset_on)
        self.resolved_on.set_value(problem.resolved_on)
        self.notes.setPlainText(problem.notes or "")

    def entered(self) -> tuple[ProblemInput, dict[str, str]]:
        errors: dict[str, str] = {}
        onset = read_date(self.onset_on, "onset_on", "Onset", errors)
        resolved = read_date(self.resolved_on, "resolved_on", "Resolved", errors)
        return ProblemInput(code=self.code.text(), title=self.title.text(),
                            status=self.status.currentData(), onset_on=onset,
                            resolved_on=resolved, notes=self.notes.toPlainText()), errors


class ProblemsTab(ChartListTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        add = QPushButton("&Add problem\u2026")
        change = QPushButton("C&hange problem\u2026")
        remove = QPushButton("Re&move\u2026")
        super().__init__(context, actor, workspace, name="Problems", model=ProblemsModel(),
                         buttons=[add, change, remove], confirm=confirm)
        self.add, self.change, self.remove = add, change, remove
        self.write_button(add, "Ins", "Add a problem (Insert)", self.add_problem)
        self.write_button(change, "F2", "Change the selected problem (Enter or F2)",
                          self.change_problem)
        self.write_button(remove, "Del", "Take the selected problem off the list, entered in "
                                         "error (Delete)", self.remove_problem)
        self.list.table.activated.connect(lambda _index: self.change.click())
        self.stretch_column(2)  # the title: long ICD-10-CM descriptions elide
        self.update_buttons()

    def load(self) -> None:
        self.calls.start("chart.problems", problems, on_done=self._loaded,
                         on_failed=self.failed("load the problems"))

    def _loaded(self, rows: list[ProblemEntry]) -> None:
        current = sum(1 for row in rows if row.current)
        past = f", {len(rows) - current} past" if len(rows) > current else ""
        self.show_rows(rows, f"{plural(current, 'current problem')}{past}" if rows
                       else "No problems recorded.")

    def update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.add.setEnabled(self.may_write and self.calls.patient_id is not None)
        self.change.setEnabled(self.may_write and chosen)
        self.remove.setEnabled(self.may_write and chosen)

    def add_problem(self) -> None:
        if self.add.isEnabled():
            self._open_form(None)

    def change_problem(self) -> None:
        if self.change.isEnabled() and (problem := self.selected()) is not None:
            self._open_form(problem)

    def _open_form(self, problem: ProblemEntry | None) -> None:
        dialog = ProblemDialog(ServiceCaller(self.context, self.actor, self.list), self.today,
                               "New problem" if problem is None else "Change problem",
                               self.list)
        if problem is not None:
            dialog.fill(problem)
        self.open_form(dialog, lambda: self._submit(dialog, problem),
                       dialog.search.edit if problem is None else dialog.status)

    def _submit(self, dialog: ProblemDialog, problem: ProblemEntry | None) -> None:
        entered, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("chart.problem.save", save_problem, problem=entered, today=self.today(),
                         problem_id=None if problem is None else problem.id,
                         version=None if problem is None else problem.version,
                         on_done=lambda _saved: self.saved(dialog),
                         on_failed=self.refused(dialog, doing="save the problem"))

    def remove_problem(self) -> None:
        problem: ProblemEntry | None = self.selected()
        if problem is None or not self.remove.isEnabled():
            return
        self.remove_entry(
            title="Remove problem",
            question=f"Take \u201c{problem.title}\u201d off the problem list as entered in "
                     "error? It stays in the record as removed.",
            name="chart.problem.remove", service=remove_problem, doing="remove the problem",
            problem_id=problem.id, version=problem.version)
