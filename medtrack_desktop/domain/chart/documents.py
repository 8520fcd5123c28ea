"""Documents filed in a patient's chart: scanned letters, outside reports, photos of cards.

What a file *is* is read from its first bytes, never from its name: a PDF, a PNG, JPEG, GIF or
TIFF image, or plain UTF-8 text; anything else is refused (an .exe renamed .pdf included), and
a DICOM file is sent to the Imaging module, which keeps its series and metadata. The file name
is kept only as a label and for saving a copy: path parts, control and bidirectional
characters are taken out and the name ends in the extension of the type found, so a saved copy
opens in the right program ("\\u202Efdp.exe" holding a PDF becomes "fdp.exe.pdf").

The bytes live in ``document_contents`` (append-only; the SQLCipher file encrypts them at rest)
with their SHA-256 in ``documents``; every read hashes them again and raises
``DocumentDamaged`` on a mismatch. Listing never reads the bytes. Removing a document
tombstones its description; the content stays. Audit entries name the kind and size of a
file, never its name, title or notes (they can be PHI).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.chart.access import (
    audit,
    chart_patient,
    encounter_for_entry,
    owned_row,
    refuse_if_signed,
    tombstone,
)
from medtrack_desktop.domain.chart.models import DOCUMENT_CATEGORIES, Document, DocumentContent
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.store.base import bind_actor
from medtrack_desktop.store.engine import Store

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
TITLE_LIMIT = 200
NOTES_LIMIT = 4000
# Room for an added extension within the 255 characters of ``documents.file_name``.
FILE_NAME_LIMIT = 200

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
TIFF = "image/tiff"
TEXT = "text/plain; charset=utf-8"

# Extensions a saved copy may keep, the first one added when the name has none of them.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe"),
    GIF: (".gif",),
    TIFF: (".tif", ".tiff"),
    TEXT: (".txt", ".text", ".csv", ".log"),
}
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
)
# Controls a plain text file may hold: tab, line feed, form feed, carriage return.
_TEXT_CONTROLS = frozenset("\t\n\f\r")
# Characters Windows refuses in file names, and the device names it reserves.
_WINDOWS_UNSAFE = frozenset('<>:"|?*')
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)})


class DocumentInvalid(FieldsInvalid):
    """A document that cannot be filed as given: errors keyed "file", "title", "category",
    "notes" or "encounter_id"."""


class DicomNotADocument(DocumentInvalid):
    """The file is a DICOM image: it belongs in Imaging (the UI may offer to go there)."""

    def __init__(self) -> None:
        super().__init__({"file": "This is a DICOM image: import it in Imaging, where its "
                                  "series and details are kept, not as a document."})


class DocumentDamaged(RuntimeError):
    """The stored bytes no longer match the SHA-256 taken when the document was filed."""

    def __init__(self, *, patient_id: uuid.UUID, document_id: uuid.UUID) -> None:
        super().__init__("This document's stored content does not match its fingerprint: it "
                         "is damaged and cannot be shown. Tell your administrator, who can "
                         "restore it from a backup.")
        self.patient_id = patient_id
        self.document_id = document_id


@dataclass(frozen=True)
class DocumentMeta:
    """A filed document's description (no bytes)."""

    id: uuid.UUID
    version: int
    patient_id: uuid.UUID
    encounter_id: uuid.UUID | None
    title: str
    category: str
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str
    notes: str | None
    filed_at: datetime
    filed_by: uuid.UUID | None


@dataclass(frozen=True)
class DocumentFile:
    meta: DocumentMeta
    data: bytes


def _meta(row: Document) -> DocumentMeta:
    return DocumentMeta(
        id=row.id, version=row.version, patient_id=row.patient_id,
        encounter_id=row.encounter_id, title=row.title, category=row.category,
        file_name=row.file_name, media_type=row.media_type, size_bytes=row.size_bytes,
        sha256=row.sha256, notes=row.notes, filed_at=row.created_at, filed_by=row.created_by)


# -- what a file is, and what it is called -----------------------------------------------------


def _is_dicom(data: bytes) -> bool:
    """DICOM Part 10: a 128-byte preamble, then "DICM" (the preamble may itself be a TIFF
    header, so this is asked first)."""
    return len(data) >= 132 and data[128:132] == b"DICM"


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any((ord(ch) < 0x20 and ch not in _TEXT_CONTROLS) or ch == "\x7f"
                   for ch in text)


def media_type_of(data: bytes) -> str:
    """The media type of a file from its content; DocumentInvalid (DicomNotADocument for
    DICOM) when it is none the chart keeps."""
    if _is_dicom(data):
        raise DicomNotADocument()
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if _is_plain_text(data):
        return TEXT
    raise DocumentInvalid({"file": "This file is not a PDF, an image (PNG, JPEG, GIF, TIFF) or "
                                   "plain text. Save or print it as PDF, then attach that."})


