"""Facilities & rooms: the clinic's facilities on the left, the rooms and equipment of the
one selected on the right.

Keys, inside either list: Insert adds (a facility, or a room of the selected facility), Enter
or F2 changes the selected one, Delete retires it after a question (or takes a retired one
back into use). Nothing is deleted: appointments keep their facility and room; a retired one
is no longer offered when booking.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.setup import (
    FacilitySetup,
    RoomSetup,
    add_facility,
    add_room,
    edit_facility,
    edit_room,
    facility_setup,
    set_active,
)
from medtrack_desktop.ui.admin.scheduling_dialogs import FacilityDialog, RoomDialog
from medtrack_desktop.ui.admin.scheduling_section import SectionList, SetupSection
from medtrack_desktop.ui.chart.chart_lists import plural
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Workspace


def in_use(active: bool) -> str:
    return "In use" if active else "Retired"


def ahead(count: int) -> str:
    return plural(count, "appointment") if count else "\u2014"


class FacilitiesModel(RowsTableModel[FacilitySetup]):
    def __init__(self) -> None:
        super().__init__((
            Column("Facility", lambda f: f.name, lambda f: f.address),
            Column("Phone", lambda f: f.phone),
            Column("Rooms", lambda f: str(sum(r.is_active for r in f.rooms))),
            Column("Booked ahead", lambda f: ahead(f.booked_ahead),
                   lambda f: "Appointments there from now on"),
            Column("Status", lambda f: in_use(f.is_active)),
        ))


class RoomsModel(RowsTableModel[RoomSetup]):
    def __init__(self) -> None:
        super().__init__((
            Column("Room or equipment", lambda r: r.name),
            Column("Kind", lambda r: r.kind.capitalize()),
            Column("Booked ahead", lambda r: ahead(r.booked_ahead),
                   lambda r: "Appointments in it from now on"),
            Column("Status", lambda r: in_use(r.is_active)),
        ))


def _retire_label(active: bool) -> str:
    return "&Retire\u2026" if active else "Take back into &use"


class FacilitiesSection(SetupSection):
    """The Facilities & rooms section (see the module doc)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        self.add_facility = QPushButton("Add &facility\u2026")
        self.edit_facility = QPushButton("C&hange\u2026")
        self.retire_facility = QPushButton(_retire_label(True))
        self.facilities = SectionList("Facilities", FacilitiesModel(), [
            self.add_facility, self.edit_facility, self.retire_facility])
        self.add_room = QPushButton("Add roo&m\u2026")
        self.edit_room = QPushButton("Chan&ge\u2026")
        self.retire_room = QPushButton("Re&tire\u2026")
        self.rooms = SectionList("Rooms and equipment", RoomsModel(), [
            self.add_room, self.edit_room, self.retire_room])
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        self.rooms_title = QLabel("Rooms and equipment", objectName="sectionTitle")
        layout.addWidget(QLabel("Facilities", objectName="sectionTitle"))
        layout.addWidget(self.facilities.view, 2)
        layout.addWidget(self.rooms_title)
        layout.addWidget(self.rooms.view, 3)
        super().__init__(context, actor, workspace, view, confirm)
        self._facility_rows: list[FacilitySetup] = []
        for button, tip, slot, section_list, key in (
                (self.add_facility, "Add a facility (Insert)", self.open_add_facility,
                 self.facilities, "Ins"),
                (self.edit_facility, "Change the selected facility (Enter or F2)",
                 self.open_edit_facility, self.facilities, "F2"),
                (self.retire_facility, "Retire the selected facility, or take it back into "
                 "use (Delete)", self.toggle_facility, self.facilities, "Del"),
                (self.add_room, "Add a room or equipment to the selected facility (Insert)",
                 self.open_add_room, self.rooms, "Ins"),
                (self.edit_room, "Change the selected room (Enter or F2)",
                 self.open_edit_room, self.rooms, "F2"),
                (self.retire_room, "Retire the selected room, or take it back into use "
                 "(Delete)", self.toggle_room, self.rooms, "Del")):
            button.setToolTip(tip)
            button.clicked.connect(slot)
            section_list.key(key, button.click)
        self.facilities.view.table.activated.connect(lambda _i: self.edit_facility.click())
        self.rooms.view.table.activated.connect(lambda _i: self.edit_room.click())
        self.facilities.view.table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self._show_rooms())
        self.rooms.view.table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self.update_buttons())
        self.update_buttons()

    # -- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.loaded = True
        self.calls.start("schedule.facility_setup", facility_setup, on_done=self._loaded,
                         on_failed=self.failed(self.facilities, "load the facilities"))

    def _loaded(self, rows: list[FacilitySetup]) -> None:
        self._facility_rows = rows
        active = sum(f.is_active for f in rows)
        retired = f", {len(rows) - active} retired" if len(rows) > active else ""
        self.facilities.show_rows(rows, f"{plural(active, 'facility', 'facilities')} in use"
                                        f"{retired}." if rows else "No facilities yet: "
                                        "add one (Insert).")
        self._show_rooms()

    def facility(self) -> FacilitySetup | None:
        return self.facilities.selected()

    def _show_rooms(self) -> None:
        facility = self.facility()
        rooms = list(facility.rooms) if facility is not None else []
        self.rooms_title.setText("Rooms and equipment" if facility is None
                                 else f"Rooms and equipment of {facility.name}")
        self.rooms.show_rows(rooms, "" if facility is None else
                             f"{plural(len(rooms), 'room')}." if rooms
                             else "No rooms here yet: add one (Insert).")
        self.update_buttons()

    def update_buttons(self) -> None:
        facility, room = self.facility(), self.rooms.selected()
        for button in (self.edit_facility, self.retire_facility):
            button.setEnabled(facility is not None)
        self.add_room.setEnabled(facility is not None and facility.is_active)
        self.edit_room.setEnabled(room is not None)
        self.retire_room.setEnabled(room is not None and (
            room.is_active or (facility is not None and facility.is_active)))
        self.retire_facility.setText(_retire_label(facility is None or facility.is_active))
        self.retire_room.setText("Re&tire\u2026" if room is None or room.is_active
                                 else "Take back into u&se")

    # -- facilities ----------------------------------------------------------------------------

    def open_add_facility(self) -> None:
        dialog = FacilityDialog(None, self.view)
        self.open_form(dialog, lambda: self.save(
            dialog, self.facilities, "schedule.add_facility", add_facility,
            doing="add the facility", notice="Facility added.", name=dialog.name.text(),
            address=dialog.address.text(), phone=dialog.phone.text()), dialog.name)

    def open_edit_facility(self) -> None:
        facility = self.facility()
        if facility is None:
            return
        dialog = FacilityDialog(facility, self.view)
        self.open_form(dialog, lambda: self.save(
            dialog, self.facilities, "schedule.edit_facility", edit_facility,
            doing="save the facility", notice="Facility saved.", facility_id=facility.id,
            version=facility.version, name=dialog.name.text(), address=dialog.address.text(),
            phone=dialog.phone.text()), dialog.name)

    def toggle_facility(self) -> None:
        facility = self.facility()
        if facility is None:
            return
        if facility.is_active:
            booked = (f" The {plural(facility.booked_ahead, 'appointment')} booked there "
                      "keep their place." if facility.booked_ahead else "")
            if not self.confirm(self.view, "Retire facility",
                                f"Retire {facility.name}? It will no longer be offered for "
                                f"new appointments or sessions.{booked} Nothing is deleted; "
                                "you can take it back into use."):
                return
        self.run(self.facilities, "schedule.set_active", set_active,
                 doing="change the facility", kind="facility", row_id=facility.id,
                 version=facility.version, active=not facility.is_active,
                 notice="Facility retired." if facility.is_active else "Facility in use again.")

    # -- rooms ---------------------------------------------------------------------------------

    def open_add_room(self) -> None:
        facility = self.facility()
        if facility is None or not self.add_room.isEnabled():
            return
        dialog = RoomDialog(facility, None, self.view)
        self.open_form(dialog, lambda: self.save(
            dialog, self.rooms, "schedule.add_room", add_room, doing="add the room",
            notice="Room added.", facility_id=facility.id, name=dialog.name.text(),
            kind=dialog.kind.currentData()), dialog.name)

    def open_edit_room(self) -> None:
        facility, room = self.facility(), self.rooms.selected()
        if facility is None or room is None:
            return
        dialog = RoomDialog(facility, room, self.view)
        self.open_form(dialog, lambda: self.save(
            dialog, self.rooms, "schedule.edit_room", edit_room, doing="save the room",
            notice="Room saved.", room_id=room.id, version=room.version,
            name=dialog.name.text(), kind=dialog.kind.currentData()), dialog.name)

    def toggle_room(self) -> None:
        room = self.rooms.selected()
        if room is None or not self.retire_room.isEnabled():
            return
        if room.is_active:
            booked = (f" The {plural(room.booked_ahead, 'appointment')} booked in it keep "
                      "it." if room.booked_ahead else "")
            if not self.confirm(self.view, "Retire room",
                                f"Retire {room.name}? It will no longer be offered when "
                                f"booking.{booked} Nothing is deleted; you can take it back "
                                "into use."):
                return
        self.run(self.rooms, "schedule.set_active", set_active, doing="change the room",
                 kind="room", row_id=room.id, version=room.version, active=not room.is_active,
                 notice="Room retired." if room.is_active else "Room in use again.")
