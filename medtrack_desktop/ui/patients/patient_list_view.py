"""Layout of the All patients tab: the clinic's counts, the filters, the list. No logic here:
``PatientList`` decides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.patients.listing import AGE_GROUPS, STATUSES, PatientStatistics
from medtrack_desktop.domain.patients.models import SEXES
from medtrack_desktop.ui.models.patient_list import STATUS_TEXT, PatientListModel
from medtrack_desktop.ui.patients.search_panel_view import patient_table

_STATS_STYLE = """
QLabel#statTotal { font-size: 20pt; font-weight: 600; color: #123a4a; }
QLabel#statHeading { color: #4b5d66; font-weight: 600; }
QLabel#statValue { font-weight: 600; color: #123a4a; }
"""
_WIDTHS = (230, 100, 55, 70, 95, 125, 75, 105)


def _combo(name: str, any_text: str, choices: Iterable[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.addItem(any_text, None)
    for text, value in choices:
        combo.addItem(text, value)
    return combo


class StatisticsPanel(QFrame):
    """Totals by sex, age group and status; ``value(kind, key)`` is the label of one count."""

    def __init__(self) -> None:
        super().__init__(objectName="card")
        self.setAccessibleName("Patient statistics")
        self.setStyleSheet(_STATS_STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(36)
        self._values: dict[tuple[str, str], QLabel] = {}
        total = QVBoxLayout()
        total.addWidget(QLabel("Patients", objectName="statHeading"))
        self.total = QLabel("…", objectName="statTotal")
        self.total.setAccessibleName("Patients in total")
        total.addWidget(self.total)
        total.addStretch(1)
        layout.addLayout(total)
        for kind, heading, keys in (
            ("sex", "By sex", [(sex, sex.capitalize()) for sex in SEXES]),
            ("age", "By age", [(group.label, group.label) for group in AGE_GROUPS]),
            ("status", "By status", [(status, STATUS_TEXT[status]) for status in STATUSES]),
        ):
            layout.addLayout(self._group(kind, heading, keys))
        layout.addStretch(1)

    def _group(self, kind: str, heading: str, keys: list[tuple[str, str]]) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel(heading, objectName="statHeading"), 0, 0, 1, 2)
        for row, (key, text) in enumerate(keys, start=1):
            value = QLabel("…", objectName="statValue")
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            value.setAccessibleName(f"{heading}: {text}")
            grid.addWidget(QLabel(text), row, 0)
            grid.addWidget(value, row, 1)
            self._values[kind, key] = value
        grid.setRowStretch(len(keys) + 1, 1)
        return grid

    def value(self, kind: str, key: str) -> QLabel:
        return self._values[kind, key]

    def show_statistics(self, statistics: PatientStatistics) -> None:
        self.total.setText(f"{statistics.total:,}")
        counts: Mapping[str, Mapping[str, int]] = {
            "sex": statistics.by_sex, "age": statistics.by_age_group,
            "status": statistics.by_status}
        for (kind, key), label in self._values.items():
            label.setText(f"{counts[kind][key]:,}")


class PatientListView(QWidget):
    def __init__(self, model: PatientListModel, *, sort_choices: Iterable[str]) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 10, 8, 6)
        self.stats = StatisticsPanel()
        layout.addWidget(self.stats)

        filters = QHBoxLayout()
        self.sex = _combo("Sex filter", "Any sex", ((s.capitalize(), s) for s in SEXES))
        self.age = _combo("Age group filter", "Any age",
                          ((group.label, group.label) for group in AGE_GROUPS))
        self.status_filter = _combo("Status filter", "Any status",
                                    ((STATUS_TEXT[s], s) for s in STATUSES))
        self.last_name = QLineEdit(placeholderText="starts with…")
        self.last_name.setAccessibleName("Last name filter")
        self.last_name.setClearButtonEnabled(True)
        self.sort = QComboBox()
        self.sort.setAccessibleName("Sort by")
        self.sort.addItems(list(sort_choices))
        for text, widget, stretch in (("&Sex:", self.sex, 0), ("Ag&e:", self.age, 0),
                                      ("S&tatus:", self.status_filter, 0),
                                      ("&Last name:", self.last_name, 1),
                                      ("S&ort by:", self.sort, 0)):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget, stretch)
            filters.addSpacing(8)
        layout.addLayout(filters)

        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Patient list error")
        self.error.hide()
        layout.addWidget(self.error)
        self.table = patient_table(model, "Patients")
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        for column, width in enumerate(_WIDTHS):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName("Patient list status")
        layout.addWidget(self.status)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
