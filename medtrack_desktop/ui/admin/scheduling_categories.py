"""Categories: the kinds of appointment the clinic books (new patient, follow-up, physical,
procedure, telehealth …) with their default length, colour on the calendar, and whether one
may be booked over another appointment on purpose.

Keys: Insert adds, Enter or F2 changes the selected one, Delete retires it after a question
(or takes a retired one back into use). A retired category is no longer offered when
booking; appointments keep theirs.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.setup import (
    CategorySetup,
    category_setup,
    save_category,
    set_active,
)
from medtrack_desktop.ui.admin.scheduling_dialogs import CategoryDialog, ColorChooser, choose_color
from medtrack_desktop.ui.admin.scheduling_facilities import ahead, in_use
from medtrack_desktop.ui.admin.scheduling_section import SectionList, SetupSection
from medtrack_desktop.ui.chart.chart_lists import plural
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Workspace


class CategoriesModel(RowsTableModel[CategorySetup]):
    """The categories, each name with a swatch of its colour."""

    def __init__(self) -> None:
        super().__init__((
            Column("Category", lambda c: c.name),
            Column("Default length", lambda c: f"{c.default_minutes} min"),
            Column("Colour", lambda c: c.color),
            Column("Overbooking", lambda c: "Allowed" if c.allows_overbooking else "No",
                   lambda c: "May be booked over another appointment on purpose"
                   if c.allows_overbooking else ""),
            Column("Booked ahead", lambda c: ahead(c.booked_ahead)),
            Column("Status", lambda c: in_use(c.is_active)),
        ))

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (role == Qt.ItemDataRole.DecorationRole and index.isValid()
                and index.column() in (0, 2)):
            row = self.row_at(index.row())
            return QColor(row.color) if row is not None else None
        return super().data(index, role)


class CategoriesSection(SetupSection):
    """The Categories section (see the module doc)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, chooser: ColorChooser = choose_color) -> None:
        self.add = QPushButton("Add &category\u2026")
        self.edit = QPushButton("C&hange\u2026")
        self.retire = QPushButton("&Retire\u2026")
        self.list = SectionList("Appointment categories", CategoriesModel(),
                                [self.add, self.edit, self.retire])
        super().__init__(context, actor, workspace, self.list.view, confirm)
        self._chooser = chooser
        for button, tip, slot, key in (
                (self.add, "Add a category (Insert)", self.open_add, "Ins"),
                (self.edit, "Change the selected category (Enter or F2)", self.open_edit, "F2"),
                (self.retire, "Retire the selected category, or take it back into use "
                              "(Delete)", self.toggle, "Del")):
            button.setToolTip(tip)
            button.clicked.connect(slot)
            self.list.key(key, button.click)
        self.list.view.table.activated.connect(lambda _index: self.edit.click())
        self.list.view.table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self.update_buttons())
        self.list.model.modelReset.connect(self.update_buttons)
        self.update_buttons()

    def refresh(self) -> None:
        self.loaded = True
        self.calls.start("schedule.category_setup", category_setup, on_done=self._loaded,
                         on_failed=self.failed(self.list, "load the categories"))

    def _loaded(self, rows: list[CategorySetup]) -> None:
        active = sum(c.is_active for c in rows)
        retired = f", {len(rows) - active} retired" if len(rows) > active else ""
        self.list.show_rows(rows, f"{plural(active, 'category', 'categories')} in use"
                                  f"{retired}." if rows else "No categories yet: add one "
                                  "(Insert).")

    def update_buttons(self) -> None:
        chosen: CategorySetup | None = self.list.selected()
        self.edit.setEnabled(chosen is not None)
        self.retire.setEnabled(chosen is not None)
        self.retire.setText("&Retire\u2026" if chosen is None or chosen.is_active
                            else "Take back into &use")

    def open_add(self) -> None:
        self._open(None)

    def open_edit(self) -> None:
        if (chosen := self.list.selected()) is not None:
            self._open(chosen)

    def _open(self, category: CategorySetup | None) -> None:
        dialog = CategoryDialog(category, self.view, chooser=self._chooser)
        self.open_form(dialog, lambda: self.save(
            dialog, self.list, "schedule.save_category", save_category,
            doing="save the category",
            notice="Category added." if category is None else "Category saved.",
            category=dialog.entered(), category_id=None if category is None else category.id,
            version=None if category is None else category.version), dialog.name)

    def toggle(self) -> None:
        category: CategorySetup | None = self.list.selected()
        if category is None:
            return
        if category.is_active:
            booked = (f" The {plural(category.booked_ahead, 'appointment')} of it booked "
                      "ahead keep it." if category.booked_ahead else "")
            if not self.confirm(self.view, "Retire category",
                                f"Retire \u201c{category.name}\u201d? It will no longer be "
                                f"offered when booking.{booked} Nothing is deleted; you can "
                                "take it back into use."):
                return
        self.run(self.list, "schedule.set_active", set_active, doing="change the category",
                 kind="category", row_id=category.id, version=category.version,
                 active=not category.is_active,
                 notice="Category retired." if category.is_active else "Category in use again.")
