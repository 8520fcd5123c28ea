"""Preview, print and save the PDFs ``printing/`` builds (DESIGN §6: built as PDF, previewed in
the app, sent to a printer via Qt).

QtPdf is not in PySide6-Essentials, so pdfium (pypdfium2) renders the pages. Everything stays in
memory: the PDF is never written to a temporary file (it holds PHI); "Save as PDF" writes only
where the user chose. Printing goes through a ``Printer`` so tests can stand in for the paper.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pypdfium2 as pdfium
from PySide6.QtCore import QMarginsF, QSizeF, Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPageLayout, QPageSize, QPainter, QPixmap
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

SCREEN_DPI = 96.0  # Qt's logical inch on every platform


class PrintError(Exception):
    """The printer could not take the job; the message is safe to show."""


class PdfPages:
    """A PDF's pages, each rendered on demand at whatever resolution is asked for: the screen's
    at the preview's zoom, or the printer's."""

    def __init__(self, pdf: bytes) -> None:
        self._document = pdfium.PdfDocument(pdf)

    def __len__(self) -> int:
        return len(self._document)

    def close(self) -> None:
        self._document.close()

    def page_size_points(self, index: int = 0) -> QSizeF:
        width, height = self._document.get_page_size(index)
        return QSizeF(width, height)

    def render(self, index: int, dpi: float) -> QImage:
        bitmap = self._document[index].render(scale=dpi / 72, rev_byteorder=True,
                                              prefer_bgrx=True)
        image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride,
                       QImage.Format.Format_RGBX8888)
        return image.copy()  # own the pixels: pdfium frees its bitmap


class Printer(Protocol):
    """Puts pages on paper: the world outside the app, which tests replace with a recorder."""

    def print_pages(self, images: PdfPages, page_size_points: QSizeF) -> bool:
        """Print ``images`` on paper of ``page_size_points``; False if the user cancelled.
        Raises ``PrintError`` when the printer cannot take the job."""
        ...


class QtPrinter:
    """Asks for a printer with ``QPrintDialog``, then prints through ``paint_pages``."""

    def __init__(self, *, document_name: str, parent: QWidget | None = None) -> None:
        self._document_name, self._parent = document_name, parent

    def print_pages(self, images: PdfPages, page_size_points: QSizeF) -> bool:
        printer = configured_printer(page_size_points, document_name=self._document_name)
        dialog = QPrintDialog(printer, self._parent)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        dialog.setMinMax(1, len(images))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        first, last = printer.fromPage() or 1, printer.toPage() or len(images)
        paint_pages(printer, images, range(first - 1, last))
        return True


def configured_printer(page_size_points: QSizeF, *, document_name: str) -> QPrinter:
    """A printer set to the PDF's own paper, drawn on from the paper's corner (no margins):
    labels must meet the die cuts. ``document_name`` shows in the print queue: no PHI."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(document_name)
    printer.setFullPage(True)
    printer.setPageLayout(QPageLayout(
        QPageSize(page_size_points, QPageSize.Unit.Point, "",
                  QPageSize.SizeMatchPolicy.ExactMatch),
        QPageLayout.Orientation.Portrait, QMarginsF()))
    return printer


MAX_PRINT_DPI = 600  # a 1200 dpi Letter page is a 540 MB image; 600 dpi keeps bars sharp


