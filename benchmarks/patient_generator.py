"""N synthetic patients written straight into an encrypted workstation database, with their
search-index rows: the registry benchmarks' data (target: 1,000,000 patients in < 3 minutes).

A test-data tool, not a service: no permission check and **no audit entries** (a real import goes
through ``registry.import_patients``, which audits each patient). The people are
``demo.people.synthetic_people`` (ages 0-100, names, addresses, phones, ~70 % with an SSN);
MRNs follow the clinic's format from 1 up, so ``next_mrn`` carries on after them; the SSN is
stored as the registry stores it (``registry.ssn_columns``: sealed under the clinic's field key,
with its blind index); the search terms are ``search_index.term_rows``'s.

Where the time goes (1M patients, 2 cores, CPU seconds), and what is done about it:

- Making the rows is pure Python, ~170 s: ``synthetic_people`` ~47 us a patient,
  ``term_rows`` ~50 us (half of it its sorting and dicts), MRN check digit, UUIDv7, storage
  form, sort ~60 us. A spawned process makes them, a batch ahead, while this one seals the
  SSNs (~20 us a patient) and writes (~150 s with the commits); the batches cross marshalled
  (~4x cheaper than pickling these tuples).
- Rows go to the driver as tuples already in storage form, made by the columns' own SQLAlchemy
  bind processors (constant columns once): Core's per-row parameter handling cost more than
  SQLite's insert.
- The load runs on one connection with the CHECK and foreign-key constraints off: SQLite builds
  each ``IN (...)`` CHECK list again for every row (~8 us each; one on every search term, five
  on a patient); every value comes from the registry's vocabularies and the ids made here.
  Secondary indexes are dropped and made again at the end from their own SQL, so the schema is
  exactly the migrated one: one sort each instead of millions of random inserts, but ~60 s
  that nothing overlaps (~30 s the terms' patient index). Then the connection is discarded and
  the planner's statistics gathered (``Store.analyze``, ~4 s).
"""

from __future__ import annotations

import marshal
import queue
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import sqlite

from medtrack_desktop.demo.people import SyntheticPerson, synthetic_people
from medtrack_desktop.domain.identity.field_keys import clinic_cipher
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.models import Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.domain.patients.registry import ssn_columns
from medtrack_desktop.domain.patients.search_index import mark_current, term_rows
from medtrack_desktop.store.base import new_id, utcnow
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.field_crypto import FieldCipher

BATCH = 20_000  # patients per transaction
LOAD_CACHE_KIB = 1024 * 1024  # page cache of the loading connection
SSN_COLUMNS = ("ssn_cipher", "ssn_digest", "ssn_last4_digest")
_PERSON_COLUMNS = tuple(name for name in SyntheticPerson.__dataclass_fields__ if name != "ssn")
_PATIENT_COLUMNS = ("id", "mrn", *_PERSON_COLUMNS)  # then the constants, then SSN_COLUMNS
_TERM_COLUMNS = ("clinic_id", "term", "patient_id", "field")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Generated:
    patients: int
    search_terms: int


@dataclass(frozen=True)
class _Plan:
    """What the row-making process needs (picklable)."""

    count: int
    today: date
    seed: int
    clinic_id: uuid.UUID
    mrn_prefix: str
    mrn_digits: int
    created_at: datetime


# One batch as the writer takes it: patient rows in ``_PATIENT_COLUMNS`` + constants order, each
# followed by its plain SSN (or None) for the writer to seal; search-term rows in primary-key
# order. It crosses between the processes marshalled.
_Batch = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _insert_sql(table: Table, columns: Sequence[str]) -> str:
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


def _storage(table: Table, names: Sequence[str]) -> Callable[[Mapping[str, Any]], list[Any]]:
    """Column values -> the values of ``names`` as SQLAlchemy binds them on SQLite (UUID hex,
    ISO dates, …), by the columns' own bind processors (the same in every SQLite dialect)."""
    dialect = sqlite.dialect()
    processors = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                  for name in names]

    def stored(values: Mapping[str, Any]) -> list[Any]:
        return [values[name] if process is None or values[name] is None
                else process(values[name]) for name, process in processors]

    return stored


def _constants(plan: _Plan) -> dict[str, Any]:
    """The columns every generated patient shares, and their values."""
    return {"clinic_id": plan.clinic_id, "country": "US", "restricted": False,
            "deceased": False, "active": True, "created_at": plan.created_at,
            "updated_at": plan.created_at, "version": 1}


