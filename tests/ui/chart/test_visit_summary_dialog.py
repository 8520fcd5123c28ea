"""The visit summary dialog over the demo clinic: it opens at once, the PDF is built on the task
runner (not the GUI thread), the pages show, Print goes through the printer and Save writes the
PDF; a user without chart access reads why instead."""

from __future__ import annotations

import io
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from chart_ui import screenshot
from demo_users import sign_in
from pypdf import PdfReader
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.encounters import (
    EncounterInput,
    NoteDraft,
    save_note,
    start_encounter,
)
from medtrack_desktop.domain.chart.signing import sign_encounter
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.paths import resource
from medtrack_desktop.ui.chart import visit_summary_dialog
from medtrack_desktop.ui.chart.visit_summary_dialog import (
    PREPARING,
    PREVIEW_TITLE,
    VisitSummaryDialog,
    open_visit_summary,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.pdf_preview import PdfPages

TIMEOUT = 15_000
STARTS = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class RecordingPrinter:
    """Stands in for QPrinter + QPrintDialog (the paper)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[list[QImage], QSizeF]] = []

    def print_pages(self, images: PdfPages, page_size_points: QSizeF) -> bool:
        self.jobs.append(([images.render(index, 50) for index in range(len(images))],
                          page_size_points))
        return True


def _signed_visit(context: AppContext, physician: Actor, patient_id: uuid.UUID) -> uuid.UUID:
    visit = perform(context.store, physician, start_encounter, patient_id=patient_id,
                    entered=EncounterInput(encounter_type="follow_up", starts_at=STARTS,
                                           reason="Blood pressure check"), now=STARTS)
    version = perform(context.store, physician, save_note, encounter_id=visit.id,
                      version=visit.version,
                      draft=NoteDraft(subjective="Feels well.", assessment="Hypertension, "
                                      "controlled <b>&</b> stable", plan="Continue."))
    outcome = perform(context.store, physician, sign_encounter, encounter_id=visit.id,
                      version=version, password=DEMO_PASSWORD, now=STARTS)
    assert outcome.signature is not None, outcome.refused
    return visit.id


def _host(qtbot: QtBot) -> QWidget:
    """A window to open the dialog over, styled as the app is."""
    host = QWidget()
    qtbot.addWidget(host)
    host.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    host.resize(900, 700)
    host.show()
    return host


def test_the_dialog_opens_at_once_and_shows_the_pages_built_off_the_gui_thread(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encounter_id = _signed_visit(context, physician, patient_id)
    built_on: list[threading.Thread] = []
    real_pdf = visit_summary_dialog.visit_summary_pdf

    def spy(facts: object) -> bytes:
        built_on.append(threading.current_thread())
        return real_pdf(facts)  # type: ignore[arg-type]

    monkeypatch.setattr(visit_summary_dialog, "visit_summary_pdf", spy)
    host = _host(qtbot)
    dialog = open_visit_summary(context, physician, encounter_id, host)
    assert dialog.isVisible() and dialog.windowTitle() == PREVIEW_TITLE  # no PHI
    assert dialog.preview is None and dialog.status.text() == PREPARING

    with qtbot.waitSignal(dialog.sig_ready, timeout=TIMEOUT):
        pass
    preview = dialog.preview
    assert preview is not None and preview.isVisible() and not dialog.status.isVisible()
    assert built_on and built_on[0] is not threading.main_thread()
    pages = preview.findChildren(QLabel, "previewPage")
    assert len(pages) == len(preview.pages) >= 1
    assert all(not page.pixmap().isNull() and page.width() > 300 for page in pages)
    assert preview.print_button.isVisible() and preview.save_button.isVisible()
    # the dialog takes the page's width: nothing to scroll sideways
    qtbot.waitUntil(lambda: not preview.scroll.horizontalScrollBar().isVisible())
    screenshot(dialog, "visit_summary_dialog")

    # Escape in the preview closes the whole dialog (which deletes itself)
    qtbot.keyClick(preview.print_button, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_print_and_save_the_summary(qtbot: QtBot, context: AppContext, physician: Actor,
                                    patient_id: uuid.UUID, tmp_path: Path) -> None:
    encounter_id = _signed_visit(context, physician, patient_id)
    printer, target = RecordingPrinter(), tmp_path / "summary"
    dialog = VisitSummaryDialog(context, physician, encounter_id, printer=printer,
                                choose_path=lambda _parent, _name: target)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.sig_ready, timeout=TIMEOUT):
        dialog.load()
    preview = dialog.preview
    assert preview is not None

    with qtbot.waitSignal(dialog.sig_printed):
        qtbot.mouseClick(preview.print_button, Qt.MouseButton.LeftButton)
    images, size = printer.jobs[0]
    assert len(images) == len(preview.pages) and (size.width(), size.height()) == (612, 792)

    with qtbot.waitSignal(dialog.sig_saved) as saved:
        qtbot.mouseClick(preview.save_button, Qt.MouseButton.LeftButton)
    path = saved.args[0]
    assert path == tmp_path / "summary.pdf"
    with context.store.read_session() as session:
        patient = session.scalars(select(Patient).where(Patient.id == patient_id)).one()
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert patient.last_name in text and patient.mrn in text
    assert "Hypertension, controlled <b>&</b> stable" in text
    assert "Electronically signed by Elena Márquez (author of this note)" in text
    assert f"Page 1 of {len(reader.pages)}" in text


def test_a_user_without_chart_access_reads_why(qtbot: QtBot, context: AppContext,
                                               physician: Actor,
                                               patient_id: uuid.UUID) -> None:
    encounter_id = _signed_visit(context, physician, patient_id)
    frontdesk = sign_in(context.store, "frontdesk")
    dialog = VisitSummaryDialog(context, frontdesk, encounter_id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    qtbot.waitUntil(lambda: dialog.status.text() != PREPARING, timeout=TIMEOUT)
    screenshot(dialog, "visit_summary_refused")
    assert dialog.preview is None
    assert "chart.read" in dialog.status.text() or "permission" in dialog.status.text().lower()
