"""Layout of the patient summary: who the patient is (header), how to reach them
(demographics, read-only), and tabs for the rest. No logic: ``summary.PatientSummary`` fills it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

SUMMARY_PHOTO_SIZE = (72, 90)
EMPTY = "\u2014"
_BADGES = """
QLabel#deceasedFlag { color: #ffffff; background: #37474f; border-radius: 4px; padding: 2px 8px;
                      font-weight: 600; }
QLabel#inactiveFlag { color: #37474f; border: 1px solid #90a4ae; border-radius: 4px;
                      padding: 1px 8px; }
"""
# The read-only demographics, in three columns: (key, label).
FACTS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("address", "Address"), ("phone_home", "Home phone"), ("phone_mobile", "Mobile phone"),
     ("phone_work", "Work phone"), ("email", "Email")),
    (("emergency", "Emergency contact"), ("employer_name", "Employer"),
     ("preferred_language", "Language"), ("marital_status", "Marital status"),
     ("ssn", "SSN")),
    (("gender_identity", "Gender identity"), ("race", "Race"), ("ethnicity", "Ethnicity"),
     ("retention", "Keep record until"), ("notes", "Notes")),
)


def _value_label(name: str) -> QLabel:
    label = QLabel(EMPTY, wordWrap=True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # patient data is never markup
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setAccessibleName(name)
    return label


def _badge(text: str, name: str) -> QLabel:
    badge = QLabel(text, objectName=name)
    badge.setAccessibleName(text)
    badge.hide()
    return badge


class SummaryView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Patient summary")
        self.setStyleSheet(_BADGES)
        self.pages = QStackedWidget()
        self.empty = QLabel("No patient is open. Find a patient to see their summary here.",
                            objectName="muted", alignment=Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self.empty)
        content = QWidget()
        self.pages.addWidget(content)

        self.photo = QLabel()
        self.photo.setFixedSize(*SUMMARY_PHOTO_SIZE)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setFrameShape(QFrame.Shape.StyledPanel)
        self.photo.setAccessibleName("Photo")
        self.name = QLabel(objectName="pageTitle")
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setAccessibleName("Patient name")
        self.preferred = QLabel(objectName="muted")
        self.preferred.setTextFormat(Qt.TextFormat.PlainText)
        self.preferred.setAccessibleName("Preferred name")
        self.facts = QLabel()
        self.facts.setAccessibleName("Age, sex, date of birth and MRN")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restricted = _badge("Restricted record", "patientBarFlag")
        self.deceased = _badge("Deceased", "deceasedFlag")
        self.inactive = _badge("Inactive", "inactiveFlag")
        self.edit = QPushButton("Edit demographics\u2026")
        self.edit.setShortcut(QKeySequence("Ctrl+E"))
        self.edit.setToolTip("Edit demographics (Ctrl+E)")
        self.edit.setAccessibleName("Edit demographics")

        flags = QHBoxLayout()
        flags.setSpacing(8)
        flags.addWidget(self.facts)
        for badge in (self.restricted, self.deceased, self.inactive):
            flags.addWidget(badge)
        flags.addStretch(1)
        names = QHBoxLayout()
        names.addWidget(self.name)
        names.addWidget(self.preferred)
        names.addStretch(1)
        who = QVBoxLayout()
        who.setSpacing(4)
        who.addLayout(names)
        who.addLayout(flags)
        who.addStretch(1)
        header = QHBoxLayout()
        header.setSpacing(14)
        header.addWidget(self.photo)
        header.addLayout(who, 1)
        header.addWidget(self.edit, 0, Qt.AlignmentFlag.AlignTop)

        card = QFrame(objectName="card")
        grid = QGridLayout(card)
        grid.setContentsMargins(14, 10, 14, 10)
        grid.setHorizontalSpacing(28)
        self.values: dict[str, QLabel] = {}
        for column, facts in enumerate(FACTS):
            form = QFormLayout()
            form.setHorizontalSpacing(12)
            form.setVerticalSpacing(4)
            for key, label in facts:
                self.values[key] = _value_label(label)
                form.addRow(QLabel(f"{label}:", objectName="muted"), self.values[key])
            grid.addLayout(form, 0, column, Qt.AlignmentFlag.AlignTop)
            grid.setColumnStretch(column, 1)

        self.status = QLabel(objectName="fieldError", wordWrap=True)
        self.status.setAccessibleName("Summary status")
        self.status.hide()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Patient record sections")

        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.status)
        layout.addWidget(card)
        layout.addWidget(self.tabs, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)

    def show_empty(self) -> None:
        self.pages.setCurrentIndex(0)

    def show_content(self) -> None:
        self.pages.setCurrentIndex(1)

    def set_value(self, key: str, text: str | None) -> None:
        self.values[key].setText(text or EMPTY)

    def set_flags(self, *, restricted: bool, deceased: str | None, inactive: bool) -> None:
        self.restricted.setVisible(restricted)
        self.deceased.setText(deceased or "")
        self.deceased.setAccessibleName(deceased or "")
        self.deceased.setVisible(deceased is not None)
        self.inactive.setVisible(inactive)

    def show_photo(self, picture: QPixmap | None) -> None:
        if picture is None:
            self.photo.clear()
            self.photo.setText("No photo")
        else:
            self.photo.setPixmap(picture)

    def show_status(self, message: str) -> None:
        self.status.setText(message)
        self.status.setVisible(bool(message))

