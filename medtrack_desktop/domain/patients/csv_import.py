"""A practice's patient list (CSV) into the registry: first a plan, then — only if it has no
error — the import, all or nothing.

``plan_import`` reads the file row by row: the header names the columns (common names are
recognised whatever their case or punctuation — "Last Name", "last_name", "Surname", "DOB",
"Gender" … — and an explicit mapping overrides them); each row is checked like the
registration form (``clean_demographics``), typed MRNs must be free and appear once, missing
ones are numbered on from the clinic's next MRN; likely duplicates are looked up in the
registry (``duplicates``, a few queries per 1,000 rows) and among earlier rows. The plan keeps
each row to import as a tuple of column values, never an ORM object: about 1 KB a row with
what the duplicate check keeps (10,000 rows measured 11 MB).
``apply_import`` writes the plan through ``registry.import_patients`` (SSNs sealed, search
index filled, each patient audited) in the caller's one transaction.

Cells are only ever text: nothing is evaluated. A name that starts like a spreadsheet formula
("=cmd|…", "+", "-", "@") is refused; other text that does is kept as typed, with a warning,
since it would run if the data went back into a spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, BinaryIO, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.demographics import (
    CHOICE_FIELDS,
    PHONE_FIELDS,
    TEXT_FIELDS,
    Demographics,
    DemographicsInvalid,
    clean_demographics,
)
from medtrack_desktop.domain.patients.duplicates import (
    DuplicateCandidate,
    DuplicateFinder,
    Person,
    likely_same,
    person,
    ssn_digest,
    swapped_day_month,
)
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.mrn import (
    MrnError,
    check_manual_mrn,
    mrn_with_check_digit,
    next_mrn,
)
from medtrack_desktop.domain.patients.registry import import_patients
from medtrack_desktop.domain.patients.search import parse_birth_date

MAX_LINE = 65_536  # characters (bytes when read by ``decoded_lines``) of one line
FIELDS = ("mrn", *(field.name for field in fields(Demographics)))
REQUIRED = ("last_name", "date_of_birth")
_BATCH = 1000  # rows written per bulk insert; rows checked against the registry per round
_SAME_DAY_COMPARED = 200  # earlier rows of one date of birth a row is compared with
_FORMULA_NAME = ("=", "+", "-", "@")  # no name starts so; a formula does
_FORMULA_TEXT = ("=", "+", "@")  # other text may start with "-" ("- allergic to …")
_NAMES = ("last_name", "first_name", "middle_name", "preferred_name", "emergency_contact_name")
_DELIMITERS = (",", ";", "\t", "|")
_DATES = {"date_of_birth": "Date of birth", "deceased_on": "Date of death"}
_SEXES = {
    "f": "female", "female": "female", "m": "male", "male": "male", "o": "other",
    "other": "other", "x": "other", "u": "unknown", "unknown": "unknown", "": "unknown",
}
_YES, _NO = frozenset({"y", "yes", "true", "1", "x"}), frozenset({"n", "no", "false", "0", ""})
_STRINGS = tuple(f.name for f in fields(Demographics)
                 if isinstance(f.default, str) and f.name not in CHOICE_FIELDS)
_EXTRA_NAMES = {
    "mrn": ("medical record number", "chart number", "chart no", "record number"),
    "last_name": ("surname", "family name", "last", "patient last name"),
    "first_name": ("given name", "first", "forename", "patient first name"),
    "middle_name": ("middle", "middle initial", "mi"),
    "preferred_name": ("nickname", "goes by"),
    "date_of_birth": ("dob", "birth date", "birthdate", "birthday"),
    "sex": ("gender", "sex at birth", "birth sex"),
    "ssn": ("social security number", "social security", "ss"),
    "phone_home": ("phone", "telephone", "tel", "phone number"),
    "phone_mobile": ("mobile", "cell", "cell phone", "cellphone", "mobile number"),
    "phone_work": ("business phone", "office phone"),
    "email": ("e-mail", "email address"),
    "address_line1": ("street", "address 1", "street address", "address line 1"),
    "address_line2": ("address 2", "apt", "suite", "unit"),
    "postal_code": ("zip", "zipcode", "postal code", "postcode"),
    "preferred_language": ("language",),
    "marital_status": ("marital",),
    "deceased_on": ("date of death", "death date"),
    "emergency_contact_relation": ("emergency contact relation",
                                   "emergency contact relationship"),
    "notes": ("note", "comment", "comments"),
}


class ImportFileError(ValueError):
    """The file cannot be read as a patient list; the message says why (safe to show)."""


class ImportRefused(ValueError):
    """The plan cannot be applied (errors in it, or the registry changed since)."""


@dataclass(frozen=True)
class ImportIssue:
    line: int  # the line of the file where the row starts
    field: str  # a column of ``FIELDS``, or "row" for the row as a whole
    message: str  # names the field the way the registration form does


@dataclass(frozen=True)
class ImportDuplicate:
    """A row that is likely a patient already registered, or an earlier row of the file."""

    line: int
    reasons: tuple[str, ...]
    patient: DuplicateCandidate | None = None
    other_line: int | None = None


@dataclass(frozen=True)
class ImportPlan:
    clinic_id: uuid.UUID
    columns: tuple[tuple[str, str | None], ...]  # (header, field), field None when ignored
    rows_read: int
    errors: tuple[ImportIssue, ...]
    warnings: tuple[ImportIssue, ...]
    duplicates: tuple[ImportDuplicate, ...]
    records: tuple[tuple[Any, ...], ...]  # one per row without error, values in ``FIELDS`` order

    @property
    def ignored(self) -> tuple[str, ...]:
        return tuple(header for header, field in self.columns if field is None)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def _known_headers() -> dict[str, str]:
    labels = {**{name: label for name, (label, _) in TEXT_FIELDS.items()}, **PHONE_FIELDS,
              **{name: label for name, (label, _) in CHOICE_FIELDS.items()}}
    known: dict[str, str] = {}
    for target in FIELDS:
        for name in (target, labels.get(target, target), *_EXTRA_NAMES.get(target, ())):
            known.setdefault(_key(name), target)
    return known


_KNOWN_HEADERS = _known_headers()


def _too_long(number: int, unit: str) -> ImportFileError:
    return ImportFileError(f"Line {number} is longer than {MAX_LINE} {unit}: this is not a "
                           "patient list, or it is damaged.")


def decoded_lines(raw: BinaryIO, *, encoding: str = "utf-8") -> Iterator[str]:
    """The lines of a file opened in binary, decoded one by one: a bad byte is reported on
    its own line, and a line never grows past ``MAX_LINE`` bytes in memory."""
    for number in itertools.count(1):
        chunk = raw.readline(MAX_LINE + 1)
        if not chunk:
            return
        if number == 1 and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError("The file is UTF-16 text: save it as CSV UTF-8.")
        if len(chunk) > MAX_LINE:
            raise _too_long(number, "bytes")
        try:
            yield chunk.decode(encoding)
        except UnicodeDecodeError:
            raise ImportFileError(f"Line {number} is not {encoding} text: save the file as "
                                  "CSV UTF-8, or give its encoding.") from None


def _checked_lines(lines: Iterable[str] | TextIO) -> Iterator[str]:
    source = iter(lines)
    for number in itertools.count(1):
        try:
            line = next(source)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise ImportFileError(f"Near line {number}, the file is not UTF-8 text: save it "
                                  "as CSV UTF-8.") from None
        if len(line) > MAX_LINE:
            raise _too_long(number, "characters")
        yield line.removeprefix("\ufeff") if number == 1 else line


def _rows(lines: Iterable[str] | TextIO) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) of every row, the header first. The delimiter is
    the one the header line uses most (comma, semicolon, tab or bar)."""
    checked = _checked_lines(lines)
    first = next(checked, None)
    if first is None or not first.strip():
        raise ImportFileError("The file is empty, or its first line is: the first line must "
                              "name the columns.")
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(itertools.chain([first], checked), delimiter=delimiter)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as problem:
            raise ImportFileError(f"Line {start}: the CSV cannot be read ({problem}); is a "
                                  "quote left open?") from None
        yield start, cells
        start = reader.line_num + 1


