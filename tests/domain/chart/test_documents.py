"""Documents in the chart: type read from content, cleaned names, sizes, SHA-256 on every read,
signed encounters, tombstones, permissions and PHI-free audit; real encrypted stores."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from chart_people import add_staff
from demo_users import register_patient_today, sign_in
from sqlalchemy import event, select, update
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.access import ChartRecordNotFound, SignedRecordLocked
from medtrack_desktop.domain.chart.documents import (
    MAX_DOCUMENT_BYTES,
    DicomNotADocument,
    DocumentDamaged,
    DocumentInvalid,
    DocumentMeta,
    attach_document,
    clean_file_name,
    documents,
    media_type_of,
    open_document,
    read_document,
    remove_document,
)
from medtrack_desktop.domain.chart.models import Document, DocumentContent, Encounter
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id, utcnow
from medtrack_desktop.store.engine import Store

STAFF = {"nurse": "nurse", "frontdesk": "front_desk"}
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) \
    + b"This program cannot be run in DOS mode.\r\r\n$" + bytes(64)
DICOM_BYTES = bytes(128) + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + bytes(4)


@dataclass(frozen=True)
class Clinic:
    store: Store
    nurse: Actor
    frontdesk: Actor
    patient: uuid.UUID
    other: uuid.UUID


def open_clinic(store: Store) -> Clinic:
    add_staff(store, STAFF, clinic_name="Documents Test Clinic", workstation_name="Exam 2")
    patient, other = (
        register_patient_today(store, last_name=last, first_name="Jane",
                               born=utcnow().date().replace(year=1980))
        for last in ("Roe", "Doe"))
    return Clinic(store, sign_in(store, "nurse"), sign_in(store, "frontdesk"), patient, other)


@pytest.fixture
def clinic(clinic_copy: Callable[[Callable[[Store], Clinic]], Clinic]) -> Clinic:
    return clinic_copy(open_clinic)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def any_clinic(request: pytest.FixtureRequest) -> Clinic:
    if request.param == "sqlite":
        return request.getfixturevalue("clinic")
    return open_clinic(request.getfixturevalue("pg_store"))


def attach(clinic: Clinic, data: bytes = PDF_BYTES, *, file_name: str = "letter.pdf",
           actor: Actor | None = None, **kwargs: object) -> DocumentMeta:
    options: dict[str, object] = {"patient_id": clinic.patient, "title": "Referral letter",
                                  "category": "referral"} | kwargs
    return perform(clinic.store, actor or clinic.nurse, attach_document, file_name=file_name,
                   data=data, **options)


def read(clinic: Clinic, document_id: uuid.UUID, actor: Actor | None = None) -> bytes:
    found = perform(clinic.store, actor or clinic.nurse, read_document,
                    patient_id=clinic.patient, document_id=document_id)
    return found.data


def add_encounter(clinic: Clinic, status: str) -> uuid.UUID:
    """An encounter row straight in the table (the encounter services are not ours)."""
    with clinic.store.session() as session:
        row = Encounter(clinic_id=clinic.nurse.seat.clinic_id, patient_id=clinic.patient,
                        provider_id=clinic.nurse.user_id, encounter_type="office",
                        status=status, starts_at=utcnow(), reason="Follow-up")
        session.add(row)
        session.flush()
        return row.id


def audit_rows(store: Store) -> list[AuditEntry]:
    with store.read_session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


# -- filing and reading ---------------------------------------------------------------------


def test_a_filed_pdf_reads_back_with_its_hash(any_clinic: Clinic) -> None:
    clinic = any_clinic
    meta = attach(clinic, notes="Faxed by the cardiology office")
    assert (meta.media_type, meta.size_bytes, meta.file_name) == (
        "application/pdf", len(PDF_BYTES), "letter.pdf")
    assert meta.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (meta.title, meta.category, meta.notes) == (
        "Referral letter", "referral", "Faxed by the cardiology office")
    assert meta.filed_by == clinic.nurse.user_id
    with clinic.store.read_session() as session:
        stored = session.scalars(select(DocumentContent.data)
                                 .where(DocumentContent.document_id == meta.id)).one()
    assert bytes(stored) == PDF_BYTES
    opened = perform(clinic.store, clinic.nurse, read_document, patient_id=clinic.patient,
                     document_id=meta.id)
    assert opened.data == PDF_BYTES and opened.meta == meta
    assert perform(clinic.store, clinic.nurse, documents, patient_id=clinic.patient) == [meta]
    # Another patient's chart does not hold it.
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.nurse, read_document, patient_id=clinic.other,
                document_id=meta.id)


def test_listing_never_reads_the_bytes(clinic: Clinic) -> None:
    first = attach(clinic)
    second = attach(clinic, PNG_BYTES, file_name="card.png", category="insurance_card")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(clinic.store.engine, "before_cursor_execute", seen)
    try:
        listed = perform(clinic.store, clinic.nurse, documents, patient_id=clinic.patient)
    finally:
        event.remove(clinic.store.engine, "before_cursor_execute", seen)
    assert [meta.id for meta in listed] == [second.id, first.id]
    assert any("FROM documents" in text for text in statements)
    assert not any("document_contents" in text for text in statements)


# -- what a file is ------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "media_type"), [
    (PDF_BYTES, "application/pdf"),
    (PNG_BYTES, "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20), "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00" + bytes(10), "image/gif"),
    (b"GIF87a\x01\x00\x01\x00" + bytes(10), "image/gif"),
    (b"II*\x00\x08\x00\x00\x00" + bytes(10), "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08" + bytes(10), "image/tiff"),
    ("Blood pressure log\r\n120/80\tmorning\nCafé — ½ dose\n".encode(),
     "text/plain; charset=utf-8"),
])
def test_the_type_is_read_from_the_content(data: bytes, media_type: str) -> None:
    assert media_type_of(data) == media_type


@pytest.mark.parametrize("data", [
    EXE_BYTES,
    b"PK\x03\x04\x14\x00\x06\x00" + bytes(30),             # .docx / .zip
    b"\x7fELF\x02\x01\x01" + bytes(40),
    "UTF-16 text".encode("utf-16"),
    b"plain text with a NUL\x00 byte",
    b"text with an escape \x1b[31m",
    b"latin-1 caf\xe9",
])
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(DocumentInvalid) as refused:
        media_type_of(data)
    assert set(refused.value.errors) == {"file"}
    assert "PDF" in refused.value.errors["file"]
    assert not isinstance(refused.value, DicomNotADocument)


def test_an_exe_renamed_pdf_is_refused_and_nothing_is_filed(clinic: Clinic) -> None:
    with pytest.raises(DocumentInvalid) as refused:
        attach(clinic, EXE_BYTES, file_name="lab_results.pdf")
    assert refused.value.errors == {"file": "This file is not a PDF, an image (PNG, JPEG, GIF, "
                                            "TIFF) or plain text. Save or print it as PDF, "
                                            "then attach that."}
    with clinic.store.read_session() as session:
        assert session.scalars(select(Document.id)).all() == []
        assert session.scalars(select(DocumentContent.id)).all() == []


def test_dicom_goes_to_imaging(clinic: Clinic) -> None:
    with pytest.raises(DicomNotADocument) as refused:
        attach(clinic, DICOM_BYTES, file_name="chest.pdf")
    assert "Imaging" in refused.value.errors["file"]
    # A DICOM file whose preamble is a TIFF header is still DICOM.
    with pytest.raises(DicomNotADocument):
        media_type_of(b"II*\x00" + bytes(124) + b"DICM" + bytes(8))


def test_a_png_named_pdf_is_filed_as_png(clinic: Clinic) -> None:
    meta = attach(clinic, PNG_BYTES, file_name="scan.pdf")
    assert (meta.media_type, meta.file_name) == ("image/png", "scan.pdf.png")


# -- sizes ------------------------------------------------------------------------------------


def test_empty_and_oversized_files_are_refused(clinic: Clinic) -> None:
    with pytest.raises(DocumentInvalid) as empty:
        attach(clinic, b"")
    assert empty.value.errors == {"file": "This file is empty."}
    too_big = PDF_BYTES + bytes(MAX_DOCUMENT_BYTES + 1 - len(PDF_BYTES))
    with pytest.raises(DocumentInvalid) as refused:
        attach(clinic, too_big)
    assert refused.value.errors == {
        "file": "This file is 25.0 MB; the chart takes files of up to 25 MB."}
    largest = too_big[:-1]
    meta = attach(clinic, largest)
    assert meta.size_bytes == MAX_DOCUMENT_BYTES == 25 * 1024 * 1024
    assert read(clinic, meta.id) == largest


def test_fields_are_checked_together(clinic: Clinic) -> None:
    with pytest.raises(DocumentInvalid) as refused:
        attach(clinic, b"", title="  ", category="selfie", notes="bad\x07bell")
    assert set(refused.value.errors) == {"file", "title", "category", "notes"}


# -- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "media_type", "kept"), [
    ("../../etc/passwd", "text/plain; charset=utf-8", "passwd.txt"),
    ("..\\..\\Windows\\System32\\cmd.exe", "application/pdf", "cmd.exe.pdf"),
    ("\u202efdp.exe", "application/pdf", "fdp.exe.pdf"),
    ("invoice\u202egpj.pdf", "image/jpeg", "invoicegpj.pdf.jpg"),
    ("report\x00.pdf", "application/pdf", "report.pdf"),
    ("zero\u200bwidth\ufeff.pdf", "application/pdf", "zerowidth.pdf"),
    ("line\nbreak\r.PDF", "application/pdf", "linebreak.PDF"),
    ("a<b>c:d|e?f*.png", "image/png", "a_b_c_d_e_f_.png"),
    ("CON.pdf", "application/pdf", "_CON.pdf"),
    ("lpt1", "application/pdf", "_lpt1.pdf"),
    ("...", "application/pdf", "document.pdf"),
    (".bashrc", "text/plain; charset=utf-8", "bashrc.txt"),
    ("", "image/gif", "document.gif"),
    ("  spaced   out  .jpeg ", "image/jpeg", "spaced out.jpeg"),
    ("C:/Users/x/Desktop/Scan 001.TIF", "image/tiff", "Scan 001.TIF"),
])
def test_hostile_file_names_are_cleaned(given: str, media_type: str, kept: str) -> None:
    assert clean_file_name(given, media_type) == kept


def test_a_long_name_fits_and_keeps_its_extension() -> None:
    kept = clean_file_name("x" * 400 + ".pdf", "application/pdf")
    assert kept == "x" * 200 + ".pdf"
    kept = clean_file_name("é" * 300 + ".exe", "application/pdf")
    assert len(kept) <= 255 and kept.endswith(".pdf")


def test_a_hostile_name_is_stored_cleaned(clinic: Clinic) -> None:
    meta = attach(clinic, file_name="\u202efdp.exe")
    passwd = attach(clinic, b"root:x:0:0:root:/root:/bin/bash\n", file_name="../../etc/passwd")
    with clinic.store.read_session() as session:
        names = set(session.scalars(select(Document.file_name)))
    assert names == {"fdp.exe.pdf", "passwd.txt"}
    assert (meta.file_name, passwd.media_type) == ("fdp.exe.pdf", "text/plain; charset=utf-8")


# -- damage -----------------------------------------------------------------------------------


def test_the_bytes_are_append_only(any_clinic: Clinic) -> None:
    meta = attach(any_clinic)
    for statement in (update(DocumentContent).values(data=b"%PDF-1.7 forged"),
                      DocumentContent.__table__.delete()):
        with pytest.raises(DBAPIError, match="append-only"), \
                any_clinic.store.engine.begin() as connection:
            connection.execute(statement)
    assert read(any_clinic, meta.id) == PDF_BYTES


def test_damaged_bytes_are_detected_and_the_failed_read_audited(clinic: Clinic) -> None:
    """The append-only trigger stops an UPDATE of the bytes (previous test), and the unique
    document_id stops a second content row, so damage (a disk error, someone with the key and
    a SQLite shell) is simulated by dropping that trigger in this test's own database."""
    meta = attach(clinic)
    with clinic.store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER document_contents_no_update")
        connection.execute(update(DocumentContent).values(data=b"%PDF-1.7 forged content"))
    with pytest.raises(DocumentDamaged) as damaged:
        open_document(clinic.store, clinic.nurse, patient_id=clinic.patient,
                      document_id=meta.id)
    assert damaged.value.document_id == meta.id
    assert "damaged" in str(damaged.value)
    *_, last = audit_rows(clinic.store)
    assert (last.action, last.outcome, last.reason, last.resource_id, last.patient_id) == (
        "chart.read", "failure", "content damaged", str(meta.id), clinic.patient)
    # read_document inside a caller's unit of work refuses too.
    with pytest.raises(DocumentDamaged):
        read(clinic, meta.id)


