"""What the summary's tabs and the registration form share: how a service call runs, what the
user reads when it fails, what a tab of the summary answers to, and the pieces the tabs are
built of (a list with its actions, a small form dialog).

Each call is one ``perform`` (one unit of work, a denial audited) on the task runner; its
result reaches the widget only if the widget still exists (the user may have signed out).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientNotFound
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.patients.common import service_job
from medtrack_desktop.ui.tasks import Task, while_shown
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.tables import read_only_table


class PatientTab(Protocol):
    """A tab of the patient summary. ``set_patient`` forgets the last patient's data at once;
    the summary calls ``refresh`` when the tab is first shown for that patient (so only what
    is looked at is read, and audited as read)."""

    view: QWidget

    def set_patient(self, patient_id: uuid.UUID | None) -> None: ...

    def refresh(self) -> None: ...


def error_text(error: Exception, *, doing: str) -> str:
    """The message a person reads: the service's own when it was written for people."""
    if isinstance(error, PatientNotFound | StaleRecord):
        return str(error)
    return plain_message(error, doing=doing)


def invalid_fields(error: Exception) -> dict[str, str] | None:
    """The messages by field of a validation refusal (the services' ``…Invalid.errors``)."""
    errors = getattr(error, "errors", None)
    return errors if isinstance(error, ValueError) and isinstance(errors, dict) else None


class ServiceCaller:
    """Starts service calls for ``owner`` as ``actor``."""

    def __init__(self, context: AppContext, actor: Actor, owner: QWidget) -> None:
        self._context, self._actor, self._owner = context, actor, owner

    def start(
        self, name: str, service: Callable[..., Any], /, *,
        on_done: Callable[[Any], None], on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> Task:
        return self._context.tasks.start(
            name, service_job(self._context.store, self._actor, service, **kwargs),
            on_done=while_shown(self._owner, on_done),
            on_failed=while_shown(self._owner, on_failed),
        )

    def run(self, name: str, job: Callable[[], Any], *, on_done: Callable[[Any], None],
            on_failed: Callable[[Exception], None]) -> Task:
        """A job without the database (decoding a picture)."""
        return self._context.tasks.start(
            name, lambda _progress, _cancelled: job(),
            on_done=while_shown(self._owner, on_done),
            on_failed=while_shown(self._owner, on_failed),
        )


class PatientCalls:
    """Service calls about the patient a view shows now. Each gets ``patient_id``; a result
    that arrives after another patient was opened is dropped, never shown for the wrong one."""

    def __init__(self, context: AppContext, actor: Actor, owner: QWidget) -> None:
        self._caller = ServiceCaller(context, actor, owner)
        self.patient_id: uuid.UUID | None = None

    def start(
        self, name: str, service: Callable[..., Any], /, *,
        on_done: Callable[[Any], None], on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> Task:
        return self.start_for_clinic(name, service, on_done=on_done, on_failed=on_failed,
                                     patient_id=self.patient_id, **kwargs)

    def start_for_clinic(
        self, name: str, service: Callable[..., Any], /, *,
        on_done: Callable[[Any], None], on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> Task:
        """A call about the clinic (its payers) made for this patient's form: no
        ``patient_id`` passed, the result dropped all the same if the patient changed."""
        asked_for = self.patient_id

        def if_current(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            return lambda result: callback(result) if self.patient_id == asked_for else None

        return self._caller.start(name, service, on_done=if_current(on_done),
                                  on_failed=if_current(on_failed), **kwargs)


# -- the pieces of a tab -------------------------------------------------------------------------


def tab_key(view: QWidget, key: QKeySequence | str, slot: Callable[[], None]) -> QShortcut:
    """A key that works while the focus is inside ``view`` (so Delete in a list never reaches
    a field of another tab or of the page)."""
    shortcut = QShortcut(QKeySequence(key), view, slot)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return shortcut


class ListTabView(QWidget):
    """A tab's list: ``buttons`` above the table, a status line and an error line below."""

    def __init__(self, name: str, buttons: list[QPushButton]) -> None:
        super().__init__()
        self.table = read_only_table(name)
        row = QHBoxLayout()
        for button in buttons:
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName(f"{name} error")
        self.error.hide()
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName(f"{name} status")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.status)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


class FormDialog(QDialog):
    """A tab's small form: fields with their messages and OK / Cancel. ``sig_submit`` when
    OK is pressed; the tab's controller saves, then ``accept()``s or shows the problems."""

    sig_submit = Signal()

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.errors = FieldErrors()
        self.problem = QLabel(objectName="fieldError", wordWrap=True)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.ok.setDefault(True)
        buttons.accepted.connect(self.sig_submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def add_row(self, key: str, label: str, widget: QWidget, shown: QWidget | None = None) -> None:
        self.errors.add_row(self.form, key, label, widget, shown)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message at its field (the first focused); the rest above the buttons."""
        self.set_problem(" ".join(self.errors.show(errors).values()))

    def set_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def set_busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)

    def refused(self, error: Exception, *, doing: str) -> None:
        """A save the service refused: a validation error (``…Invalid.errors``) at its
        fields, anything else above the buttons. What was typed stays."""
        self.set_busy(False)
        if (errors := invalid_fields(error)) is not None:
            self.show_errors(errors)
        else:
            self.set_problem(error_text(error, doing=doing))