def _columns(header: list[str], mapping: dict[str, str] | None) -> list[tuple[str, str | None]]:
    names = [cell.strip() or f"(column {i})" for i, cell in enumerate(header, start=1)]
    chosen: dict[str, str | None] = {}
    for column, target in (mapping or {}).items():
        target = target.strip()
        if target and target not in FIELDS:
            raise ImportFileError(f"Mapping {column}={target}: {target} is not a field; the "
                                  f"fields are {', '.join(FIELDS)}.")
        matches = [name for name in names if name == column.strip()] or \
            [name for name in names if _key(name) == _key(column)]
        if not matches:
            raise ImportFileError(f"Mapping {column}={target}: the header has no column "
                                  f"{column}.")
        chosen.update(dict.fromkeys(matches, target or None))
    columns = [(name, chosen[name] if name in chosen else _KNOWN_HEADERS.get(_key(name)))
               for name in names]
    used: dict[str, int] = {}
    for index, (name, target) in enumerate(columns):
        if target is not None and used.setdefault(target, index) != index:
            raise ImportFileError(f"Columns {columns[used[target]][0]} and {name} are both "
                                  f"{target}: map one to another field, or to nothing ({name}=).")
    if not used:
        raise ImportFileError("Line 1 is not a header: the first line must name the columns "
                              "(Last Name, First Name, DOB …).")
    for target in REQUIRED:
        if target not in used:
            raise ImportFileError(f"No column holds {target}: add one, or map a column to it "
                                  f"(COLUMN={target}).")
    return columns


