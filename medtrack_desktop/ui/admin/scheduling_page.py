"""The Administration tab "Scheduling": what the clinic sets up to book appointments, in
three sections chosen in the list on the left (Up/Down, or Ctrl+1/2/3 from anywhere in the
tab): Facilities & rooms, Categories, Provider availability. Each section loads the first
time it is shown and again after every schedule change (``Changed.SCHEDULE``), which it
also announces after its own, so the calendar re-reads.

Shown to holders of ``clinic.admin``, who keep the providers' hours too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QStackedWidget, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.admin.scheduling_availability import AvailabilitySection
from medtrack_desktop.ui.admin.scheduling_categories import CategoriesSection
from medtrack_desktop.ui.admin.scheduling_dialogs import ColorChooser, choose_color
from medtrack_desktop.ui.admin.scheduling_facilities import FacilitiesSection
from medtrack_desktop.ui.admin.scheduling_section import SetupSection
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.list_tab import tab_key
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Workspace


class SchedulingSetup(QWidget):
    """The tab: a list of sections beside the section chosen."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, chooser: ColorChooser = choose_color) -> None:
        super().__init__()
        self.setAccessibleName("Scheduling setup")
        self.facilities = FacilitiesSection(context, actor, workspace, confirm=confirm)
        self.categories = CategoriesSection(context, actor, workspace, confirm=confirm,
                                            chooser=chooser)
        self.availability = AvailabilitySection(context, actor, workspace, confirm=confirm)
        self.sections: list[SetupSection] = [self.facilities, self.categories,
                                             self.availability]
        self.chooser = QListWidget()
        self.chooser.setAccessibleName("Scheduling sections")
        self.chooser.setSpacing(3)
        self.stack = QStackedWidget()
        for number, (title, section) in enumerate(zip(
                ("Facilities & rooms", "Categories", "Provider availability"), self.sections,
                strict=True), start=1):
            self.chooser.addItem(title)
            self.chooser.item(number - 1).setToolTip(f"{title} (Ctrl+{number})")
            self.stack.addWidget(section.view)
            tab_key(self, f"Ctrl+{number}", lambda row=number - 1: self.show_section(row))
        self.chooser.setFixedWidth(self.chooser.sizeHintForColumn(0) + 36)
        self.chooser.currentRowChanged.connect(self._chosen)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.chooser)
        layout.addWidget(self.stack, 1)
        self.chooser.setCurrentRow(0)

    def show_section(self, row: int) -> None:
        """Section ``row`` shown, the focus on its first list (or the provider)."""
        self.chooser.setCurrentRow(row)
        first = (self.facilities.facilities.view.table, self.categories.list.view.table,
                 self.availability.provider)[row]
        first.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _chosen(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        if self.isVisible():
            self._load(row)

    def _load(self, row: int) -> None:
        section = self.sections[row]
        if not section.loaded:
            section.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # a Qt override
        super().showEvent(event)
        self._load(self.chooser.currentRow())
