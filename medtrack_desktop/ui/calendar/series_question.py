"""The question before moving or cancelling an appointment of a recurring series: this
appointment, this and the following ones, or all in the series still to come — each choice
saying how many appointments and which days it touches. It only asks.

Keys: Up/Down (or Alt+T, Alt+F, Alt+A) choose, Enter continues, Escape goes back.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.scheduling.calendar import CalendarAppointment
from medtrack_desktop.domain.scheduling.recurrence import SeriesPlace
from medtrack_desktop.ui.calendar.appointment_dialogs import appointment_summary
from medtrack_desktop.ui.calendar.repeat_rules import describe_rule, span_text

CHOICES = ("this", "following", "all")


class SeriesQuestion(QDialog):
    """Which appointments of ``place``'s series ``action`` ("Move", "Cancel") is for:
    ``choice()`` after it is accepted. ``only_this`` (why) leaves "this appointment" the only
    choice."""

    def __init__(self, item: CalendarAppointment, zone: ZoneInfo, place: SeriesPlace, *,
                 action: str, only_this: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{action} a recurring appointment")
        heading = QLabel(f"{action} which appointments?", objectName="sectionTitle")
        summary = QLabel(appointment_summary(item, zone), wordWrap=True)
        rule = QLabel(f"{describe_rule(place.rule, first_day=place.first_day)}.",
                      objectName="muted", wordWrap=True)
        rule.setAccessibleName("Series")
        self.this = QRadioButton("&This appointment")
        self.following = QRadioButton("This and the &following")
        self.all = QRadioButton("&All in the series still to come")
        details = {self.this: "", self.following: span_text(place.following, zone),
                   self.all: span_text(place.to_come, zone)}
        self._group = QButtonGroup(self)
        for number, button in enumerate((self.this, self.following, self.all)):
            self._group.addButton(button, number)
        self.this.setChecked(True)
        self.following.setEnabled(not only_this and bool(place.following))
        self.all.setEnabled(not only_this and bool(place.to_come))
        buttons = QDialogButtonBox()
        buttons.addButton("&Continue", QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.addButton("Go &back", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(summary)
        layout.addWidget(rule)
        layout.addSpacing(4)
        for button, detail in details.items():
            layout.addWidget(button)
            if detail:
                button.setAccessibleDescription(detail)
                said = QLabel(detail, objectName="muted")
                said.setContentsMargins(26, 0, 0, 2)
                said.setEnabled(button.isEnabled())
                layout.addWidget(said)
        if only_this:
            note = QLabel(only_this, objectName="muted", wordWrap=True)
            note.setAccessibleName("Why only this appointment")
            layout.addWidget(note)
        layout.addSpacing(4)
        layout.addWidget(buttons)
        self.setMinimumWidth(500)
        self.this.setFocus()

    def choose(self, choice: str) -> None:
        """Tick a choice as the clerk would ("this", "following", "all")."""
        self._group.button(CHOICES.index(choice)).setChecked(True)

    def choice(self) -> str:
        """What was chosen: "this", "following" or "all"."""
        return CHOICES[max(0, self._group.checkedId())]