def _choice(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"\bor\b", " ", text.casefold())).strip("_")


def _entered(typed: dict[str, str], *, today: date) -> tuple[Demographics, dict[str, str]]:
    """The row as ``Demographics``, and the problems found turning its text into dates,
    choices and yes/no (before ``clean_demographics`` checks the rest)."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {name: typed[name] for name in _STRINGS if name in typed}
    for name, label in _DATES.items():
        text = typed.get(name, "").strip()
        values[name] = parse_birth_date(text, today=today) if text else None
        if text and values[name] is None:
            problems[name] = f"{label}: not a past date such as 1970-03-04 or 03/04/1970."
    sex = _SEXES.get(typed.get("sex", "").strip().casefold())
    if sex is None:
        problems["sex"] = "Sex: F, M, O or U (female, male, other, unknown)."
    values["sex"] = sex or "unknown"
    for name in CHOICE_FIELDS:
        values[name] = _choice(typed.get(name, ""))
    for name, default in (("deceased", values["deceased_on"] is not None), ("active", True)):
        text = typed.get(name, "").strip().casefold()
        values[name] = default if not text else text in _YES
        if text not in _YES | _NO:
            problems[name] = f"{name.capitalize()}: yes or no."
    values["ssn"] = typed.get("ssn", "").strip() or None
    return Demographics(**values), problems


@dataclass
class _Planner:
    """The state of one plan while the file streams through it."""

    session: Session
    clinic: Clinic
    finder: DuplicateFinder
    today: date
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    duplicates: list[ImportDuplicate] = field(default_factory=list)
    records: list[tuple[Any, ...]] = field(default_factory=list)
    mrns: dict[str, int] = field(default_factory=dict)  # typed MRN -> its line
    numbered: list[tuple[int, int]] = field(default_factory=list)  # (record, line) needing one
    waiting: list[tuple[int, Person]] = field(default_factory=list)  # for the registry check
    same_day: dict[date, list[tuple[int, Person]]] = field(
        default_factory=lambda: defaultdict(list))
    first_with: dict[tuple[str, str], tuple[int, Person]] = field(default_factory=dict)

    def row(self, line: int, typed: dict[str, str]) -> None:
        entered, problems = _entered(typed, today=self.today)
        try:
            values = clean_demographics(entered, today=self.today)
        except DemographicsInvalid as invalid:
            problems = {**invalid.errors, **problems}
        for name in _NAMES:
            if typed.get(name, "").strip().startswith(_FORMULA_NAME):
                problems[name] = (f"{TEXT_FIELDS[name][0]}: starts like a spreadsheet formula "
                                  "(=, +, -, @), not like a name.")
        mrn = self._mrn(line, typed.get("mrn", "").strip(), problems)
        if problems:
            self.errors.extend(ImportIssue(line, name, message)
                               for name, message in problems.items())
            return
        for name, (label, _) in TEXT_FIELDS.items():
            if name not in _NAMES and typed.get(name, "").strip().startswith(_FORMULA_TEXT):
                self.warnings.append(ImportIssue(line, name, (
                    f"{label}: starts like a spreadsheet formula; kept as plain text.")))
        values["mrn"], values["ssn"] = mrn, values["ssn"] or None
        if mrn is None:
            self.numbered.append((len(self.records), line))
        self.records.append(tuple(values[name] for name in FIELDS))
        someone = person(values, ssn_digest=ssn_digest(self.finder.cipher, values["ssn"]))
        self._compare_with_file(line, someone)
        self.waiting.append((line, someone))
        if len(self.waiting) >= _BATCH:
            self.check_registry()

    def _mrn(self, line: int, typed: str, problems: dict[str, str]) -> str | None:
        if not typed:
            return None
        try:
            mrn = check_manual_mrn(self.session, self.clinic, typed)
        except MrnError as refused:
            problems["mrn"] = str(refused)
            return None
        first = self.mrns.setdefault(mrn, line)
        if first != line:
            problems["mrn"] = f"MRN: line {first} has it already."
        return mrn

    def _compare_with_file(self, line: int, someone: Person) -> None:
        born = someone.date_of_birth
        keys = [("phone", digits) for digits, _ in someone.phones]
        if someone.ssn_digest is not None:
            keys.append(("ssn", someone.ssn_digest))
        earlier: dict[int, Person] = {}
        if born is not None:
            for day in filter(None, (born, swapped_day_month(born))):
                earlier.update(self.same_day.get(day, ()))
        earlier.update(self.first_with[key] for key in keys if key in self.first_with)
        for other_line, other in sorted(earlier.items()):
            reasons = likely_same(someone, other)
            if reasons:
                self.duplicates.append(ImportDuplicate(line, reasons, other_line=other_line))
        if born is not None:
            same_day = self.same_day[born]
            if len(same_day) < _SAME_DAY_COMPARED:
                same_day.append((line, someone))
            elif len(same_day) == _SAME_DAY_COMPARED:
                same_day.append((line, someone))  # one more marks the warning as given
                self.warnings.append(ImportIssue(line, "date_of_birth", (
                    f"Date of birth: more than {_SAME_DAY_COMPARED} rows share this date (a "
                    "placeholder?); later rows are compared by name with the first ones only.")))
        for key in keys:
            self.first_with.setdefault(key, (line, someone))

    def check_registry(self) -> None:
        found = self.finder.find([someone for _, someone in self.waiting])
        for (line, _), candidates in zip(self.waiting, found, strict=True):
            self.duplicates.extend(ImportDuplicate(line, candidate.reasons, patient=candidate)
                                   for candidate in candidates)
        self.waiting.clear()

    def number_mrns(self) -> None:
        """Give the rows without an MRN the clinic's next ones, skipping those typed."""
        if not self.numbered:
            return
        prefix, width = self.clinic.mrn_prefix, self.clinic.mrn_digits
        try:
            number = int(next_mrn(self.session, self.clinic)[len(prefix):-1])
        except MrnError as used_up:
            self.errors.append(ImportIssue(self.numbered[0][1], "mrn", str(used_up)))
            return
        for index, line in self.numbered:
            while (mrn := mrn_with_check_digit(number, width=width, prefix=prefix)) in self.mrns:
                number += 1
            if number >= 10 ** width:
                self.errors.append(ImportIssue(line, "mrn", (
                    f"MRN: the clinic's {width}-digit numbers run out here; widen the format.")))
                return
            self.records[index] = (mrn, *self.records[index][1:])
            number += 1


