"""Showing a chart document: a PDF in the PDF preview (print, save), a picture scaled to the
window, text read-only. Nothing is written to a temporary file: the bytes stay in memory."""

from __future__ import annotations

import pypdfium2 as pdfium
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontDatabase, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.chart.documents import PDF, TEXT, DocumentFile
from medtrack_desktop.ui.chart.chart_tab_parts import code_label
from medtrack_desktop.ui.widgets.pdf_preview import PdfPreviewDialog


def document_viewer(file: DocumentFile, image: QImage | None,
                    parent: QWidget | None = None) -> QDialog:
    """The dialog that shows ``file`` (``image``: its picture, decoded off the GUI thread).
    ValueError, with a message for the user, when it cannot be shown."""
    meta = file.meta
    if meta.media_type == PDF:
        try:
            # The preview's title goes to print queues and file names: the category, not the
            # title the user typed (which may name the patient).
            return PdfPreviewDialog(file.data, title=code_label(meta.category), parent=parent)
        except pdfium.PdfiumError as error:
            raise ValueError("This PDF could not be shown: it may be damaged or "
                             "protected by a password.") from error
    if meta.media_type.startswith("image/"):
        if image is None or image.isNull():
            raise ValueError("This picture could not be shown: its data cannot be read.")
        return ImageViewer(meta.title, image, parent)
    if meta.media_type == TEXT:
        return TextViewer(meta.title, file.data.decode("utf-8"), parent)
    raise ValueError(f"Documents of type {meta.media_type} cannot be shown here.")


class _Viewer(QDialog):
    """A resizable window with ``body`` and a Close button."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.body = body
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(body, 1)
        self.layout_.addWidget(buttons)
        self.resize(860, 720)


class TextViewer(_Viewer):
    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        area = QPlainTextEdit(text)
        area.setReadOnly(True)
        area.setAccessibleName(title)
        area.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        super().__init__(title, area, parent)
        self.text = area
        area.setFocus()


class ImageViewer(_Viewer):
    """The picture scaled down to fit the window (never up: a small scan stays sharp), or at
    its own size with scroll bars."""

    def __init__(self, title: str, image: QImage, parent: QWidget | None = None) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        super().__init__(title, scroll, parent)
        self.scroll = scroll
        self.picture = QPixmap.fromImage(image)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.label.setAccessibleName(title)
        scroll.setWidget(self.label)
        self.fit = QCheckBox("&Fit to window")
        self.fit.setChecked(True)
        self.fit.toggled.connect(self._show)
        self.size_label = QLabel(f"{image.width()} \u00d7 {image.height()} pixels",
                                 objectName="muted")
        self.layout_.insertWidget(0, self.fit)
        self.layout_.insertWidget(2, self.size_label)
        self._ready = True
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:  # a Qt override: camelCase
        super().resizeEvent(event)
        if getattr(self, "_ready", False):  # not while the base class sizes the window
            self._show()

    def _show(self) -> None:
        room = self.scroll.viewport().size() - QSize(4, 4)
        picture = self.picture
        if self.fit.isChecked() and (picture.width() > room.width()
                                     or picture.height() > room.height()):
            picture = picture.scaled(room, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
        self.label.setPixmap(picture)
