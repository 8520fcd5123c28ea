"""What the Vitals, Immunizations, Procedures and Documents tabs of the chart share: the
controller of a list tab (patient, loading, the form, removing an entry entered in error), the
"who did it" field (a clinic user or a typed name), and messages for the chart's own errors.

A tab is a controller with a ``view``; the chart page calls ``set_patient`` (which forgets the
last patient at once) and ``refresh`` (which loads through the task runner), and refreshes
every tab after a ``Changed.CHART`` notice, which the tab announces after each change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QComboBox, QHeaderView, QPlainTextEdit, QPushButton, QWidget

from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.chart.encounters import Provider
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import RowsTableModel
from medtrack_desktop.ui.service_calls import PatientCalls, ServiceCaller, error_text
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.widgets.list_tab import FormDialog, ListTabView, tab_key
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Changed, Workspace

SHOWN_DATE = "%Y-%m-%d"
SHOWN_TIME = "%Y-%m-%d %H:%M"


STALE_ENTRY = "Someone else changed this entry since the list was loaded; look at it again."


def chart_error_text(error: Exception, *, doing: str) -> str:
    """``error_text`` in the chart's words: an entry someone else removed or changed meanwhile
    (the registry's stale-record message speaks of "this patient")."""
    if isinstance(error, StaleRecord):
        return STALE_ENTRY
    if isinstance(error, ChartRecordNotFound):
        return str(error)
    return error_text(error, doing=doing)


def out_of_date(error: Exception) -> bool:
    """The list showed an entry that is no longer as it was: reload it."""
    return isinstance(error, StaleRecord | ChartRecordNotFound)


def day(value: date | None) -> str:
    return "" if value is None else value.strftime(SHOWN_DATE)


def code_label(code: str) -> str:
    """"left_deltoid" -> "Left deltoid": the schema's codes as the lists show them."""
    return code.replace("_", " ").capitalize()


def code_combo(codes: Iterable[str], *, blank: str | None = None,
               label: Callable[[str], str] = code_label) -> QComboBox:
    """A choice among schema codes, shown by label, the code as the item's data."""
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, "")
    for code in codes:
        combo.addItem(label(code), code)
    return combo


def text_area(lines: int, placeholder: str = "") -> QPlainTextEdit:
    """A few lines of text; Tab moves on (a form is filled by keyboard)."""
    area = QPlainTextEdit(placeholderText=placeholder)
    area.setTabChangesFocus(True)
    area.setFixedHeight(area.fontMetrics().lineSpacing() * lines + 12)
    return area


class StaffOrName(QComboBox):
    """Who gave or did something: a clinic user picked from the list, or the name of someone
    outside the clinic typed in (the services' ``staff_or_name``). Starts empty: nobody is
    named as the performer unless the user says so."""

    def __init__(self, placeholder: str = "A clinic user, or type a name") -> None:
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.lineEdit()
        line.setPlaceholderText(placeholder)
        line.setMaxLength(200)

    def set_people(self, people: list[Provider], me: Actor) -> None:
        """The user at the keyboard first, then the clinic's providers."""
        self.clear()
        if me.user_id is not None:
            self.addItem(me.display_name, str(me.user_id))
        for person in people:
            if person.id != me.user_id:
                self.addItem(person.name, str(person.id))
        self.setCurrentIndex(-1)
        self.setEditText("")

    def chosen(self) -> tuple[uuid.UUID | None, str]:
        """(user id, "") for a listed user, (None, typed name) otherwise."""
        text = self.currentText().strip()
        index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if text and index >= 0 and self.itemData(index):
            return uuid.UUID(self.itemData(index)), ""
        return None, text