def plan_import(
    session: Session, actor: Actor, *, lines: Iterable[str] | TextIO,
    mapping: dict[str, str] | None = None, today: date,
) -> ImportPlan:
    """Read and check a patient list (see module doc); ``ImportFileError`` when the file is
    not one (empty, no header, unreadable). Audited as a duplicates search of the registry,
    with how many rows were read and matches shown."""
    require(actor, "patient.write")
    require(actor, "patient.read")
    rows = _rows(lines)
    _, header = next(rows)
    columns = _columns(header, mapping)
    planner = _Planner(session, session.get_one(Clinic, actor.seat.clinic_id),
                       DuplicateFinder(session, actor.seat.clinic_id), today)
    rows_read = 0
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        rows_read += 1
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns):]):
            planner.errors.append(ImportIssue(line, "row", (
                f"{len(cells)} cells where the header names {len(columns)}: a delimiter "
                "inside a cell that is not quoted?")))
            continue
        planner.row(line, {name: cell for (_, name), cell in zip(columns, cells, strict=False)
                           if name})
    planner.check_registry()
    planner.number_mrns()
    found = sum(1 for duplicate in planner.duplicates if duplicate.patient is not None)
    trail.record(session, seat=actor.seat, actor=actor, action="patient.search",
                 resource_type="patient", reason="duplicates",
                 changes={"results": found, "rows": rows_read})
    return ImportPlan(
        clinic_id=actor.seat.clinic_id, columns=tuple(columns), rows_read=rows_read,
        errors=tuple(planner.errors), warnings=tuple(planner.warnings),
        duplicates=tuple(sorted(planner.duplicates, key=lambda d: d.line)),
        records=tuple(planner.records),
    )


def apply_import(session: Session, actor: Actor, *, plan: ImportPlan) -> int:
    """Register every patient of an error-free plan in the caller's transaction (all or
    nothing); how many. ``ImportRefused`` when the plan has errors, is another clinic's, or
    an MRN it gives was taken since it was made."""
    require(actor, "patient.write")
    if plan.errors:
        raise ImportRefused(f"The file has {len(plan.errors)} error(s); nothing was imported.")
    if plan.clinic_id != actor.seat.clinic_id:
        raise ImportRefused("This import was planned for another clinic.")
    for start in range(0, len(plan.records), _BATCH):
        batch = plan.records[start:start + _BATCH]
        taken = session.scalars(select(Patient.mrn).where(
            Patient.clinic_id == plan.clinic_id,
            Patient.mrn.in_([record[0] for record in batch])).limit(1)).first()
        if taken is not None:
            raise ImportRefused(f"MRN {taken} was given to a patient after the import was "
                                "planned; plan it again.")
        import_patients(session, actor,
                        records=[dict(zip(FIELDS, record, strict=True)) for record in batch])
    return len(plan.records)
