"""The Documents tab: files filed in the chart (scanned letters, outside reports, photos of
cards), newest first.

Attach… asks for a file (``choose_file``, so tests can answer), reads it on the task runner and
checks what it is from its content before the form opens: a file the chart does not keep (an
.exe renamed .pdf, a DICOM image, anything over the size limit) is refused at once, plainly,
and nothing is asked about it. Open shows a PDF in the PDF preview, a picture scaled to the
window, text read-only. A document whose stored bytes no longer match their fingerprint says
so instead of showing anything.

Keyboard: Insert attaches, Enter opens, Delete removes (after a yes/no question).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QPushButton, QWidget

from medtrack_desktop.domain.chart.documents import (
    EXTENSIONS,
    MAX_DOCUMENT_BYTES,
    TEXT,
    DocumentDamaged,
    DocumentFile,
    DocumentInvalid,
    DocumentMeta,
    attach_document,
    documents,
    media_type_of,
    open_document,
    remove_document,
)
from medtrack_desktop.domain.chart.models import DOCUMENT_CATEGORIES
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_tab_parts import (
    SHOWN_DATE,
    ChartTab,
    chart_error_text,
    code_combo,
    code_label,
    text_area,
)
from medtrack_desktop.ui.chart.document_viewer import document_viewer
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.service_calls import invalid_fields
from medtrack_desktop.ui.widgets.list_tab import FormDialog
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Workspace

ChooseFile = Callable[[QWidget], Path | None]
KINDS = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image",
         "image/gif": "GIF image", "image/tiff": "TIFF image", TEXT: "Text"}
_PATTERNS = " ".join(f"*{extension}" for found in EXTENSIONS.values() for extension in found)


def choose_document_file(parent: QWidget) -> Path | None:
    name, _filter = QFileDialog.getOpenFileName(
        parent, "Attach a document", str(Path.home()),
        f"Documents ({_PATTERNS});;All files (*)")
    return Path(name) if name else None


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 2**20:.1f} MB"


def kind_text(media_type: str) -> str:
    return KINDS.get(media_type, media_type)


def document_error_text(error: Exception, *, doing: str) -> str:
    """What the user reads when a document cannot be read, attached or shown: a refused file
    in the service's words, a damaged one said plainly."""
    if isinstance(error, DocumentDamaged):
        return str(error)
    if (errors := invalid_fields(error)) is not None:
        return " ".join(errors.values())
    return chart_error_text(error, doing=doing)


@dataclass(frozen=True)
class ChosenFile:
    """A file read for attaching, known to be one the chart keeps."""

    name: str
    data: bytes
    media_type: str


def read_chosen_file(path: Path) -> ChosenFile:
    """Read ``path`` (on the task runner): refused (``DocumentInvalid``) when too large, before
    reading it, or empty or of a kind the chart does not keep, by its content."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentInvalid({"file": f"This file is {size / 2**20:.1f} MB; the chart takes "
                                       f"files of up to {MAX_DOCUMENT_BYTES // 2**20} MB."})
    data = path.read_bytes()
    if not data:
        raise DocumentInvalid({"file": "This file is empty."})
    return ChosenFile(name=path.name, data=data, media_type=media_type_of(data))


def opened_with_image(file: DocumentFile) -> tuple[DocumentFile, QImage | None]:
    """A picture is decoded with the document's read, off the GUI thread (QImage may be)."""
    if not file.meta.media_type.startswith("image/"):
        return file, None
    return file, QImage.fromData(file.data)


class DocumentsModel(RowsTableModel[DocumentMeta]):
    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__((
            Column("Title", lambda d: d.title,
                   lambda d: "\n".join(part for part in (d.file_name, d.notes) if part)),
            Column("Category", lambda d: code_label(d.category)),
            Column("Filed", lambda d: f"{d.filed_at.astimezone(zone):{SHOWN_DATE}}"),
            Column("Type", lambda d: kind_text(d.media_type)),
            Column("Size", lambda d: size_text(d.size_bytes)),
        ))


class AttachDialog(FormDialog):
    """What the chosen file is filed as: a title, a category, notes."""

    def __init__(self, chosen: ChosenFile, parent: QWidget | None = None) -> None:
        super().__init__("Attach document", "Attach", parent)
        self.chosen = chosen
        self.file = QLabel(f"{chosen.name} \u00b7 {kind_text(chosen.media_type)} \u00b7 "
                           f"{size_text(len(chosen.data))}", objectName="muted")
        self.file.setAccessibleName("File")
        self.title = text_field(200, "What the document is, e.g. Cardiology consult letter")
        self.title.setText(Path(chosen.name).stem[:200])
        self.category = code_combo(DOCUMENT_CATEGORIES, blank="Choose\u2026")
        self.notes = text_area(3)
        for key, label, widget in (("file", "File:", self.file),
                                   ("title", "&Title:", self.title),
                                   ("category", "&Category:", self.category),
                                   ("notes", "&Notes:", self.notes)):
            self.add_row(key, label, widget)