def test_a_changed_hash_is_detected_as_damage(clinic: Clinic) -> None:
    """The description row is not append-only: a wrong hash there reads as damage too."""
    meta = attach(clinic)
    with clinic.store.session() as session:
        session.execute(update(Document).where(Document.id == meta.id)
                        .values(sha256="0" * 64, version=Document.version + 1))
    with pytest.raises(DocumentDamaged):
        read(clinic, meta.id)


def test_open_document_reads_and_audits_an_intact_file(clinic: Clinic) -> None:
    meta = attach(clinic)
    opened = open_document(clinic.store, clinic.nurse, patient_id=clinic.patient,
                           document_id=meta.id)
    assert opened.data == PDF_BYTES
    *_, last = audit_rows(clinic.store)
    assert (last.action, last.outcome, last.reason, last.resource_id) == (
        "chart.read", "success", "open", str(meta.id))
    assert last.changes == {"media_type": "application/pdf", "size_bytes": len(PDF_BYTES)}


# -- encounters, removal -----------------------------------------------------------------------


def test_a_signed_encounter_takes_no_documents_and_keeps_its_own(any_clinic: Clinic) -> None:
    clinic = any_clinic
    visit = add_encounter(clinic, "draft")
    kept = attach(clinic, encounter_id=visit)
    with clinic.store.session() as session:
        session.execute(update(Encounter).where(Encounter.id == visit)
                        .values(status="signed", version=Encounter.version + 1))
    with pytest.raises(SignedRecordLocked):
        attach(clinic, encounter_id=visit)
    with pytest.raises(SignedRecordLocked):
        perform(clinic.store, clinic.nurse, remove_document, patient_id=clinic.patient,
                document_id=kept.id, version=kept.version)
    with pytest.raises(DBAPIError, match="signed"), clinic.store.engine.begin() as connection:
        connection.execute(update(Document).where(Document.id == kept.id)
                           .values(deleted_at=utcnow()))
    assert [meta.id for meta in perform(clinic.store, clinic.nurse, documents,
                                        patient_id=clinic.patient, encounter_id=visit)] == [
        kept.id]
    assert read(clinic, kept.id) == PDF_BYTES  # still readable


