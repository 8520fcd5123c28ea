"""Print patient labels: sheet or thermal, copies per patient, where a used sheet starts.

The dialog only collects choices; ``printing.labels`` builds the PDF and ``PdfPreviewDialog``
shows, prints and saves it. The window title carries no PHI; the heading inside may.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.printing.labels import (
    LABELS_PER_SHEET,
    SHEET_COLUMNS,
    SHEET_ROWS,
    PatientLabel,
    avery_5160_sheet,
    thermal_labels,
)
from medtrack_desktop.ui.widgets.pdf_preview import (
    ChoosePath,
    PdfPreviewDialog,
    Printer,
    choose_pdf_path,
)

MAX_COPIES = 30
PREVIEW_TITLE = "Patient labels"  # window title, print queue and file name: no PHI

_PICKER_STYLE = """
QPushButton { padding: 0; min-width: 0; border: 1px solid #9fb0b8; border-radius: 3px;
              background: #ffffff; color: #22333b; font-size: 8.5pt; }
QPushButton[used="true"] { background: #d9e0e4; color: #6d7d85; }
QPushButton:checked { background: #0f5e7a; color: #ffffff; border-color: #0b4a60; }
QPushButton:focus { border: 2px solid #e3a21a; }
"""


class SheetPositionPicker(QWidget):
    """The 30 labels of an Avery 5160 sheet as buttons, numbered across then down: click the
    first free label, or move to it with the arrow keys (Left/Right go label by label, Up/Down
    a row, Home/End to the first/last). Labels before it show as used.

    Only the chosen button is in the Tab order, so Tab passes the grid in one step.
    """

    sig_position_changed = Signal(int)

    _STEPS: ClassVar[dict[Qt.Key, int]] = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
                                           Qt.Key.Key_Up: -SHEET_COLUMNS,
                                           Qt.Key.Key_Down: SHEET_COLUMNS}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Start position on the sheet")
        self.setStyleSheet(_PICKER_STYLE)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        grid = QGridLayout(self)
        grid.setSpacing(3)
        grid.setContentsMargins(6, 6, 6, 6)
        for position in range(1, LABELS_PER_SHEET + 1):
            row, column = divmod(position - 1, SHEET_COLUMNS)
            button = QPushButton(str(position))
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setFixedSize(54, 20)  # the label's 2.6 : 1, in small
            button.setAccessibleName(f"Label {position}, row {row + 1}, column {column + 1}")
            button.installEventFilter(self)
            self._group.addButton(button, position)
            grid.addWidget(button, row, column)
            self.buttons.append(button)
        self._group.idClicked.connect(self.set_position)
        self._position = 0
        self.set_position(1)

    @property
    def position(self) -> int:
        return self._position

    def set_position(self, position: int) -> None:
        position = min(max(position, 1), LABELS_PER_SHEET)
        if position == self._position:
            return
        had_focus = any(button.hasFocus() for button in self.buttons)
        self._position = position
        for number, button in enumerate(self.buttons, start=1):
            button.setChecked(number == position)
            button.setProperty("used", number < position)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus if number == position
                                  else Qt.FocusPolicy.ClickFocus)
            button.style().unpolish(button)
            button.style().polish(button)
        if had_focus:
            self.buttons[position - 1].setFocus()
        self.sig_position_changed.emit(position)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # a Qt override: camelCase
        if event.type() == QEvent.Type.KeyPress and watched in self.buttons:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in self._STEPS:
                self.set_position(self._position + self._STEPS[key])
                return True
            if key in (Qt.Key.Key_Home, Qt.Key.Key_End):
                self.set_position(1 if key == Qt.Key.Key_Home else LABELS_PER_SHEET)
                return True
        return super().eventFilter(watched, event)


class LabelsDialog(QDialog):
    """Choices for printing ``labels`` (one per patient), then the preview.

    ``sig_printed`` and ``sig_saved(path)`` come from the preview, so the caller can audit that
    patient data left the app. ``printer`` and ``choose_path`` are the outside world (paper, the
    file dialog), replaced in tests.
    """

    sig_printed = Signal()
    sig_saved = Signal(object)

    def __init__(self, labels: Sequence[PatientLabel], *, printer: Printer | None = None,
                 choose_path: ChoosePath = choose_pdf_path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not labels:
            raise ValueError("no patients to print labels for")
        self.labels = list(labels)  # one per patient; copies are chosen here
        self._printer, self._choose_path = printer, choose_path
        self.preview: PdfPreviewDialog | None = None
        self.setWindowTitle("Print labels")

        heading = QLabel(f"Labels for {labels[0].name}" if len(labels) == 1
                         else f"Labels for {len(labels)} patients", objectName="sectionTitle")
        heading.setTextFormat(Qt.TextFormat.PlainText)  # a name is never markup
        heading.setWordWrap(True)
        self.sheet = QRadioButton("&Avery 5160 sheet: 30 labels per page")
        self.thermal = QRadioButton("&Thermal label: 2.25 \u00d7 1.25 in, one per page")
        self.sheet.setChecked(True)
        formats = QButtonGroup(self)
        formats.addButton(self.sheet)
        formats.addButton(self.thermal)
        self.copies = QSpinBox(minimum=1, maximum=MAX_COPIES)
        self.copies.setAccessibleName("Copies per patient")
        self.start = QSpinBox(minimum=1, maximum=LABELS_PER_SHEET)
        self.start.setAccessibleName("Start at label")
        self.start.setToolTip("The first free label on a sheet that was used before")
        self.picker = SheetPositionPicker()
        self.summary = QLabel(objectName="muted")
        self.summary.setAccessibleName("What will print")

        buttons = QDialogButtonBox()
        self.preview_button = buttons.addButton("&Preview\u2026",
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.preview_button.setDefault(True)
        buttons.accepted.connect(self.show_preview)
        buttons.rejected.connect(self.reject)

        format_box = QVBoxLayout()
        format_box.addWidget(self.sheet)
        format_box.addWidget(self.thermal)
        form = QFormLayout()
        form.addRow("Format:", format_box)
        form.addRow(QLabel("C&opies per patient:", buddy=self.copies), self.copies)
        self.start_label = QLabel("&Start at label:", buddy=self.start)
        form.addRow(self.start_label, self.start)
        form.addRow(self.summary)
        sheet_side = QVBoxLayout()
        self.picker_caption = QLabel(f"First free label ({SHEET_COLUMNS} \u00d7 {SHEET_ROWS})",
                                     objectName="muted")
        sheet_side.addWidget(self.picker_caption)
        sheet_side.addWidget(self.picker)
        sheet_side.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(form, 1)
        columns.addSpacing(12)
        columns.addLayout(sheet_side)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(columns)
        layout.addWidget(buttons)

        self.start.valueChanged.connect(self.picker.set_position)
        self.picker.sig_position_changed.connect(self.start.setValue)
        self.thermal.toggled.connect(self._update)
        self.copies.valueChanged.connect(self._update)
        self.start.valueChanged.connect(self._update)
        self._update()

    @property
    def label_count(self) -> int:
        return len(self.labels) * self.copies.value()

    def _update(self) -> None:
        on_sheet = self.sheet.isChecked()
        for widget in (self.start_label, self.start, self.picker, self.picker_caption):
            widget.setEnabled(on_sheet)
        count = self.label_count
        plural = "" if count == 1 else "s"
        if on_sheet:
            sheets = math.ceil((self.start.value() - 1 + count) / LABELS_PER_SHEET)
            self.summary.setText(f"{count} label{plural} on {sheets} sheet"
                                 f"{'' if sheets == 1 else 's'}, from label {self.start.value()}")
        else:
            self.summary.setText(f"{count} thermal label{plural}")

    def build_pdf(self) -> bytes:
        """The PDF for the current choices, each patient's copies together.

        Built on the GUI thread: a sheet batch of up to 300 labels takes well under 300 ms
        (``python -m benchmarks label_sheet``). A much larger batch (many patients, many copies)
        should go through ``ui/tasks`` instead.
        """
        batch = [label for label in self.labels for _copy in range(self.copies.value())]
        if self.thermal.isChecked():
            return thermal_labels(batch)
        return avery_5160_sheet(batch, start_position=self.start.value())

    def show_preview(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            pdf = self.build_pdf()
        finally:
            QGuiApplication.restoreOverrideCursor()
        if self.preview is not None:
            self.preview.deleteLater()
        self.preview = PdfPreviewDialog(pdf, title=PREVIEW_TITLE, printer=self._printer,
                                        choose_path=self._choose_path, parent=self)
        self.preview.sig_printed.connect(self.sig_printed)
        self.preview.sig_saved.connect(self.sig_saved)
        self.preview.open()
