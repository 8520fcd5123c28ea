"""The visit summary of an encounter: read, built as PDF on the task runner, then previewed,
printed (Qt's print dialog) or saved as PDF in the shared preview.

The dialog opens at once saying it is preparing the summary; the job reads the facts (one
unit of work, audited as a print) and builds the PDF off the GUI thread — a long note is tens
of pages — and the preview takes the dialog's place when it is ready. The window title, print
queue name and suggested file name carry no PHI.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.visit_summary import visit_summary_facts
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.printing.visit_summary import visit_summary_pdf
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import error_text
from medtrack_desktop.ui.tasks import Cancelled, Job, Progress, Task, while_shown
from medtrack_desktop.ui.widgets.pdf_preview import (
    ChoosePath,
    PdfPreviewDialog,
    Printer,
    choose_pdf_path,
)

PREVIEW_TITLE = "Visit summary"  # window title, print queue and file name: no PHI
PREPARING = "Preparing the visit summary\u2026"


def summary_job(store: Store, actor: Actor, encounter_id: uuid.UUID) -> Job:
    """Read the facts (their own unit of work, committed with the print's audit entry), then
    build the PDF; None when cancelled in between."""

    def job(_progress: Progress, cancelled: Cancelled) -> bytes | None:
        facts = perform(store, actor, visit_summary_facts, encounter_id=encounter_id)
        return None if cancelled() else visit_summary_pdf(facts)

    return job


class VisitSummaryDialog(QDialog):
    """Waits for the encounter's summary, then shows it in ``preview``.

    ``sig_ready`` when the preview shows; ``sig_printed`` and ``sig_saved(path)`` come from the
    preview. ``printer`` and ``choose_path`` are the outside world (paper, the file dialog),
    replaced in tests.
    """

    sig_ready = Signal()
    sig_printed = Signal()
    sig_saved = Signal(object)

    def __init__(self, context: AppContext, actor: Actor, encounter_id: uuid.UUID, *,
                 printer: Printer | None = None, choose_path: ChoosePath = choose_pdf_path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(PREVIEW_TITLE)
        self._context, self._actor, self._encounter_id = context, actor, encounter_id
        self._printer, self._choose_path = printer, choose_path
        self.preview: PdfPreviewDialog | None = None
        self.task: Task | None = None
        self._closed = False

        self.status = QLabel(PREPARING)
        self.status.setAccessibleName("Status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # an error may quote typed text
        self.status.setMinimumWidth(360)
        self.waiting_buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.waiting_buttons.rejected.connect(self.reject)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.status)
        self._layout.addWidget(self.waiting_buttons)

    def load(self) -> None:
        """Start reading and building the summary (once)."""
        if self.task is not None:
            return
        self.task = self._context.tasks.start(
            "chart.visit_summary",
            summary_job(self._context.store, self._actor, self._encounter_id),
            on_done=while_shown(self, self._ready), on_failed=while_shown(self, self._failed))

    def _ready(self, pdf: bytes | None) -> None:
        if pdf is None or self._closed:
            return  # closed while it was being built
        preview = PdfPreviewDialog(pdf, title=PREVIEW_TITLE, printer=self._printer,
                                   choose_path=self._choose_path, parent=self)
        size = preview.size()  # what the preview chose for its pages, before it is embedded
        preview.setWindowFlags(Qt.WindowType.Widget)  # the preview is this dialog's body
        preview.rejected.connect(self.reject)  # its Close button, or Escape
        preview.sig_printed.connect(self.sig_printed)
        preview.sig_saved.connect(self.sig_saved)
        self.status.hide()
        self.waiting_buttons.hide()
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(preview, 1)
        preview.show()
        self.preview = preview
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.resize(size.width() + scroll_bar, size.height())  # no horizontal scrolling
        preview.print_button.setFocus()
        self.sig_ready.emit()

    def _failed(self, error: Exception) -> None:
        self.status.setObjectName("fieldError")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(error_text(error, doing="prepare the visit summary"))
        self.waiting_buttons.setFocus()

    def done(self, result: int) -> None:
        """Stops a job still running, and frees the preview's copy of the PDF."""
        self._closed = True
        if self.task is not None:
            self.task.cancel()
        if self.preview is not None:
            self.preview.pages.close()
        super().done(result)


def open_visit_summary(context: AppContext, actor: Actor, encounter_id: uuid.UUID,
                       parent: QWidget | None) -> VisitSummaryDialog:
    """Open the visit summary of ``encounter_id`` over ``parent`` (window-modal) and start
    building it; the dialog deletes itself when closed."""
    dialog = VisitSummaryDialog(context, actor, encounter_id, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.load()
    return dialog