def test_a_cancelled_or_unknown_encounter_takes_no_documents(clinic: Clinic) -> None:
    with pytest.raises(DocumentInvalid) as refused:
        attach(clinic, encounter_id=add_encounter(clinic, "cancelled"))
    assert set(refused.value.errors) == {"encounter_id"}
    with pytest.raises(ChartRecordNotFound):
        attach(clinic, encounter_id=new_id())


def test_removing_tombstones_the_description_and_keeps_the_bytes(clinic: Clinic) -> None:
    meta = attach(clinic)
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.nurse, remove_document, patient_id=clinic.patient,
                document_id=meta.id, version=meta.version + 1)
    perform(clinic.store, clinic.nurse, remove_document, patient_id=clinic.patient,
            document_id=meta.id, version=meta.version)
    assert perform(clinic.store, clinic.nurse, documents, patient_id=clinic.patient) == []
    with pytest.raises(ChartRecordNotFound):
        read(clinic, meta.id)
    with clinic.store.read_session() as session:
        row = session.get(Document, meta.id)
        assert row is not None and row.deleted_at is not None
        assert bytes(session.scalars(select(DocumentContent.data)).one()) == PDF_BYTES


# -- permissions and audit -------------------------------------------------------------------


def test_front_desk_may_not_file_list_or_read_documents(clinic: Clinic) -> None:
    meta = attach(clinic)
    with pytest.raises(PermissionDenied):
        attach(clinic, actor=clinic.frontdesk)
    with pytest.raises(PermissionDenied):
        perform(clinic.store, clinic.frontdesk, documents, patient_id=clinic.patient)
    with pytest.raises(PermissionDenied):
        read(clinic, meta.id, actor=clinic.frontdesk)
    with pytest.raises(PermissionDenied):
        perform(clinic.store, clinic.frontdesk, remove_document, patient_id=clinic.patient,
                document_id=meta.id, version=meta.version)
    denied = [row.reason for row in audit_rows(clinic.store)
              if row.action == "permission.denied" and row.user_id == clinic.frontdesk.user_id]
    assert denied == ["chart.read"] * 4