class DocumentsTab(ChartTab):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, choose_file: ChooseFile = choose_document_file) -> None:
        attach = QPushButton("&Attach\u2026")
        show = QPushButton("&Open\u2026")
        remove = QPushButton("Re&move\u2026")
        super().__init__(context, actor, workspace, name="Documents",
                         model=DocumentsModel(ZoneInfo(context.seat.clinic_timezone)),
                         buttons=[attach, show, remove], confirm=confirm)
        self._choose_file = choose_file
        self.attach, self.open, self.remove = attach, show, remove
        self.viewer: QDialog | None = None
        self.write_button(attach, "Ins", "Attach a file to the chart (Insert)", self.attach_file)
        self.write_button(remove, "Del", "Remove the selected document (Delete)",
                          self.remove_document)
        show.setToolTip("Show the selected document (Enter)")
        show.clicked.connect(self.open_selected)
        self.list.table.activated.connect(lambda _index: show.click())
        self.stretch_column(0)
        self.update_buttons()

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        if self.viewer is not None:
            self.viewer.reject()  # it showed the other patient's document
        super().set_patient(patient_id)

    def load(self) -> None:
        self.calls.start("chart.documents", documents, on_done=self._loaded,
                         on_failed=self.failed("load the documents"))

    def _loaded(self, rows: list[DocumentMeta]) -> None:
        self.show_rows(rows, self._counted())

    def _counted(self) -> str:
        count = self.model.rowCount()
        return f"{count} document{'' if count == 1 else 's'}" if count else "No documents filed"

    def update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.attach.setEnabled(self.may_write and self.calls.patient_id is not None)
        self.open.setEnabled(chosen)
        self.remove.setEnabled(self.may_write and chosen)

    def _refused(self, doing: str) -> Callable[[Exception], None]:
        def show(error: Exception) -> None:
            self.list.status.setText(self._counted())
            self.list.show_error(document_error_text(error, doing=doing))
        return show

    # -- attaching ---------------------------------------------------------------------------

    def attach_file(self) -> None:
        if not self.attach.isEnabled():
            return
        path = self._choose_file(self.view)
        if path is None:
            return
        self.list.show_error("")
        self.list.status.setText(f"Reading {path.name}\u2026")
        self.run_for_patient("chart.document.read", lambda: read_chosen_file(path),
                             on_done=self._show_form, on_failed=self._refused("read the file"))

    def _show_form(self, chosen: ChosenFile) -> None:
        self.list.status.setText(self._counted())
        dialog = AttachDialog(chosen, self.list)
        self.open_form(dialog, lambda: self._submit(dialog), dialog.title)
        dialog.title.selectAll()

    def _submit(self, dialog: AttachDialog) -> None:
        dialog.set_busy(True)
        chosen = dialog.chosen
        self.calls.start("chart.document.attach", attach_document,
                         title=dialog.title.text(), category=dialog.category.currentData(),
                         file_name=chosen.name, data=chosen.data,
                         notes=dialog.notes.toPlainText(),
                         on_done=lambda _meta: self.saved(dialog),
                         on_failed=lambda error: dialog.refused(
                             error, doing="attach the document"))

    # -- opening and removing ----------------------------------------------------------------

    def open_selected(self) -> None:
        chosen: DocumentMeta | None = self.selected()
        if chosen is None:
            return
        self.list.show_error("")
        store, actor, patient_id = self.context.store, self.actor, self.calls.patient_id
        assert patient_id is not None
        self.run_for_patient(
            "chart.document.open",
            lambda: opened_with_image(open_document(store, actor, patient_id=patient_id,
                                                    document_id=chosen.id)),
            on_done=self._show_document, on_failed=self._refused("open the document"))

    def _show_document(self, opened: tuple[DocumentFile, QImage | None]) -> None:
        file, image = opened
        try:
            viewer = document_viewer(file, image, parent=self.list)
        except ValueError as error:
            self.list.show_error(str(error))
            return
        viewer.finished.connect(lambda _code: self._viewer_closed(viewer))
        self.viewer = viewer
        viewer.open()

    def _viewer_closed(self, viewer: QDialog) -> None:
        if self.viewer is viewer:
            self.viewer = None

    def remove_document(self) -> None:
        chosen: DocumentMeta | None = self.selected()
        if chosen is None or not self.remove.isEnabled():
            return
        self.remove_entry(
            title="Remove document",
            question=f"Remove \u201c{chosen.title}\u201d from the chart? It stays in the record "
                     f"as removed.",
            name="chart.document.remove", service=remove_document,
            doing="remove the document", document_id=chosen.id, version=chosen.version)