class ChartTab(QObject):
    """A chart list tab: the rows of ``model`` in a ``ListTabView`` with ``buttons`` above.

    Subclasses load in ``load`` and enable their buttons in ``update_buttons``; write buttons
    are hidden from a user without ``chart.write``. ``confirm`` asks yes/no (tests answer).
    """

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 name: str, model: RowsTableModel[Any], buttons: list[QPushButton],
                 confirm: Confirm = ask) -> None:
        super().__init__()
        self.context, self.actor = context, actor
        self._workspace, self._confirm = workspace, confirm
        self.today = lambda: clinic_today(context.seat)
        self.zone = ZoneInfo(context.seat.clinic_timezone)
        self.model = model
        self.list = ListTabView(name, buttons)
        self.list.table.setModel(model)
        self.view: QWidget = self.list
        self.setParent(self.list)  # owned by the view (see UsersController)
        model.setParent(self.list)
        self.calls = PatientCalls(context, actor, self.list)
        self._caller = ServiceCaller(context, actor, self.list)
        self.dialog: FormDialog | None = None
        self.may_write = actor.can("chart.write")
        self.list.table.selectionModel().currentRowChanged.connect(self.update_buttons)
        model.modelReset.connect(self.update_buttons)

    def write_button(self, button: QPushButton, key: str, tip: str,
                     slot: Callable[[], None]) -> None:
        """A button that changes the chart: its key inside the tab, hidden without
        ``chart.write``."""
        button.setToolTip(tip)
        button.setVisible(self.may_write)
        button.clicked.connect(slot)
        tab_key(self.list, key, button.click)

    def stretch_column(self, column: int) -> None:
        """Give the room left to ``column`` (a title) rather than to the last one."""
        header = self.list.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    # -- the list ----------------------------------------------------------------------------

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        """Show another patient (or none): the last one's rows are forgotten at once, and an
        open form, which was about them, is closed."""
        if self.dialog is not None:
            self.dialog.reject()
        self.calls.patient_id = patient_id
        self.model.set_rows([])
        self.list.status.setText("")
        self.list.show_error("")

    def refresh(self) -> None:
        if self.calls.patient_id is None:
            return
        self.list.status.setText("Loading\u2026")
        self.list.show_error("")
        self.load()

    def load(self) -> None:
        raise NotImplementedError

    def show_rows(self, rows: list[Any], status: str) -> None:
        self.model.set_rows(rows)
        self.list.status.setText(status)
        if rows:
            self.list.table.selectRow(0)

    def failed(self, doing: str) -> Callable[[Exception], None]:
        """Why a call failed, under the list; an out-of-date list is read again first."""
        def show(error: Exception) -> None:
            if out_of_date(error):
                self.refresh()
            else:
                self.list.status.setText("")
            self.list.show_error(chart_error_text(error, doing=doing))
        return show

    def selected(self) -> Any:
        return self.model.row_at(self.list.table.currentIndex().row())

    def update_buttons(self) -> None:
        """Enable the buttons for the selection (subclasses)."""

    def run_for_patient(self, name: str, job: Callable[[], Any], *,
                        on_done: Callable[[Any], None],
                        on_failed: Callable[[Exception], None]) -> None:
        """A job that is not one service call (reading a file, opening a document in a unit
        of work of its own), its result dropped if another patient was opened meanwhile."""
        asked_for = self.calls.patient_id

        def if_current(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            return lambda result: callback(result) if self.calls.patient_id == asked_for else None

        self._caller.run(name, job, on_done=if_current(on_done), on_failed=if_current(on_failed))

    # -- forms and changes -------------------------------------------------------------------

    def open_form(self, dialog: FormDialog, submit: Callable[[], None],
                  focus: QWidget) -> None:
        dialog.sig_submit.connect(submit)
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        focus.setFocus()

    def saved(self, dialog: FormDialog | None = None) -> None:
        """A change went through: close the form, tell every view of the chart."""
        if dialog is not None:
            dialog.accept()
        self._workspace.announce(Changed.CHART)  # the chart page refreshes its tabs

    def remove_entry(self, *, title: str, question: str, name: str,
                     service: Callable[..., Any], doing: str, **kwargs: Any) -> None:
        """Take the entry off the chart as entered in error, once the user said yes."""
        if not self._confirm(self.view, title, question):
            return
        self.list.show_error("")
        self.calls.start(name, service, on_done=lambda _none: self.saved(),
                         on_failed=self.failed(doing), **kwargs)
