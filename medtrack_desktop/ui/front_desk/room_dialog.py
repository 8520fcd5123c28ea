"""Which exam room the patient goes to ("In room" on the flow board): the rooms of the visit's
facility, the one booked chosen first; Enter confirms. A room another visit holds is refused by
the service and the message shown at the field, the dialog kept open."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.scheduling.calendar import RoomChoice
from medtrack_desktop.ui.widgets.field_errors import FieldErrors


class RoomDialog(QDialog):
    """``room_id()`` is the room chosen (None: no particular room). Confirming emits
    ``buttons_accepted`` and leaves the dialog open: the caller closes it once the room is
    taken, or shows why not at the field."""

    buttons_accepted = Signal()

    def __init__(self, visit: str, rooms: list[RoomChoice], booked: uuid.UUID | None, *,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("In room")
        self.room = QComboBox()
        self.room.setAccessibleName("Room")
        for room in rooms:
            self.room.addItem(room.name, room.id)
        self.room.addItem("No particular room", None)
        self.room.setCurrentIndex(max(0, self.room.findData(booked)) if booked else 0)
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.add_row(form, "room", "&Room:", self.room)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("&In room", QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.accepted.connect(self.buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(visit, wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.room.setFocus()

    def room_id(self) -> uuid.UUID | None:
        return self.room.currentData()
