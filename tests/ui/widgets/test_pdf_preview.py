"""The PDF preview, driven by keyboard: pages shown, zoom, print through a recording printer
(paper is the world outside), save where the user chose."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from medtrack_desktop.printing.labels import PatientLabel, avery_5160_sheet, thermal_labels
from medtrack_desktop.ui.widgets.pdf_preview import (
    PdfPages,
    PdfPreviewDialog,
    PrintError,
    configured_printer,
    paint_pages,
)

CTRL = Qt.KeyboardModifier.ControlModifier


class RecordingPrinter:
    """Stands in for QPrinter + QPrintDialog: renders every page as a printer at ``dpi`` would."""

    def __init__(self, dpi: float = 150) -> None:
        self.dpi = dpi
        self.jobs: list[tuple[list[QImage], QSizeF]] = []

    def print_pages(self, images: PdfPages, page_size_points: QSizeF) -> bool:
        self.jobs.append(([images.render(index, self.dpi) for index in range(len(images))],
                          page_size_points))
        return True


class BrokenPrinter:
    def print_pages(self, images: PdfPages, page_size_points: QSizeF) -> bool:
        raise PrintError("The printer could not be opened. Check that it is on and ready.")


def _labels(count: int) -> list[PatientLabel]:
    return [PatientLabel("Nguyễn, Thị Ánh", date(1970, 3, 4), "female", f"{10_000_002 + i}")
            for i in range(count)]


def _dialog(qtbot: QtBot, pdf: bytes, **kwargs: object) -> PdfPreviewDialog:
    dialog = PdfPreviewDialog(pdf, title="Patient labels", **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # shortcuts go to the active window only
    return dialog


def test_pages_show_with_their_count_and_zoom_by_keyboard(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, avery_5160_sheet(_labels(31)), printer=RecordingPrinter())
    assert dialog.windowTitle() == "Patient labels"
    assert dialog.page_count.text() == "2 pages"
    assert dialog.zoom_label.text() == "100 %"
    first = dialog.findChildren(QWidget, "previewPage")[0]
    assert first.accessibleName() == "Page 1 of 2"
    assert (first.pixmap().width(), first.pixmap().height()) == (816, 1056)  # 8.5 x 11 in

    qtbot.keyClick(dialog, Qt.Key.Key_Equal, CTRL)
    assert dialog.zoom_label.text() == "125 %"
    assert first.pixmap().width() == 1020
    for _ in range(3):
        qtbot.keyClick(dialog, Qt.Key.Key_Minus, CTRL)
    assert dialog.zoom_label.text() == "50 %"
    qtbot.keyClick(dialog, Qt.Key.Key_Minus, CTRL)
    assert dialog.zoom_label.text() == "50 %"  # the smallest step
    assert not dialog.zoom_out_action.isEnabled()
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        qtbot.keyClick(dialog, Qt.Key.Key_Equal, CTRL)
        qtbot.wait(50)  # let the layout take the new page sizes
        dialog.grab().save("/tmp/labels_preview_sheet.png")


def test_small_pages_open_zoomed_in(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, thermal_labels(_labels(2)), printer=RecordingPrinter())
    assert dialog.page_count.text() == "2 pages"
    assert dialog.zoom_label.text() == "300 %"


def test_print_renders_each_page_at_the_printers_resolution_on_the_pdfs_paper(
    qtbot: QtBot,
) -> None:
    printer = RecordingPrinter(dpi=203)
    dialog = _dialog(qtbot, thermal_labels(_labels(3)), printer=printer)
    with qtbot.waitSignal(dialog.sig_printed):
        qtbot.keyClick(dialog, Qt.Key.Key_P, CTRL)
    ((images, paper),) = printer.jobs
    assert paper == QSizeF(162, 90)
    assert [(image.width(), image.height()) for image in images] == [(457, 254)] * 3
    assert dialog.message.text() == "Sent to the printer."


def test_a_printer_error_is_said_in_place(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, thermal_labels(_labels(1)), printer=BrokenPrinter())
    qtbot.keyClick(dialog, Qt.Key.Key_P, CTRL)
    assert dialog.message.isVisible()
    assert dialog.message.objectName() == "fieldError"
    assert "printer could not be opened" in dialog.message.text()


def test_save_writes_the_pdf_where_the_user_chose(qtbot: QtBot, tmp_path: Path) -> None:
    pdf = avery_5160_sheet(_labels(31))
    asked: list[str] = []

    def choose(_parent: QWidget, suggested: str) -> Path:
        asked.append(suggested)
        return tmp_path / "front desk labels"

    dialog = _dialog(qtbot, pdf, printer=RecordingPrinter(), choose_path=choose)
    with qtbot.waitSignal(dialog.sig_saved) as saved:
        qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    target = tmp_path / "front desk labels.pdf"
    assert asked == ["Patient labels.pdf"]
    assert saved.args == [target]
    assert target.read_bytes() == pdf
    assert len(PdfReader(io.BytesIO(target.read_bytes())).pages) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["front desk labels.pdf"]


def test_a_failed_save_leaves_no_file_and_says_why(qtbot: QtBot, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "labels.pdf"
    dialog = _dialog(qtbot, thermal_labels(_labels(1)), printer=RecordingPrinter(),
                     choose_path=lambda _parent, _name: target)
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert not target.parent.exists()
    assert dialog.message.text().startswith("Could not save labels.pdf")


def test_cancelling_the_file_choice_writes_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, thermal_labels(_labels(1)), printer=RecordingPrinter(),
                     choose_path=lambda _parent, _name: None)
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert not dialog.message.isVisible()


def test_escape_closes(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, thermal_labels(_labels(1)), printer=RecordingPrinter())
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


@pytest.mark.parametrize("zoom_in", [Qt.Key.Key_Equal, Qt.Key.Key_Plus])
def test_both_zoom_in_shortcuts(qtbot: QtBot, zoom_in: Qt.Key) -> None:
    dialog = _dialog(qtbot, avery_5160_sheet(_labels(1)), printer=RecordingPrinter())
    qtbot.keyClick(dialog, zoom_in, CTRL)
    assert dialog.zoom_label.text() == "125 %"


def test_qt_printing_puts_each_page_on_paper_of_the_pdfs_size(tmp_path: Path) -> None:
    """What QtPrinter does after the print dialog, with Qt's own PDF printer as the paper."""
    labels = _labels(2)
    pages = PdfPages(thermal_labels(labels))
    printer = configured_printer(pages.page_size_points(), document_name="Patient labels")
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    paint_pages(printer, pages, range(len(pages)))
    pages.close()
    printed = (tmp_path / "printed.pdf").read_bytes()
    sizes = [(round(float(page.mediabox.width)), round(float(page.mediabox.height)))
             for page in PdfReader(io.BytesIO(printed)).pages]
    assert sizes == [(162, 90)] * 2
    document = pdfium.PdfDocument(printed)
    decoded = [[barcode.text for barcode in zxingcpp.read_barcodes(
        page.render(scale=203 / 72, grayscale=True).to_pil())] for page in document]
    document.close()
    assert decoded == [[label.mrn] for label in labels]