def paint_pages(printer: QPrinter, images: PdfPages, indexes: range) -> None:
    """Paint each page, rendered at the printer's resolution (up to ``MAX_PRINT_DPI``), over
    the whole paper. One page is in memory at a time."""
    dpi = min(printer.resolution(), MAX_PRINT_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("The printer could not be opened. Check that it is on and ready.")
    try:
        for number, index in enumerate(indexes):
            if number and not printer.newPage():
                raise PrintError("The printer stopped taking pages.")
            painter.drawImage(printer.paperRect(QPrinter.Unit.DevicePixel),
                              images.render(index, dpi))
    finally:
        painter.end()


ChoosePath = Callable[[QWidget, str], Path | None]


def choose_pdf_path(parent: QWidget, suggested_name: str) -> Path | None:
    name, _filter = QFileDialog.getSaveFileName(parent, "Save as PDF",
                                                str(Path.home() / suggested_name),
                                                "PDF documents (*.pdf)")
    return Path(name) if name else None


def _write_pdf(path: Path, pdf: bytes) -> None:
    """Write to a side file first, so a failed save never leaves half a file under the name."""
    partial = path.with_name(f"{path.name}.part")
    try:
        partial.write_bytes(pdf)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


class PdfPreviewDialog(QDialog):
    """Shows a PDF's pages and prints or saves it.

    ``title`` names the document in the window title, the print queue and the suggested file
    name, so it must carry no PHI ("Patient labels", not a patient's name). ``sig_printed`` and
    ``sig_saved(path)`` let the caller audit that a record left the app.
    """

    ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
    FIT_WIDTH_PX = 860  # the first zoom is the largest that shows a page this wide or less

    sig_printed = Signal()
    sig_saved = Signal(object)

    def __init__(self, pdf: bytes, *, title: str, printer: Printer | None = None,
                 choose_path: ChoosePath = choose_pdf_path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._pdf, self._title, self._choose_path = pdf, title, choose_path
        self.pages = PdfPages(pdf)
        self._printer: Printer = printer or QtPrinter(document_name=title, parent=self)
        page_width_px = self.pages.page_size_points().width() * SCREEN_DPI / 72
        fitting = [step for step in self.ZOOM_STEPS if step * page_width_px <= self.FIT_WIDTH_PX]
        self.zoom = fitting[-1] if fitting else self.ZOOM_STEPS[0]

        self.print_action = self._action("&Print…", self.print_document, QKeySequence("Ctrl+P"))
        self.save_action = self._action("&Save as PDF…", self.save_as_pdf, QKeySequence("Ctrl+S"))
        # Ctrl+= too: Ctrl++ needs Shift on most keyboards.
        self.zoom_in_action = self._action("Zoom in", self.zoom_in, QKeySequence("Ctrl+="),
                                           QKeySequence(QKeySequence.StandardKey.ZoomIn))
        self.zoom_out_action = self._action("Zoom out", self.zoom_out, QKeySequence("Ctrl+-"))

        zoom_out = self._tool_button("\u2212", self.zoom_out_action)  # a real minus sign
        zoom_in = self._tool_button("+", self.zoom_in_action)
        self.zoom_label = QLabel()
        self.zoom_label.setAccessibleName("Zoom")
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("400 %"))
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        count = len(self.pages)
        self.page_count = QLabel(f"{count} page" + ("" if count == 1 else "s"),
                                 objectName="muted")
        self.page_count.setAccessibleName("Page count")

        buttons = QDialogButtonBox()
        self.print_button = self._push_button(buttons, self.print_action)
        self.save_button = self._push_button(buttons, self.save_action)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.print_button.setDefault(True)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Status")
        self.message.hide()

        self._page_box = QVBoxLayout()
        self._page_box.setSpacing(16)
        self._page_labels: list[QLabel] = []
        for number in range(1, count + 1):
            label = QLabel(objectName="previewPage")
            label.setAccessibleName(f"Page {number} of {count}")
            label.setStyleSheet("background: white; border: 1px solid #8b979e;")
            self._page_box.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self._page_labels.append(label)
        self._page_box.addStretch(1)
        canvas = QWidget(objectName="previewCanvas")
        canvas.setLayout(self._page_box)
        self.scroll = QScrollArea()
        self.scroll.setWidget(canvas)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll.setStyleSheet("QScrollArea, QWidget#previewCanvas { background: #5d6a71; }")
        self.scroll.setAccessibleName(f"Preview of {title}")

        toolbar = QHBoxLayout()
        for widget in (zoom_out, self.zoom_label, zoom_in):
            toolbar.addWidget(widget)
        toolbar.addSpacing(16)
        toolbar.addWidget(self.page_count)
        toolbar.addStretch(1)
        toolbar.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.message)
        layout.addWidget(self.scroll, 1)
        self._show_pages()
        self.resize(max(480, min(self.FIT_WIDTH_PX, round(page_width_px * self.zoom)) + 80), 760)
        self.print_button.setFocus()

    def _action(self, text: str, slot: Callable[[], None], *shortcuts: QKeySequence) -> QAction:
        action = QAction(text, self)
        action.setShortcuts(list(shortcuts))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    @staticmethod
    def _tool_button(text: str, action: QAction) -> QToolButton:
        action.setIconText(text)  # what a tool button shows; the menu-style text stays its name
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAccessibleName(action.text())
        button.setToolTip(f"{action.text()} ({action.shortcut().toString()})")
        return button

    @staticmethod
    def _push_button(buttons: QDialogButtonBox, action: QAction) -> QPushButton:
        button = buttons.addButton(action.text(), QDialogButtonBox.ButtonRole.ActionRole)
        button.setToolTip(f"{action.text().replace('&', '')} "
                          f"({action.shortcut().toString()})")
        button.clicked.connect(action.trigger)
        return button

    def done(self, result: int) -> None:
        """Frees pdfium's copy of the document: the dialog is shown once."""
        super().done(result)
        self.pages.close()

    def zoom_in(self) -> None:
        self._set_zoom(next((z for z in self.ZOOM_STEPS if z > self.zoom), self.zoom))

    def zoom_out(self) -> None:
        self._set_zoom(next((z for z in reversed(self.ZOOM_STEPS) if z < self.zoom), self.zoom))

    def _set_zoom(self, zoom: float) -> None:
        if zoom != self.zoom:
            self.zoom = zoom
            self._show_pages()

    def _show_pages(self) -> None:
        """Render every page at the zoom, at the screen's pixel density (sharp on high DPI).
        Label batches are a few pages; a long document would want visible pages only."""
        ratio = self.devicePixelRatioF()
        for index, label in enumerate(self._page_labels):
            pixmap = QPixmap.fromImage(self.pages.render(index, SCREEN_DPI * self.zoom * ratio))
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)
            label.setFixedSize(pixmap.deviceIndependentSize().toSize())
        self.zoom_label.setText(f"{round(self.zoom * 100)} %")
        self.zoom_in_action.setEnabled(self.zoom < self.ZOOM_STEPS[-1])
        self.zoom_out_action.setEnabled(self.zoom > self.ZOOM_STEPS[0])

    def print_document(self) -> None:
        try:
            printed = self._printer.print_pages(self.pages, self.pages.page_size_points())
        except PrintError as error:
            self._say(str(error), error=True)
            return
        if printed:
            self._say("Sent to the printer.")
            self.sig_printed.emit()

    def save_as_pdf(self) -> None:
        path = self._choose_path(self, f"{self._title}.pdf")
        if path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_name(f"{path.name}.pdf")
        try:
            _write_pdf(path, self._pdf)
        except OSError as error:
            self._say(f"Could not save {path.name}: {error.strerror or error}.", error=True)
            return
        self._say(f"Saved as {path}.")
        self.sig_saved.emit(path)

    def _say(self, text: str, *, error: bool = False) -> None:
        """Outcome shown in place, not in a message box the user must dismiss."""
        self.message.setObjectName("fieldError" if error else "muted")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.show()
