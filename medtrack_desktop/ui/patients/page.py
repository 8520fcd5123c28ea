"""The Patients page: Find (the search box), All patients (the list) and Record (the open
patient's summary and its tabs).

Whoever may change demographics sees "New patient…" (Ctrl+N: the registration form); whoever
may merge records sees "Merge duplicates…" (Ctrl+Shift+M); "Print labels…" (Ctrl+Shift+B)
prints the open patient's labels. A patient opened from Find or the list brings the Record
tab forward (``sig_patient_opened(PatientHeader)`` says so).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.labels import LabelFacts, label_facts
from medtrack_desktop.printing.labels import PatientLabel
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.patients.labels_dialog import LabelsDialog
from medtrack_desktop.ui.patients.merge_dialog import MergeDialog
from medtrack_desktop.ui.patients.patient_list import PatientList
from medtrack_desktop.ui.patients.registration import RegistrationDialog
from medtrack_desktop.ui.patients.search_panel import SearchPanel
from medtrack_desktop.ui.patients.summary import PatientSummary
from medtrack_desktop.ui.service_calls import service_job
from medtrack_desktop.ui.tasks import while_shown
from medtrack_desktop.ui.workspace import Workspace


class PatientsPage(QWidget):
    sig_register_requested = Signal()
    sig_patient_opened = Signal(object)

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self.setAccessibleName("Patients")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        title_row = QHBoxLayout()
        title_row.addWidget(QLabel("Patients", objectName="pageTitle"))
        title_row.addStretch(1)
        self.new_patient: QPushButton | None = None
        if actor.can("patient.write"):
            self.new_patient = QPushButton("&New patient…")
            self.new_patient.setShortcut(QKeySequence("Ctrl+N"))
            self.new_patient.setToolTip("Register a new patient (Ctrl+N)")
            self.new_patient.setAccessibleName("New patient")
            self.new_patient.clicked.connect(self.sig_register_requested)
            title_row.addWidget(self.new_patient)
        self.merge: QPushButton | None = None
        if actor.can("patient.merge"):
            self.merge = QPushButton("&Merge duplicates…")
            self.merge.setShortcut(QKeySequence("Ctrl+Shift+M"))
            self.merge.setToolTip("Merge two records of the same person (Ctrl+Shift+M)")
            self.merge.clicked.connect(self.merge_duplicates)
            title_row.addWidget(self.merge)
        self.labels = QPushButton("Print &labels…")
        self.labels.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.labels.setToolTip("Print the open patient's labels (Ctrl+Shift+B)")
        self.labels.setEnabled(workspace.patient is not None)
        self.labels.clicked.connect(self.print_labels)
        title_row.addWidget(self.labels)
        layout.addLayout(title_row)
        self._context, self._actor, self._workspace = context, actor, workspace
        self.dialog: QDialog | None = None  # the last dialog opened (tests answer it)
        workspace.sig_patient_changed.connect(self._patient_changed)

        self.search = SearchPanel(context=context, actor=actor, workspace=workspace)
        self.list = PatientList(context=context, actor=actor, workspace=workspace)
        self.summary = PatientSummary(context, actor, workspace)
        for source in (self.search, self.list):
            source.sig_opened.connect(self.sig_patient_opened)
            source.sig_opened.connect(lambda _patient: self.show_tab(self.summary))
        self.sig_register_requested.connect(self.register)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Patients sections")
        self.tabs.addTab(self.search.view, "Fin&d")
        self.tabs.addTab(self.list.view, "All &patients")
        self.tabs.addTab(self.summary, "&Record")
        self.tabs.currentChanged.connect(self._tab_shown)
        layout.addWidget(self.tabs, 1)
        find = QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._tab_shown(self.tabs.currentIndex())

    def _patient_changed(self, patient: object) -> None:
        """A record opened anywhere (the flow board, the calendar …) is the Record tab's."""
        self.labels.setEnabled(patient is not None)
        if patient is not None:
            self.tabs.setCurrentWidget(self.summary)

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (``&`` marks its Alt key); returns its index."""
        return self.tabs.addTab(widget, title)

    def show_tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)
        widget.setFocus()

    def focus_search(self) -> None:
        """Ctrl+F: the search box, its text selected so typing replaces it."""
        self.tabs.setCurrentWidget(self.search.view)
        self.search.view.query.setFocus()
        self.search.view.query.selectAll()

    def register(self) -> None:
        self._show_dialog(RegistrationDialog(self._context, self._actor, self._workspace,
                                             parent=self))

    def merge_duplicates(self) -> None:
        self._show_dialog(MergeDialog(self._context, self._actor, self._workspace, parent=self))

    def _show_dialog(self, dialog: QDialog) -> None:
        """Window-modal without blocking (the task runner's results keep arriving)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def print_labels(self) -> None:
        """The open patient's labels (read and audited as a print off the GUI thread)."""
        patient = self._workspace.patient
        if patient is None:
            return
        self._context.tasks.start(
            "patient.labels",
            service_job(self._context.store, self._actor, label_facts,
                        patient_ids=[patient.id]),
            on_done=while_shown(self, self._show_labels),
            on_failed=while_shown(self, lambda error: QMessageBox.warning(
                self, "Print labels", plain_message(error, doing="read the labels"))),
        )

    def _show_labels(self, facts: list[LabelFacts]) -> None:
        labels = [PatientLabel(name=f.name, date_of_birth=f.date_of_birth, sex=f.sex, mrn=f.mrn)
                  for f in facts]
        self._show_dialog(LabelsDialog(labels, parent=self))

    def _tab_shown(self, index: int) -> None:
        """Focus given to the page (a module shortcut) goes to the tab in front."""
        shown = self.tabs.widget(index)
        if shown is self.list.view:
            self.list.ensure_loaded()
            self.setFocusProxy(self.list.view.table)
        else:
            self.setFocusProxy(shown)
