"""The Patients page: Find (the search box) and All patients (the list), with room for the
tabs other parts of the module add (``add_tab``).

Whoever may change demographics sees "New patient…" (Ctrl+N), which only asks for the
registration form (``sig_register_requested``); the module wires the form in. A patient
opened from either tab is announced by ``sig_patient_opened(PatientHeader)`` so the module can
show the record.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.patient_list import PatientList
from medtrack_desktop.ui.patients.search_panel import SearchPanel
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
        layout.addLayout(title_row)

        self.search = SearchPanel(context=context, actor=actor, workspace=workspace)
        self.list = PatientList(context=context, actor=actor, workspace=workspace)
        for source in (self.search, self.list):
            source.sig_opened.connect(self.sig_patient_opened)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Patients sections")
        self.tabs.addTab(self.search.view, "Fin&d")
        self.tabs.addTab(self.list.view, "All &patients")
        self.tabs.currentChanged.connect(self._tab_shown)
        layout.addWidget(self.tabs, 1)
        find = QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._tab_shown(self.tabs.currentIndex())

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

    def _tab_shown(self, index: int) -> None:
        """Focus given to the page (a module shortcut) goes to the tab in front."""
        shown = self.tabs.widget(index)
        if shown is self.list.view:
            self.list.ensure_loaded()
            self.setFocusProxy(self.list.view.table)
        else:
            self.setFocusProxy(shown)
