"""A provider's day schedule: read and built as PDF on the task runner, then previewed, printed
or saved in the shared preview (as the chart's visit summary). Title, print queue name and
suggested file name carry no PHI."""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QStyle, QVBoxLayout, QWidget

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.calendar import day_schedule
from medtrack_desktop.printing.day_schedule import day_schedule_pdf
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

PREVIEW_TITLE = "Day schedule"
PREPARING = "Preparing the day schedule\u2026"


def schedule_job(store: Store, actor: Actor, provider_id: uuid.UUID, day: date) -> Job:
    def job(_progress: Progress, cancelled: Cancelled) -> bytes | None:
        schedule = perform(store, actor, day_schedule, provider_id=provider_id, day=day)
        return None if cancelled() else day_schedule_pdf(schedule)

    return job


class DayScheduleDialog(QDialog):
    """Waits for the PDF, then shows it in ``preview`` (``sig_ready``)."""

    sig_ready = Signal()

    def __init__(self, context: AppContext, actor: Actor, *, provider_id: uuid.UUID,
                 day: date, printer: Printer | None = None,
                 choose_path: ChoosePath = choose_pdf_path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(PREVIEW_TITLE)
        self._context, self._actor = context, actor
        self._provider_id, self._day = provider_id, day
        self._printer, self._choose_path = printer, choose_path
        self.preview: PdfPreviewDialog | None = None
        self.pdf: bytes | None = None
        self.task: Task | None = None
        self._closed = False
        self.status = QLabel(PREPARING, wordWrap=True)
        self.status.setAccessibleName("Status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setMinimumWidth(360)
        self.waiting_buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.waiting_buttons.rejected.connect(self.reject)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.status)
        self._layout.addWidget(self.waiting_buttons)

    def load(self) -> None:
        if self.task is not None:
            return
        self.task = self._context.tasks.start(
            "schedule.print",
            schedule_job(self._context.store, self._actor, self._provider_id, self._day),
            on_done=while_shown(self, self._ready), on_failed=while_shown(self, self._failed))

    def _ready(self, pdf: bytes | None) -> None:
        if pdf is None or self._closed:
            return
        self.pdf = pdf
        preview = PdfPreviewDialog(pdf, title=PREVIEW_TITLE, printer=self._printer,
                                   choose_path=self._choose_path, parent=self)
        size = preview.size()
        preview.setWindowFlags(Qt.WindowType.Widget)
        preview.rejected.connect(self.reject)
        self.status.hide()
        self.waiting_buttons.hide()
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(preview, 1)
        preview.show()
        self.preview = preview
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.resize(size.width() + scroll_bar, size.height())
        preview.print_button.setFocus()
        self.sig_ready.emit()

    def _failed(self, error: Exception) -> None:
        self.status.setObjectName("fieldError")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(error_text(error, doing="prepare the day schedule"))

    def done(self, result: int) -> None:
        self._closed = True
        if self.task is not None:
            self.task.cancel()
        if self.preview is not None:
            self.preview.pages.close()
        super().done(result)