def _batches(plan: _Plan) -> Iterator[_Batch]:
    """The patients of ``plan``, ``BATCH`` at a time, as the driver takes them."""
    constants = _constants(plan)
    shared = _storage(Patient.__table__, list(constants))(constants)
    patient_row = _storage(Patient.__table__, _PATIENT_COLUMNS)
    clinic = _storage(PatientSearchTerm.__table__, ["clinic_id"])(constants)[0]
    people = synthetic_people(plan.count, today=plan.today, seed=plan.seed)
    done = 0
    while batch := list(islice(people, BATCH)):
        rows, index = [], []
        for number, person in enumerate(batch, start=done + 1):
            values = dict(vars(person))
            ssn = values.pop("ssn")
            values["id"] = new_id()
            values["mrn"] = mrn_with_check_digit(number, width=plan.mrn_digits,
                                                 prefix=plan.mrn_prefix)
            values["clinic_id"] = plan.clinic_id
            row = patient_row(values)
            rows.append((*row, *shared, ssn))
            index.extend((clinic, term["term"], row[0], term["field"])  # row[0]: the stored id
                         for term in term_rows(values))
        index.sort()
        done += len(batch)
        yield rows, index


def _produce(plan: _Plan, out: Any) -> None:
    """The row-making process: every batch, then None (or the error that stopped it)."""
    try:
        for batch in _batches(plan):
            out.put(marshal.dumps(batch))
        out.put(None)
    except Exception as exc:  # reported by the writer, which waits on this queue
        out.put(RuntimeError(f"making patient rows failed: {type(exc).__name__}: {exc}"))


def _produced(plan: _Plan) -> Iterator[_Batch]:
    """``_batches(plan)`` made in a spawned process, two batches ahead of the writer."""
    context = get_context("spawn")
    channel = context.Queue(maxsize=2)
    maker = context.Process(target=_produce, args=(plan, channel), name="patient-rows",
                            daemon=True)
    maker.start()
    try:
        while True:
            try:
                item = channel.get(timeout=5.0)
            except queue.Empty:
                if not maker.is_alive():
                    raise RuntimeError(f"the row-making process died ({maker.exitcode})") from None
                continue
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield marshal.loads(item)
    finally:
        if maker.is_alive():
            maker.kill()
        maker.join()


def _sealed(cipher: FieldCipher, patient_id: str, ssn: str | None) -> Iterable[Any]:
    """``SSN_COLUMNS`` of the patient with this stored id."""
    if ssn is None:
        return (None,) * len(SSN_COLUMNS)
    stored = ssn_columns(cipher, uuid.UUID(patient_id), ssn)
    return [stored[name] for name in SSN_COLUMNS]


def _secondary_indexes(connection: Any, tables: Sequence[Table]) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(tables))})",
        [table.name for table in tables]).fetchall()


def generate_patients(
    store: Store, *, count: int, today: date, seed: int, progress: Progress | None = None,
) -> Generated:
    """Add ``count`` patients and their search terms to the clinic of a migrated, initialised
    database that has no patients yet (see the module doc)."""
    with store.session() as session:
        seat = current_seat(session)
        if seat is None:
            raise RuntimeError("the database is not set up for a clinic")
        if session.scalar(select(func.count()).select_from(Patient)):
            raise RuntimeError("the database has patients already")
        clinic = session.get_one(Clinic, seat.clinic_id)
        cipher = clinic_cipher(session, clinic.id)
        plan = _Plan(count=count, today=today, seed=seed, clinic_id=clinic.id,
                     mrn_prefix=clinic.mrn_prefix, mrn_digits=clinic.mrn_digits,
                     created_at=utcnow())
    tables = (Patient.__table__, PatientSearchTerm.__table__)
    insert_patient = _insert_sql(tables[0], (*_PATIENT_COLUMNS, *_constants(plan), *SSN_COLUMNS))
    insert_term = _insert_sql(tables[1], _TERM_COLUMNS)
    done = terms = 0
    pooled = store.engine.raw_connection()
    try:
        connection = pooled.driver_connection
        for pragma in ("foreign_keys = OFF", "ignore_check_constraints = ON",
                       f"cache_size = -{LOAD_CACHE_KIB}"):
            connection.execute(f"PRAGMA {pragma}")
        indexes = _secondary_indexes(connection, tables)
        for name, _sql in indexes:
            connection.execute(f"DROP INDEX {name}")
        for patients, index in _produced(plan):
            rows = [(*row[:-1], *_sealed(cipher, row[0], row[-1])) for row in patients]
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(insert_patient, rows)
            connection.executemany(insert_term, index)
            connection.execute("COMMIT")
            done += len(rows)
            terms += len(index)
            if progress is not None:
                progress(done, count)
        for _name, sql in indexes:
            connection.execute(sql)
    finally:
        pooled.invalidate()  # its pragmas are the load's: no one else gets this connection
    with store.session() as session:
        mark_current(session)
    store.analyze()
    return Generated(patients=done, search_terms=terms)
