"""The labels dialog, driven by keyboard: format, copies, start position, then the preview
prints through a recording printer and saves a real PDF."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from medtrack_desktop.printing.labels import PatientLabel
from medtrack_desktop.ui.patients.labels_dialog import LabelsDialog
from medtrack_desktop.ui.widgets.pdf_preview import PdfPages, PdfPreviewDialog

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
PATIENTS = [
    PatientLabel("García-Márquez de la Torre, María José", date(1970, 3, 4), "female",
                 "10000012"),
    PatientLabel("Nguyễn, Văn Anh", date(1985, 11, 30), "male", "10000020"),
]


class RecordingPrinter:
    """Stands in for QPrinter + QPrintDialog (the paper): renders each page at ``dpi``."""

    def __init__(self, dpi: float = 100) -> None:
        self.dpi = dpi
        self.jobs: list[tuple[list[QImage], QSizeF]] = []

    def print_pages(self, images: PdfPages, page_size_points: QSizeF) -> bool:
        self.jobs.append(([images.render(index, self.dpi) for index in range(len(images))],
                          page_size_points))
        return True


def _dialog(qtbot: QtBot, labels: list[PatientLabel], **kwargs: object) -> LabelsDialog:
    dialog = LabelsDialog(labels, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # mnemonics and shortcuts need the active window
    return dialog


def _focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _preview(qtbot: QtBot, dialog: LabelsDialog) -> PdfPreviewDialog:
    qtbot.keyClick(_focus(), Qt.Key.Key_P, ALT)
    qtbot.waitUntil(lambda: dialog.preview is not None)  # a mnemonic clicks after a short flash
    preview = dialog.preview
    assert preview is not None
    qtbot.waitUntil(preview.isActiveWindow)
    return preview


def test_thermal_copies_preview_print_and_save(qtbot: QtBot, tmp_path: Path) -> None:
    printer = RecordingPrinter(dpi=203)
    target = tmp_path / "labels.pdf"
    dialog = _dialog(qtbot, PATIENTS, printer=printer,
                     choose_path=lambda _parent, _name: target)
    assert dialog.windowTitle() == "Print labels"  # no PHI in a title that leaves the app

    qtbot.keyClick(_focus(), Qt.Key.Key_T, ALT)
    qtbot.waitUntil(dialog.thermal.isChecked)
    assert not dialog.start.isEnabled() and not dialog.picker.isEnabled()
    qtbot.keyClick(_focus(), Qt.Key.Key_O, ALT)
    assert _focus() is dialog.copies.lineEdit() or _focus() is dialog.copies
    qtbot.keyClick(_focus(), Qt.Key.Key_Up)
    qtbot.keyClick(_focus(), Qt.Key.Key_Up)
    assert dialog.copies.value() == 3
    assert dialog.summary.text() == "6 thermal labels"

    preview = _preview(qtbot, dialog)
    assert preview.windowTitle() == "Patient labels"
    assert preview.page_count.text() == "6 pages"
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        preview.grab().save("/tmp/labels_preview_thermal.png")

    with qtbot.waitSignal(dialog.sig_printed):
        qtbot.keyClick(preview, Qt.Key.Key_P, CTRL)
    ((images, paper),) = printer.jobs
    assert paper == QSizeF(162, 90)
    assert [(image.width(), image.height()) for image in images] == [(457, 254)] * 6

    with qtbot.waitSignal(dialog.sig_saved):
        qtbot.keyClick(preview, Qt.Key.Key_S, CTRL)
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    assert len(reader.pages) == 6
    assert {(float(page.mediabox.width), float(page.mediabox.height))
            for page in reader.pages} == {(162.0, 90.0)}
    texts = [page.extract_text() for page in reader.pages]
    assert [("García" in text, "Nguyễn" in text) for text in texts] == (
        [(True, False)] * 3 + [(False, True)] * 3)  # each patient's copies together

    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible() and dialog.isVisible()


def test_start_position_by_arrow_keys_on_the_sheet_grid(qtbot: QtBot) -> None:
    printer = RecordingPrinter()
    dialog = _dialog(qtbot, PATIENTS, printer=printer)
    assert dialog.sheet.isChecked()
    qtbot.keyClick(_focus(), Qt.Key.Key_S, ALT)
    qtbot.keyClick(_focus(), Qt.Key.Key_Tab)
    assert _focus() is dialog.picker.buttons[0]  # the grid is one Tab stop, at its position
    qtbot.keyClick(_focus(), Qt.Key.Key_Down)
    qtbot.keyClick(_focus(), Qt.Key.Key_Down)
    qtbot.keyClick(_focus(), Qt.Key.Key_Right)
    assert dialog.picker.position == 8 and dialog.start.value() == 8
    assert _focus() is dialog.picker.buttons[7]
    assert [button.property("used") for button in dialog.picker.buttons[:9]] == (
        [True] * 7 + [False] * 2)
    qtbot.keyClick(_focus(), Qt.Key.Key_End)
    assert dialog.start.value() == 30
    qtbot.keyClick(_focus(), Qt.Key.Key_Right)
    assert dialog.start.value() == 30  # stays on the sheet
    assert dialog.summary.text() == "2 labels on 2 sheets, from label 30"
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        dialog.grab().save("/tmp/labels_dialog.png")

    preview = _preview(qtbot, dialog)
    assert preview.page_count.text() == "2 pages"
    qtbot.keyClick(preview, Qt.Key.Key_P, CTRL)
    ((images, paper),) = printer.jobs
    assert paper == QSizeF(612, 792)
    assert [(image.width(), image.height()) for image in images] == [(850, 1100)] * 2


def test_clicking_a_label_and_typing_a_position_agree(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, PATIENTS[:1])
    qtbot.mouseClick(dialog.picker.buttons[13], Qt.MouseButton.LeftButton)
    assert dialog.start.value() == 14
    dialog.start.setValue(3)
    assert dialog.picker.position == 3 and dialog.picker.buttons[2].isChecked()
    assert dialog.summary.text() == "1 label on 1 sheet, from label 3"
