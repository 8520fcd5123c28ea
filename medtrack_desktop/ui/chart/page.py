"""The chart page: the open patient's chart in tabs — Summary first, then encounters and the
lists. A tab reads its data the first time it is shown for a patient (only what is looked at
is read, and audited as read), and again after a change it is concerned by."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStackedLayout, QTabWidget, QWidget

from medtrack_desktop.domain.chart import icd10
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.ui.chart.allergies_tab import AllergiesTab
from medtrack_desktop.ui.chart.documents_tab import DocumentsTab
from medtrack_desktop.ui.chart.encounters_tab import EncountersTab
from medtrack_desktop.ui.chart.immunizations_tab import ImmunizationsTab
from medtrack_desktop.ui.chart.medications_tab import MedicationsTab
from medtrack_desktop.ui.chart.problems_tab import ProblemsTab
from medtrack_desktop.ui.chart.procedures_tab import ProceduresTab
from medtrack_desktop.ui.chart.summary_tab import SummaryTab
from medtrack_desktop.ui.chart.vitals_tab import VitalsTab
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.summary_tab import PatientTab
from medtrack_desktop.ui.workspace import Changed, Workspace


class ChartPage(QWidget):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self.summary = SummaryTab(context, actor)
        self.encounters = EncountersTab(context, actor, workspace)
        self.problems = ProblemsTab(context, actor, workspace)
        self.allergies = AllergiesTab(context, actor, workspace)
        self.medications = MedicationsTab(context, actor, workspace)
        self.vitals = VitalsTab(context, actor, workspace)
        self.immunizations = ImmunizationsTab(context, actor, workspace)
        self.procedures = ProceduresTab(context, actor, workspace)
        self.documents = DocumentsTab(context, actor, workspace)
        self.tabs: list[PatientTab] = []
        self.tab_widget = QTabWidget()
        self.tab_widget.setAccessibleName("Chart sections")
        for tab, title in ((self.summary, "Summar&y"), (self.encounters, "&Encounters"),
                           (self.problems, "Pro&blems"), (self.allergies, "A&llergies"),
                           (self.medications, "Me&dications"), (self.vitals, "&Vitals"),
                           (self.immunizations, "&Immunizations"),
                           (self.procedures, "Pro&cedures"), (self.documents, "Documen&ts")):
            self.tabs.append(tab)
            self.tab_widget.addTab(tab.view, title)
        self.empty = QLabel("Open a patient (Patients, Ctrl+2) to see the chart.",
                            objectName="muted")
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.tab_widget)
        self._shown: set[int] = set()
        self._patient: PatientHeader | None = None
        self.tab_widget.currentChanged.connect(self._tab_shown)
        workspace.sig_patient_changed.connect(self.show_patient)
        workspace.sig_changed.connect(self._changed)
        if not icd10.is_ready():  # coded problems and the code search need the code set
            context.tasks.start("icd10.warm_up", lambda _progress, _cancelled: icd10.warm_up(),
                                on_failed=lambda _error: None)
        self.show_patient(workspace.patient)

    def show_patient(self, patient: PatientHeader | None) -> None:
        self._patient = patient
        for tab in self.tabs:
            tab.set_patient(None if patient is None else patient.id)
        self._stack.setCurrentWidget(self.empty if patient is None else self.tab_widget)
        self._shown.clear()
        if patient is not None:
            self.tab_widget.setCurrentIndex(0)
            self._tab_shown(0)

    def _changed(self, changed: Changed) -> None:
        if Changed.CHART in changed and self._patient is not None:
            self._shown.clear()
            self._tab_shown(self.tab_widget.currentIndex())

    def _tab_shown(self, index: int) -> None:
        if index < 0 or index in self._shown or self._patient is None:
            return
        self._shown.add(index)
        self.tabs[index].refresh()