def clean_file_name(name: str, media_type: str) -> str:
    """A file name safe to show and to save a copy under: the last part of any path, without
    control, format (bidirectional, zero-width) or Windows-reserved characters, no leading
    dots, ending in an extension of ``media_type``."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if ch in _WINDOWS_UNSAFE else ch for ch in name
                   if not unicodedata.category(ch).startswith(("C", "Z")) or ch == " ")
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    extensions = EXTENSIONS[media_type]
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in extensions:
        stem, suffix = name, extensions[0][1:]
    stem = stem[:FILE_NAME_LIMIT].rstrip(". ") or "document"
    if stem.split(".")[0].upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    return f"{stem}.{suffix}"


# -- services ---------------------------------------------------------------------------------


def attach_document(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, title: str, category: str,
    file_name: str, data: bytes, encounter_id: uuid.UUID | None = None,
    notes: str | None = None,
) -> DocumentMeta:
    """File a document in the patient's chart (under an encounter that is neither signed nor
    cancelled, when given)."""
    patient = chart_patient(session, actor, patient_id, write=True)
    if encounter_id is not None:
        encounter_for_entry(session, patient_id=patient_id, encounter_id=encounter_id,
                            errors_as=DocumentInvalid)
    data = bytes(data)
    errors: dict[str, str] = {}
    cleaned_title = clean_text(title, "Title", TITLE_LIMIT, errors, "title")
    if cleaned_title is None and "title" not in errors:
        errors["title"] = "Title: required."
    if category not in DOCUMENT_CATEGORIES:
        errors["category"] = "Category: choose one of the listed categories."
    cleaned_notes = clean_text(notes or "", "Notes", NOTES_LIMIT, errors, "notes")
    media_type = None
    if not data:
        errors["file"] = "This file is empty."
    elif len(data) > MAX_DOCUMENT_BYTES:
        errors["file"] = (f"This file is {len(data) / 2**20:.1f} MB; the chart takes files "
                          f"of up to {MAX_DOCUMENT_BYTES // 2**20} MB.")
    else:
        try:
            media_type = media_type_of(data)
        except DicomNotADocument:
            raise
        except DocumentInvalid as invalid:
            errors |= invalid.errors
    if errors:
        raise DocumentInvalid(errors)
    assert media_type is not None and cleaned_title is not None

    bind_actor(session, actor.user_id)
    row = Document(clinic_id=patient.clinic_id, patient_id=patient_id,
                   encounter_id=encounter_id, title=cleaned_title, category=category,
                   file_name=clean_file_name(file_name, media_type), media_type=media_type,
                   size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                   notes=cleaned_notes)
    session.add(row)
    session.flush()
    session.add(DocumentContent(clinic_id=patient.clinic_id, document_id=row.id, data=data))
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id, resource_type="document",
          resource_id=row.id, changes={"category": category, "media_type": media_type,
                                       "size_bytes": len(data)})
    return _meta(row)


def documents(
    session: Session, actor: Actor, *, patient_id: uuid.UUID,
    encounter_id: uuid.UUID | None = None,
) -> list[DocumentMeta]:
    """The patient's documents (only one encounter's, when given), newest first; the bytes
    are not read."""
    chart_patient(session, actor, patient_id)
    statement = select(Document).where(Document.patient_id == patient_id,
                                       Document.deleted_at.is_(None))
    if encounter_id is not None:
        statement = statement.where(Document.encounter_id == encounter_id)
    rows = session.scalars(statement.order_by(Document.created_at.desc(), Document.id.desc()))
    found = [_meta(row) for row in rows]
    audit(session, actor, action="chart.read", patient_id=patient_id, resource_type="document",
          reason="list", changes={"count": len(found)})
    return found


def read_document(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentFile:
    """A document with its bytes, checked against the SHA-256 taken when it was filed.

    Raises DocumentDamaged when they differ. The read is audited either way, but a unit of
    work that rolls back on the exception drops the failure's entry: the UI opens documents
    with ``open_document``, which writes it on its own.
    """
    chart_patient(session, actor, patient_id)
    row = owned_row(session, Document, document_id, patient_id, "This document")
    data = session.scalar(select(DocumentContent.data)
                          .where(DocumentContent.document_id == document_id))
    intact = data is not None and hashlib.sha256(data).hexdigest() == row.sha256 \
        and len(data) == row.size_bytes
    _audit_read(session, actor, row, intact=intact)
    if not intact:
        raise DocumentDamaged(patient_id=patient_id, document_id=document_id)
    assert data is not None
    return DocumentFile(_meta(row), bytes(data))


def _audit_read(session: Session, actor: Actor, row: Document, *, intact: bool) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="chart.read",
                 outcome="success" if intact else "failure", resource_type="document",
                 resource_id=str(row.id), patient_id=row.patient_id,
                 reason="open" if intact else "content damaged",
                 changes={"media_type": row.media_type, "size_bytes": row.size_bytes})


def open_document(
    store: Store, actor: Actor, *, patient_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentFile:
    """``read_document`` in a unit of work of its own; a damaged document's failed read is
    then audited in another (the first rolls back), like ``calls.perform`` does for a
    denial."""
    try:
        with store.session() as session:
            return read_document(session, actor, patient_id=patient_id,
                                 document_id=document_id)
    except DocumentDamaged:
        with store.session() as session:
            row = session.get(Document, document_id)
            assert row is not None
            _audit_read(session, actor, row, intact=False)
        raise


def remove_document(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, document_id: uuid.UUID,
    version: int,
) -> None:
    """Take a document filed in error off the chart: its description is tombstoned, its bytes
    stay (append-only). Refused for a document of a signed encounter."""
    chart_patient(session, actor, patient_id, write=True)
    row = owned_row(session, Document, document_id, patient_id, "This document")
    refuse_if_signed(session, row.encounter_id)
    tombstone(session, actor, row, patient_id=patient_id, resource_type="document",
              version=version, reason="removed", audit_fields=False)