def test_audit_names_kinds_and_sizes_never_names_titles_or_notes(clinic: Clinic) -> None:
    meta = attach(clinic, file_name="jane_roe_hiv_result.pdf", title="HIV test - Jane Roe",
                  notes="Positive, told patient", category="lab_report")
    read(clinic, meta.id)
    perform(clinic.store, clinic.nurse, documents, patient_id=clinic.patient)
    perform(clinic.store, clinic.nurse, remove_document, patient_id=clinic.patient,
            document_id=meta.id, version=meta.version)
    chart = [row for row in audit_rows(clinic.store) if row.action.startswith("chart.")]
    assert [(row.action, row.reason) for row in chart] == [
        ("chart.write", None), ("chart.read", "open"), ("chart.read", "list"),
        ("chart.write", "removed")]
    assert all(row.patient_id == clinic.patient and row.user_id == clinic.nurse.user_id
               for row in chart)
    assert chart[0].changes == {"category": "lab_report", "media_type": "application/pdf",
                                "size_bytes": len(PDF_BYTES)}
    everything = json.dumps([{column: str(getattr(row, column)) for column in (
        "action", "resource_type", "resource_id", "reason", "changes", "username")}
        for row in audit_rows(clinic.store)])
    for phi in ("jane_roe", "HIV", "Roe", "Positive", "told patient"):
        assert phi not in everything
