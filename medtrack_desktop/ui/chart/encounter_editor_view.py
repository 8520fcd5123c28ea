"""The encounter editor's layout: the visit's header, the four SOAP sections, the review of
systems, the signature block and the actions. No logic here (``encounter_editor.py``)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.chart.encounters import ROS_LABELS, SOAP_SECTIONS
from medtrack_desktop.domain.chart.models import ROS_SYSTEMS

SOAP_LABELS = {"subjective": "&Subjective", "objective": "&Objective",
               "assessment": "&Assessment", "plan": "&Plan"}
ROS_CHOICES = (("", "Not reviewed"), ("negative", "Negative"), ("positive", "Positive"))


def _section(lines: int) -> QPlainTextEdit:
    area = QPlainTextEdit()
    area.setTabChangesFocus(True)
    area.setMinimumHeight(area.fontMetrics().lineSpacing() * lines + 12)
    return area


class RosRow:
    def __init__(self, system: str) -> None:
        self.finding = QComboBox()
        for value, label in ROS_CHOICES:
            self.finding.addItem(label, value)
        self.finding.setAccessibleName(f"{ROS_LABELS[system]} finding")
        self.note = QLineEdit(placeholderText="Details")
        self.note.setMaxLength(2000)
        self.note.setAccessibleName(f"{ROS_LABELS[system]} details")


class EncounterEditorView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel(objectName="sectionTitle")
        self.title.setAccessibleName("Encounter")
        self.details = QLabel(objectName="muted", wordWrap=True)
        self.details.setAccessibleName("Encounter details")
        self.version = QComboBox()
        self.version.setAccessibleName("Version of the note")
        self.sections = {section: _section(5) for section in SOAP_SECTIONS}
        soap = QGridLayout()
        for index, section in enumerate(SOAP_SECTIONS):
            label = QLabel(SOAP_LABELS[section])
            label.setBuddy(self.sections[section])
            self.sections[section].setAccessibleName(section.capitalize())
            soap.addWidget(label, (index // 2) * 2, index % 2)
            soap.addWidget(self.sections[section], (index // 2) * 2 + 1, index % 2)
        self.ros = {system: RosRow(system) for system in ROS_SYSTEMS}
        self.ros_box = QGroupBox("&Review of systems")
        self.ros_box.setCheckable(True)
        self.ros_box.setChecked(False)  # folded until asked for: the note comes first
        ros_form = QFormLayout()
        ros_holder = QWidget()
        ros_holder.setLayout(ros_form)
        for system, row in self.ros.items():
            line = QHBoxLayout()
            line.addWidget(row.finding)
            line.addWidget(row.note, 1)
            ros_form.addRow(ROS_LABELS[system] + ":", line)
        box_layout = QVBoxLayout(self.ros_box)
        box_layout.addWidget(ros_holder)
        self.ros_box.toggled.connect(ros_holder.setVisible)
        ros_holder.setVisible(False)
        self.notes = QLabel(wordWrap=True, objectName="muted")
        self.notes.setAccessibleName("Clinical notes")
        self.signature = QLabel(objectName="signatureBlock", wordWrap=True)
        self.signature.setAccessibleName("Signature")
        self.signature.setTextInteractionFlags(self.signature.textInteractionFlags())
        self.saved = QLabel(objectName="muted")
        self.saved.setAccessibleName("Saving")
        self.problem = QLabel(objectName="fieldError", wordWrap=True)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        self.sign = QPushButton("Si&gn\u2026")
        self.sign.setToolTip("Sign the note (Ctrl+Shift+S): it becomes read-only")
        self.amend = QPushButton("A&mend\u2026")
        self.amend.setToolTip("Correct a signed note with a new, signed version")
        self.verify = QPushButton("Veri&fy signature")
        self.print = QPushButton("Visit s&ummary\u2026")
        self.cancel_visit = QPushButton("Cancel encounter\u2026")
        self.add_note = QPushButton("Add &note\u2026")
        self.add_note.setToolTip("A nursing, telephone, procedure … note in this encounter")
        actions = QHBoxLayout()
        actions.addWidget(self.saved, 1)
        for button in (self.cancel_visit, self.add_note, self.verify, self.print, self.amend,
                       self.sign):
            button.setAutoDefault(False)
            actions.addWidget(button)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(QLabel("Version:"))
        header.addWidget(self.version)
        body_layout.addLayout(header)
        body_layout.addWidget(self.details)
        body_layout.addLayout(soap)
        body_layout.addWidget(self.ros_box)
        body_layout.addWidget(self.notes)
        body_layout.addWidget(self.signature)
        body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.problem)
        layout.addLayout(actions)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))
