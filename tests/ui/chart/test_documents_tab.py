"""The Documents tab: a PDF chosen through the (injected) file chooser is read, filed by
keyboard and opens in the PDF preview; a picture opens scaled and text read-only; an .exe
renamed .pdf is refused plainly before any form; a damaged document says so."""

from __future__ import annotations

import io
import os
from pathlib import Path

from chart_tab_ui import adult_patient, focused, key_in_list, press, show_tab
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from reportlab.pdfgen import canvas
from sqlalchemy import update
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.documents import attach_document, documents
from medtrack_desktop.domain.chart.models import Document
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.document_viewer import ImageViewer, TextViewer
from medtrack_desktop.ui.chart.documents_tab import AttachDialog, DocumentsTab
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.pdf_preview import PdfPreviewDialog

NOT_KEPT = ("This file is not a PDF, an image (PNG, JPEG, GIF, TIFF) or plain text. Save or "
            "print it as PDF, then attach that.")


def _pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Echocardiogram report")
    page.save()
    return out.getvalue()


def _png() -> bytes:
    """A 4:3 picture larger than the viewer's window."""
    image = QImage(1600, 1200, QImage.Format.Format_RGB32)
    image.fill(QColor("#2a6f8f"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return buffer.data().data()


class Chooser:
    """The file dialog, answered by the test; counts how often it was asked."""

    def __init__(self) -> None:
        self.answers: list[Path | None] = []
        self.asked = 0

    def __call__(self, _parent: QWidget) -> Path | None:
        self.asked += 1
        return self.answers.pop(0)


def test_attach_a_pdf_and_open_it(qtbot: QtBot, context: AppContext, nurse: Actor,
                                  tmp_path: Path) -> None:
    patient_id = adult_patient(context.store, "Filed")
    chooser = Chooser()
    tab, _workspace = show_tab(qtbot, context, nurse, DocumentsTab, patient_id,
                               choose_file=chooser)
    assert isinstance(tab, DocumentsTab)
    assert tab.list.status.text() == "No documents filed" and not tab.open.isEnabled()

    pdf = _pdf()
    chosen = tmp_path / "echo report.pdf"
    chosen.write_bytes(pdf)
    chooser.answers.append(chosen)
    press(qtbot, tab, Qt.Key.Key_Insert)
    form = tab.dialog
    assert isinstance(form, AttachDialog) and chooser.asked == 1
    assert focused() is form.title and form.title.text() == "echo report"
    assert form.file.text().startswith("echo report.pdf \u00b7 PDF \u00b7 ")
    qtbot.keyClicks(form.title, "Echocardiogram, outside cardiology")
    qtbot.keyClick(form.title, Qt.Key.Key_Tab)
    qtbot.keyClick(form.title, Qt.Key.Key_Return)  # no category yet
    qtbot.waitUntil(lambda: bool(form.errors.message("category")), timeout=10_000)
    assert form.errors.message("category") == "Category: choose one of the listed categories."
    assert focused() is form.category
    qtbot.keyClicks(form.category, "i")  # Imaging report
    qtbot.keyClick(form.category, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tab.model.rows) == 1, timeout=10_000)
    settle(qtbot, context)
    (meta,) = perform(context.store, nurse, documents, patient_id=patient_id)
    assert (meta.title, meta.category, meta.file_name, meta.size_bytes) == (
        "Echocardiogram, outside cardiology", "imaging_report", "echo report.pdf", len(pdf))
    row = [tab.model.index(0, column).data() for column in range(5)]
    assert row[:2] == ["Echocardiogram, outside cardiology", "Imaging report"]
    assert row[3:] == ["PDF", f"{len(pdf) / 1024:.0f} KB"]

    key_in_list(qtbot, tab, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.viewer is not None, timeout=10_000)
    preview = tab.viewer
    assert isinstance(preview, PdfPreviewDialog)
    assert len(preview.pages) == 1 and preview.windowTitle() == "Imaging report"
    page = preview.findChild(QWidget, "previewPage")
    assert page is not None and not page.pixmap().isNull()
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        tab.view.grab().save("/tmp/uib_documents.png")
        preview.grab().save("/tmp/uib_documents_pdf.png")
    preview.reject()
    qtbot.waitUntil(lambda: tab.viewer is None)


def test_an_exe_renamed_pdf_is_refused_plainly(qtbot: QtBot, context: AppContext,
                                               nurse: Actor, tmp_path: Path) -> None:
    patient_id = adult_patient(context.store, "Careful")
    chooser = Chooser()
    tab, _workspace = show_tab(qtbot, context, nurse, DocumentsTab, patient_id,
                               choose_file=chooser)
    assert isinstance(tab, DocumentsTab)
    disguised = tmp_path / "invoice.pdf"
    disguised.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(range(256)) * 8)
    chooser.answers.append(disguised)
    key_in_list(qtbot, tab, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: tab.list.error.isVisible(), timeout=10_000)
    settle(qtbot, context)
    assert tab.list.error.text() == NOT_KEPT
    assert tab.dialog is None, "nothing to fill in for a file that cannot be filed"
    assert perform(context.store, nurse, documents, patient_id=patient_id) == []

    chooser.answers.append(None)  # the user cancels the next time: nothing happens
    key_in_list(qtbot, tab, Qt.Key.Key_Insert)
    settle(qtbot, context)
    assert chooser.asked == 2 and tab.dialog is None


def test_pictures_text_and_a_damaged_document(qtbot: QtBot, context: AppContext,
                                              nurse: Actor) -> None:
    patient_id = adult_patient(context.store, "Scanned")
    for title, data in (("Insurance card", _png()), ("Phone message", b"Called back.\n"),
                        ("Old letter", _pdf())):
        perform(context.store, nurse, attach_document, patient_id=patient_id, title=title,
                category="correspondence", file_name="x", data=data)
    tab, _workspace = show_tab(qtbot, context, nurse, DocumentsTab, patient_id)
    assert isinstance(tab, DocumentsTab)
    titles = [row.title for row in tab.model.rows]

    def open_row(title: str) -> QWidget:
        tab.list.table.selectRow(titles.index(title))
        tab.open.click()
        qtbot.waitUntil(lambda: tab.viewer is not None, timeout=10_000)
        viewer = tab.viewer
        assert viewer is not None
        return viewer

    picture = open_row("Insurance card")
    assert isinstance(picture, ImageViewer) and picture.fit.isChecked()
    qtbot.waitUntil(picture.isVisible)
    shown = picture.label.pixmap()
    assert shown.width() < 1600 and abs(shown.width() / shown.height() - 4 / 3) < 0.01
    picture.fit.setChecked(False)
    assert picture.label.pixmap().width() == 1600
    picture.reject()
    text = open_row("Phone message")
    assert isinstance(text, TextViewer) and text.text.isReadOnly()
    assert text.text.toPlainText() == "Called back.\n"
    text.reject()

    letter = next(row for row in tab.model.rows if row.title == "Old letter")
    with context.store.session() as session:
        session.execute(update(Document).where(Document.id == letter.id)
                        .values(sha256="0" * 64, version=Document.version + 1))
    tab.list.table.selectRow(titles.index("Old letter"))
    tab.open.click()
    qtbot.waitUntil(lambda: tab.list.error.isVisible(), timeout=10_000)
    assert tab.list.error.text().startswith(
        "This document's stored content does not match its fingerprint: it is damaged")
    assert tab.viewer is None
