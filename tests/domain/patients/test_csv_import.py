"""Importing a practice's patient list: headers, hostile cells, MRNs, duplicates, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

import pytest
from demo_users import sign_in
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from medtrack_desktop.demo import FIRST_MRN
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients import csv_import
from medtrack_desktop.domain.patients.csv_import import (
    FIELDS,
    MAX_LINE,
    ImportFileError,
    ImportPlan,
    ImportRefused,
    apply_import,
    decoded_lines,
    plan_import,
)
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.domain.patients.registry import get_patient, register_patient
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.store.engine import Store

TODAY = date(2026, 11, 25)
NEXT_MRN = FIRST_MRN + 40  # after the 40 demo patients


@pytest.fixture
def frontdesk(demo_store: Store) -> Actor:
    return sign_in(demo_store, "frontdesk")


def csv_text(*rows: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def plan(store: Store, actor: Actor, text: str | Iterable[str],
         mapping: dict[str, str] | None = None) -> ImportPlan:
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    return perform(store, actor, plan_import, lines=lines, mapping=mapping, today=TODAY)


def record(found: ImportPlan, index: int = 0) -> dict[str, object]:
    return dict(zip(FIELDS, found.records[index], strict=True))


def problems(found: ImportPlan) -> list[tuple[int, str]]:
    return [(issue.line, issue.field) for issue in found.errors]


def patients(store: Store) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(Patient)) or 0


HEADER = ["Last Name", "First Name", "DOB", "Sex", "Phone", "SSN"]


def test_common_headers_in_any_spelling(demo_store: Store, frontdesk: Actor) -> None:
    text = csv_text(
        ["\ufeffSURNAME", "given_name", "Date of Birth", "Gender", "Cell", "E-mail",
         "Zip Code", "state", "Medical Record Number", "Insurance", ""],
        ["Nguyễn", "Thi Mai", "3/4/70", "F", "(512) 555-0101", "mai@example.com", "78701",
         "tx", "", "Aetna", ""],
    )
    found = plan(demo_store, frontdesk, text)
    assert dict(found.columns) == {
        "SURNAME": "last_name", "given_name": "first_name", "Date of Birth": "date_of_birth",
        "Gender": "sex", "Cell": "phone_mobile", "E-mail": "email", "Zip Code": "postal_code",
        "state": "state", "Medical Record Number": "mrn", "Insurance": None,
        "(column 11)": None}
    assert found.ignored == ("Insurance", "(column 11)")
    assert (found.rows_read, found.errors) == (1, ())
    row = record(found)
    assert (row["last_name"], row["first_name"], row["date_of_birth"], row["sex"],
            row["phone_mobile"], row["state"]) == ("Nguyễn", "Thi Mai", date(1970, 3, 4),
                                                   "female", "(512) 555-0101", "TX")
    assert row["mrn"] == mrn_with_check_digit(NEXT_MRN)


def test_an_explicit_mapping_wins(demo_store: Store, frontdesk: Actor) -> None:
    text = csv_text(["Name", "Born", "Phone", "Patient ID", "Notes"],
                    ["Okafor", "1990-05-06", "512 555 0102", "LEGACY-7", "walks in"])
    found = plan(demo_store, frontdesk, text, mapping={
        "name": "last_name", "Born": "date_of_birth", "Phone": "phone_work",
        "Patient ID": "mrn", "notes": ""})
    assert found.ignored == ("Notes",)
    row = record(found)
    assert (row["last_name"], row["phone_work"], row["phone_home"], row["mrn"], row["notes"]) \
        == ("Okafor", "(512) 555-0102", None, "LEGACY-7", None)


@pytest.mark.parametrize(("text", "mapping", "message"), [
    ("", None, "The file is empty"),
    ("  \r\n\r\n", None, "The file is empty"),
    ("Smith,John,1970-01-01\r\n", None, "Line 1 is not a header"),
    ("Last Name,First Name\r\nSmith,John\r\n", None, "No column holds date_of_birth"),
    ("Last Name,DOB,Phone,Home Phone\r\n", None, "Columns Phone and Home Phone are both"),
    ("Last Name,DOB\r\n", {"DOB": "birthday"}, "DOB=birthday: birthday is not a field"),
    ("Last Name,DOB\r\n", {"Born": "date_of_birth"}, "the header has no column Born"),
    ('Last Name,DOB\r\n"Smith,1970-01-01\r\n' + ("x" * 1000 + "\r\n") * 200, None,
     "Line 2: the CSV cannot be read"),  # a quote left open swallows the rest
])
def test_files_that_are_not_patient_lists(
    demo_store: Store, frontdesk: Actor, text: str, mapping: dict[str, str] | None,
    message: str,
) -> None:
    with pytest.raises(ImportFileError, match=message):
        plan(demo_store, frontdesk, text, mapping)
    assert patients(demo_store) == 40


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_the_header_line_s(
    demo_store: Store, frontdesk: Actor, delimiter: str
) -> None:
    found = plan(demo_store, frontdesk, csv_text(
        HEADER, ["Smith, Jr", "John", "01/02/1960", "m", "", ""], delimiter=delimiter))
    assert record(found)["last_name"] == "Smith, Jr"


def test_encodings_bytes_and_line_lengths() -> None:
    good = "Last Name,DOB\r\nMüller,1970-01-01\r\n"
    assert list(decoded_lines(io.BytesIO(good.encode()))) == good.splitlines(keepends=True)
    assert list(decoded_lines(io.BytesIO(good.encode("cp1252")), encoding="cp1252"))[1] \
        == "Müller,1970-01-01\r\n"
    with pytest.raises(ImportFileError, match="Line 2 is not utf-8 text"):
        list(decoded_lines(io.BytesIO(good.encode("cp1252"))))
    with pytest.raises(ImportFileError, match="UTF-16"):
        list(decoded_lines(io.BytesIO(good.encode("utf-16"))))

    class Endless(io.RawIOBase):
        """A 10 MB line (and more): never read whole."""
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            buffer[:] = b"x" * len(buffer)
            self.served += len(buffer)
            return len(buffer)

    raw = Endless()
    with pytest.raises(ImportFileError, match=f"Line 2 is longer than {MAX_LINE} bytes"):
        list(decoded_lines(io.BufferedReader(io.BytesIO(b"Last Name,DOB\n" + b"x" * 10**7))))
    with pytest.raises(ImportFileError, match=f"Line 1 is longer than {MAX_LINE} bytes"):
        list(decoded_lines(io.BufferedReader(raw)))
    assert raw.served < 4 * MAX_LINE


def test_text_that_will_not_decode_is_reported(demo_store: Store, frontdesk: Actor) -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"Last Name,DOB\nM\xfcller,1970-01-01\n"),
                              encoding="utf-8")
    with pytest.raises(ImportFileError, match="not UTF-8 text"):
        plan(demo_store, frontdesk, stream)
    with pytest.raises(ImportFileError, match="Line 2 is longer"):
        plan(demo_store, frontdesk, ["Last Name,DOB\n", "x" * (MAX_LINE + 1)])


def test_errors_are_reported_by_line_and_field(demo_store: Store, frontdesk: Actor) -> None:
    taken = mrn_with_check_digit(FIRST_MRN)
    text = csv_text(
        [*HEADER, "MRN", "State"],
        ["Good", "Row", "1970-01-01", "F", "", "", "", ""],
        ["Bad", "Date", "13/45/1980", "F", "", "", "", ""],
        ["Bad", "Sex", "1980-01-01", "Q", "", "", "", ""],
        ["", "Nolast", "1980-01-01", "F", "12", "123-45", "", "ZZ"],
        ["=cmd|' /C calc'!A0", "Eve", "1980-01-01", "F", "", "", "", ""],
        [],
        ["Taken", "Mrn", "1980-01-01", "F", "", "", taken, ""],
        ["Check", "Digit", "1980-01-01", "F", "", "", "10000010", ""],
        ["Legacy", "One", "1980-01-01", "F", "", "", "OLD-1", ""],
        ["Legacy", "Two", "1980-01-01", "F", "", "", "OLD-1", ""],
        ["Too", "Many", "1980-01-01", "F", "", "", "", "", "surplus"],
        ["Future", "Born", "2030-01-01", "F", "", "", "", ""],
    )
    found = plan(demo_store, frontdesk, text)
    assert found.rows_read == 11  # the blank line is no row
    assert problems(found) == [
        (3, "date_of_birth"), (4, "sex"),
        (5, "last_name"), (5, "state"), (5, "phone_home"), (5, "ssn"),
        (6, "last_name"), (8, "mrn"), (9, "mrn"), (11, "mrn"), (12, "row"), (13, "date_of_birth"),
    ]
    messages = {(issue.line, issue.field): issue.message for issue in found.errors}
    assert messages[(5, "ssn")].startswith("SSN: not a valid")
    assert messages[(6, "last_name")].startswith("Last name: starts like a spreadsheet formula")
    assert messages[(8, "mrn")] == f"MRN: {taken} is already used by another patient."
    assert messages[(9, "mrn")] == "MRN: the check digit is wrong (mistyped?)."
    assert messages[(11, "mrn")] == "MRN: line 10 has it already."
    assert [row[0] for row in found.records] == [mrn_with_check_digit(NEXT_MRN), "OLD-1"]
    with pytest.raises(ImportRefused, match="12 error"):
        perform(demo_store, frontdesk, apply_import, plan=found)
    assert patients(demo_store) == 40


def test_new_mrns_follow_the_clinic_s_and_skip_typed_ones(
    demo_store: Store, frontdesk: Actor
) -> None:
    typed = mrn_with_check_digit(NEXT_MRN + 1)
    text = csv_text(["Last Name", "DOB", "MRN"], ["A", "1970-01-01", ""],
                    ["B", "1971-01-01", ""], ["C", "1972-01-01", typed], ["D", "1973-01-01", ""])
    found = plan(demo_store, frontdesk, text)
    assert [row[0] for row in found.records] == [
        mrn_with_check_digit(NEXT_MRN), mrn_with_check_digit(NEXT_MRN + 2), typed,
        mrn_with_check_digit(NEXT_MRN + 3)]


def test_likely_duplicates_in_the_registry_and_the_file(
    demo_store: Store, frontdesk: Actor
) -> None:
    known = perform(demo_store, frontdesk, register_patient, today=TODAY, demographics=(
        Demographics(last_name="García-Márquez", first_name="José",
                     date_of_birth=date(1970, 3, 4), ssn="536-22-4711")))
    text = csv_text(
        HEADER,
        ["Garcia", "Jose", "03/04/1970", "M", "", ""],
        ["Okafor", "Ngozi", "1988-08-09", "F", "512 555 0147", ""],
        ["Stranger", "Sam", "1999-09-09", "M", "", "536-22-4711"],
        ["Okafor", "Emeka", "2015-01-02", "M", "(512) 555-0147", ""],
        ["Okafor", "Ngozi", "1988-09-08", "F", "", ""],
    )
    found = plan(demo_store, frontdesk, text)
    assert found.errors == ()
    seen = [(d.line, d.patient.mrn if d.patient else d.other_line, d.reasons)
            for d in found.duplicates]
    assert seen == [
        (2, known.mrn, ("same date of birth and similar name",)),
        (4, known.mrn, ("same SSN",)),
        (6, 3, ("similar name, day and month of birth swapped",)),
    ]
    with demo_store.read_session() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "patient.search").order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.reason == "duplicates"
    assert entry.changes == {"results": 2, "rows": 5}


def test_apply_writes_everything_sealed_and_searchable(
    demo_store: Store, frontdesk: Actor
) -> None:
    text = csv_text(
        [*HEADER, "Notes", "Address"],
        ["O'Brien", "Siobhan", "1975-06-07", "F", "512-555-0199", "078-05-1121",
         "=HYPERLINK(\"http://x\")", "@SUM(A1)"],
        ["van der Berg", "Anna", "2001-02-03", "F", "", "", "", "1 Main St"],
    )
    found = plan(demo_store, frontdesk, text)
    assert [(w.line, w.field) for w in found.warnings] == [(2, "address_line1"), (2, "notes")]
    assert perform(demo_store, frontdesk, apply_import, plan=found) == 2
    assert patients(demo_store) == 42
    hits = perform(demo_store, frontdesk, search_patients, query="1121", today=TODAY)
    assert [(h.last_name, h.matched_on) for h in hits] == [("O'Brien", "ssn")]
    hits = perform(demo_store, frontdesk, search_patients, query="vanderb an", today=TODAY)
    assert [h.last_name for h in hits] == ["van der Berg"]
    hits = perform(demo_store, frontdesk, search_patients, query="obrien siob", today=TODAY)
    obrien = perform(demo_store, frontdesk, get_patient, patient_id=hits[0].id)
    assert obrien.demographics.notes == '=HYPERLINK("http://x")'  # kept as text
    assert obrien.demographics.address_line1 == "@SUM(A1)"
    assert obrien.ssn_last4 == "1121"
    with demo_store.read_session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "patient.create", AuditEntry.username == "frontdesk")) == 2


def test_all_or_nothing(
    demo_store: Store, frontdesk: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["Person", f"N{i}", "1980-01-01", "", "", ""] for i in range(1500)]
    found = plan(demo_store, frontdesk, csv_text(HEADER, *rows))
    assert len(found.records) == 1500
    calls = []
    real = csv_import.import_patients

    def second_batch_fails(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(csv_import, "import_patients", second_batch_fails)
    with pytest.raises(OSError):
        perform(demo_store, frontdesk, apply_import, plan=found)
    assert patients(demo_store) == 40
    monkeypatch.setattr(csv_import, "import_patients", real)

    perform(demo_store, frontdesk, register_patient, today=TODAY,
            demographics=Demographics(last_name="Early", date_of_birth=date(1990, 1, 1)))
    with pytest.raises(ImportRefused, match=f"MRN {mrn_with_check_digit(NEXT_MRN)} was given"):
        perform(demo_store, frontdesk, apply_import, plan=found)
    assert patients(demo_store) == 41


def test_needs_the_right_to_register(demo_store: Store) -> None:
    with pytest.raises(PermissionDenied):
        plan(demo_store, sign_in(demo_store, "biller"), csv_text(HEADER))


CELL_FIELDS = ("last_name", "first_name", "notes", "address_line1", "city", "employer_name")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cell=st.text(max_size=300), column=st.sampled_from(CELL_FIELDS))
@example(cell="=cmd|' /C calc'!A0", column="notes")
@example(cell="=cmd|' /C calc'!A0", column="first_name")
@example(cell='Say "hi",\r\nthen; leave|\t', column="address_line1")
@example(cell="Robert'); DROP TABLE patients;--", column="last_name")
@example(cell="\x00\u202e\ufeff", column="city")
def test_hostile_cells_stay_text(
    demo_store: Store, frontdesk: Actor, cell: str, column: str
) -> None:
    """Whatever a cell holds (quotes, delimiters, newlines, control characters, formulas,
    any script), the row is refused for that field or kept as the text it was."""
    values = {"last_name": "Doe", "first_name": "Jo", "notes": "", "address_line1": "",
              "city": "", "employer_name": "", column: cell}
    text = csv_text([*CELL_FIELDS, "DOB"], [*(values[f] for f in CELL_FIELDS), "1970-01-01"])
    found = plan(demo_store, frontdesk, text)
    assert found.rows_read == 1
    if found.errors:
        assert {issue.field for issue in found.errors} == {column}
        return
    kept = record(found)[column]
    expected = cell.strip() if column == "notes" else " ".join(cell.split())
    assert kept == (expected or ("" if column == "first_name" else None))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_any_bytes_give_a_plan_or_a_plain_refusal(
    demo_store: Store, frontdesk: Actor, data: bytes
) -> None:
    lines = decoded_lines(io.BytesIO(b"Last Name,DOB,Phone\n" + data))
    try:
        found = plan(demo_store, frontdesk, lines)
    except ImportFileError:
        return
    assert found.rows_read == len(found.records) + len({i.line for i in found.errors})
