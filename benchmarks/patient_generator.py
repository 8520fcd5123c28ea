"""N synthetic patients written straight into an encrypted workstation database, with their
search-index rows: the registry benchmarks' data (target: 1,000,000 patients in < 3 minutes).

A test-data tool, not a service: no permission check and **no audit entries** (a real import goes
through ``registry.import_patients``, which audits each patient). The people are
``demo.people.synthetic_people`` (ages 0-100, names, addresses, phones, ~70 % with an SSN);
MRNs follow the clinic's format from 1 up, so ``next_mrn`` carries on after them; the SSN is
stored as the registry stores it (``registry.ssn_columns``: sealed under the clinic's field key,
with its blind index); the search terms are ``search_index.term_rows``'s.

Where the time goes, and what is done about it. Measured at 1M patients on this 2-core machine
while other work ran (load 2.1 -> 3.4): 196 s, ~250 CPU seconds in three processes (~100 s
this one, ~150 s the two spawned ones together), so the machine's second core decides it (at
load 3.2 -> 5.1: 328 s, 276 CPU seconds).

- Making the rows is pure Python in a spawned process (~90 s): ``synthetic_people`` ~50 us a
  patient, the SSN sealed with its blind index ~20 us, UUIDv7, MRN check digit and storage form
  ~25 us (tuples as the columns' own SQLAlchemy bind processors give them: Core's per-row
  parameter handling cost more than SQLite's insert). The batches cross marshalled (~4x cheaper
  than pickling these tuples). This process makes their search terms (names repeat, so a name
  pair's terms are made once; ``term_rows`` itself, ~40 us, checks every 64th patient), gathers
  them ``TERM_GROUP`` batches at a time, sorts them and hands each group on as one JSON array,
  and inserts the patients (a transaction a batch) whenever the next batch is not there yet or
  the terms' process is still busy with the group before (this one waited ~18 s on each).
- The ~9 million search terms are SQLite's work, so a second spawned process loads them into a
  scratch file next to the database (encrypted under a key of its own, kept in memory only),
  with the table's patient index kept up as they come (their patients' ids only grow, so those
  inserts land near its end). Built after the last term instead, it took ~35 s that nothing
  overlapped: the terms were ready ~19 s after this process's patients, now at the same time.
  Each group is one insert sweeping the key range once (five batches: a quarter less than a
  batch at a time); the terms cross packed (``_TermPacking``) and SQLite cuts them apart from
  the array (``json_each``), about half the cost of ``executemany``. (A thread loading them
  into an in-memory database instead ran slower in a trial: two SQLCipher connections in one
  process hardly worked in parallel.)
- The loop ends at ~137 s. After it, this process writes the last batches and makes the
  patients' secondary indexes again from their own SQL (~28 s: one sort each; kept up during
  the load instead, they cost ~100 CPU seconds more, every batch's commit rewriting pages all
  over them; still ~18 s more with one transaction for the whole load, whose commit then took
  ~40 s). Then one ``INSERT INTO ... SELECT *`` copies the terms and their index in:
  SQLite's transfer optimisation appends the records in order instead of inserting row by row
  (~27 s with the commit, which encrypts ~1.3 GB of pages), and the planner's statistics
  (``Store.analyze``, ~6 s). The garbage collector is off for the load (millions of tuples
  alive to the end of their batch would make it scan again and again).
- The load's connections have the CHECK and foreign-key constraints off: SQLite builds each
  ``IN (...)`` CHECK list again for every row (~8 us each; one on every search term, five on a
  patient); every value comes from the registry's vocabularies and the ids made here. The
  database's journal is a rollback journal for the load (in WAL every page of the copy would be
  written twice; full sync either way), and WAL again after. Secondary indexes are dropped and
  made again, so the schema is exactly the migrated one.
- The patients are not put in the sync outbox (the capture triggers stay silent, as while a
  pull applies): a generated clinic reaches a server by a workstation joining it, not by a
  million pushes. Killed mid-load, the database keeps the triggers silenced; generate again.
- Left: on an idle machine the ~250 CPU seconds fit in 180 s only with little to spare; the
  serial tail (~60 s after the loop) and ``synthetic_people`` (~50 s of the row maker, same
  people required) are what would have to shrink.
"""

from __future__ import annotations

import gc
import json
import marshal
import queue
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from multiprocessing import get_context
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import sqlite

from medtrack_desktop.demo.people import SyntheticPerson, synthetic_people
from medtrack_desktop.domain.identity.field_keys import clinic_cipher, field_key_setting
from medtrack_desktop.domain.identity.models import Clinic, LocalSetting
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.models import Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.domain.patients.registry import ssn_columns
from medtrack_desktop.domain.patients.search_index import mark_current, term_rows
from medtrack_desktop.domain.patients.search_terms import patient_terms, phone_terms, words
from medtrack_desktop.store.base import new_id, utcnow
from medtrack_desktop.store.engine import PAGE_SIZE, Store, connect_raw, key_pragma
from medtrack_desktop.store.field_crypto import FieldCipher
from medtrack_desktop.store.keys import generate_key

BATCH = 20_000  # patients per transaction
LOAD_CACHE_KIB = 3 * 1024 * 1024  # page cache of each loading connection (what it writes fits)
# Batches of search terms inserted together: the more, the fewer B-tree pages each of the
# table's random inserts lands on anew (5: ~25 % less time than one), the more left at the end.
TERM_GROUP = 5
CHECK_EVERY = 64  # every so many patients, the fast search terms are checked against term_rows
SSN_COLUMNS = ("ssn_cipher", "ssn_digest", "ssn_last4_digest")
_PERSON_COLUMNS = tuple(name for name in SyntheticPerson.__dataclass_fields__ if name != "ssn")
_PATIENT_COLUMNS = ("id", "mrn", *_PERSON_COLUMNS)  # then SSN_COLUMNS, then the constants
_TERMS: Table = PatientSearchTerm.__table__

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Generated:
    """What ``generate_patients`` wrote."""

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
    batch: int  # ``BATCH`` as the caller's process has it
    field_key: bytes = field(repr=False)  # the clinic's, to seal the SSNs


# One batch as the writer takes it: patient rows in ``_PATIENT_COLUMNS`` + ``SSN_COLUMNS``
# order (the constants are the insert's). It crosses between the processes marshalled.
_Batch = list[tuple[Any, ...]]


class _TermPacking:
    """How a search-term row crosses to the loading process: one string, the field padded with
    ``PAD`` to its column's width, then the term, then the patient's stored id (fixed width).
    The strings of a batch then sort (as strings: cheap) in the table's key order (clinic,
    field, term, patient), near enough, and SQLite cuts them apart at fixed places."""

    PAD = "~"  # in no field; terms hold only [a-z0-9 ] (``search_index`` relies on "~" too)
    FIELD_WIDTH: int = _TERMS.c.field.type.length
    ID_WIDTH = len(uuid.UUID(int=0).hex)  # a UUID as SQLAlchemy stores it on SQLite
    UNPACK = (
        f"INSERT INTO {_TERMS.name} (clinic_id, field, term, patient_id) "
        f"SELECT ?1, rtrim(substr(value, 1, {FIELD_WIDTH}), '{PAD}'), "
        f"substr(value, {FIELD_WIDTH + 1}, length(value) - {FIELD_WIDTH + ID_WIDTH}), "
        f"substr(value, -{ID_WIDTH}) FROM json_each(?2)"
    )

    @classmethod
    def padded(cls, field: str) -> str:
        if len(field) > cls.FIELD_WIDTH or cls.PAD in field:
            raise RuntimeError(f"search-term field {field!r} does not fit its column")
        return field.ljust(cls.FIELD_WIDTH, cls.PAD)


def _insert_patients_sql(plan: _Plan) -> str:
    """The patients' ``INSERT`` of a row as ``_batches`` makes it, the constants written in
    (each bound parameter costs the driver ~1 us a row)."""
    constants = _constants(plan)
    stored = _storage(Patient.__table__, list(constants))(list(constants.values()))
    columns = (*_PATIENT_COLUMNS, *SSN_COLUMNS, *constants)
    values = ("?",) * (len(_PATIENT_COLUMNS) + len(SSN_COLUMNS)) + tuple(map(_literal, stored))
    return (f"INSERT INTO {Patient.__tablename__} ({', '.join(columns)}) "
            f"VALUES ({', '.join(values)})")


def _literal(value: Any) -> str:
    """A stored value as an SQL literal (only what ``_constants`` holds)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no literal for {value!r}")


def _storage(table: Table, names: Sequence[str]) -> Callable[[Sequence[Any]], list[Any]]:
    """Values of the columns ``names``, in that order -> as SQLAlchemy binds them on SQLite
    (UUID hex, ISO dates, …), by the columns' own bind processors (the same in every SQLite
    dialect)."""
    dialect = sqlite.dialect()
    processors = [(index, process) for index, name in enumerate(names)
                  if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))]

    def stored(values: Sequence[Any]) -> list[Any]:
        row = list(values)
        for index, process in processors:
            if row[index] is not None:
                row[index] = process(row[index])
        return row

    return stored


def _constants(plan: _Plan) -> dict[str, Any]:
    """The columns every generated patient shares, and their values."""
    return {"clinic_id": plan.clinic_id, "country": "US", "restricted": False,
            "deceased": False, "active": True, "created_at": plan.created_at,
            "updated_at": plan.created_at, "version": 1}


class _SearchTerms:
    """A batch's search terms, packed for the loading process: the (term, field) pairs
    ``term_rows`` gives each patient, made faster.

    Names repeat (~100 last names, ~100 first names), so the terms of a first + last name pair
    and of a middle name are made once, by ``patient_terms`` given only those names; the MRN's
    and phones' terms per patient by ``search_terms.words`` and ``phone_terms``, as
    ``patient_terms`` makes them. That split holds while no term rule mixes a name with a
    number; every ``CHECK_EVERY``-th patient is compared with ``term_rows`` of the whole row, so
    a rule that breaks it stops the load instead of indexing it wrongly.
    """

    _VALUES = itemgetter(*(_PATIENT_COLUMNS.index(name) for name in (
        "id", "first_name", "middle_name", "last_name", "mrn", "phone_home", "phone_mobile")))
    _MRN = _TermPacking.padded("mrn")
    _PHONE = _TermPacking.padded("phone")

    def __init__(self) -> None:
        # a name pair's and a middle name's terms, packed but for the patient's id
        self._names: dict[tuple[str, str], tuple[str, ...]] = {}
        self._middles: dict[str | None, tuple[str, ...]] = {}
        self._made = 0

    def packed(self, patients: Iterable[Sequence[Any]]) -> list[str]:
        """The packed terms of these patient rows (``_PATIENT_COLUMNS`` first)."""
        packed: list[str] = []
        for row in patients:
            patient_id, first, middle, last, mrn, home, mobile = self._VALUES(row)
            names = self._names.get((first, last))
            if names is None:
                names = self._names[first, last] = self._packed(patient_terms(
                    first_name=first, middle_name=None, last_name=last, preferred_name=None,
                    mrn="", phones=()))
            middles = self._middles.get(middle)
            if middles is None:
                middles = self._middles[middle] = self._packed(patient_terms(
                    first_name="", middle_name=middle, last_name="", preferred_name=None,
                    mrn="", phones=()))
            numbers = [self._MRN + term for term in words(mrn)]
            numbers += [self._PHONE + term for term in phone_terms((home, mobile))]
            terms = [*names, *middles, *numbers]
            if self._made % CHECK_EVERY == 0:
                self._check(row, terms)
            self._made += 1
            packed += [term + patient_id for term in terms]
        return packed

    @staticmethod
    def _packed(pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
        return tuple(_TermPacking.padded(field) + term for term, field in pairs)

    def _check(self, row: Sequence[Any], terms: Sequence[str]) -> None:
        values = {**dict(zip(_PATIENT_COLUMNS, row, strict=False)), "clinic_id": None}
        expected = sorted(_TermPacking.padded(term["field"]) + term["term"]
                          for term in term_rows(values))
        if sorted(terms) != expected:
            raise RuntimeError(
                "the search-term rules no longer split into names and numbers: update "
                f"benchmarks.patient_generator._SearchTerms (MRN {values['mrn']}: "
                f"{sorted(terms)} made, {expected} expected)")


def _batches(plan: _Plan) -> Iterator[_Batch]:
    """The patients of ``plan``, ``plan.batch`` at a time, as the writer takes them."""
    patient_row = _storage(Patient.__table__, _PATIENT_COLUMNS)
    person_values = attrgetter(*_PERSON_COLUMNS)
    cipher = FieldCipher(plan.field_key)
    people = synthetic_people(plan.count, today=plan.today, seed=plan.seed)
    done = 0
    while batch := list(islice(people, plan.batch)):
        rows = []
        for number, person in enumerate(batch, start=done + 1):
            mrn = mrn_with_check_digit(number, width=plan.mrn_digits, prefix=plan.mrn_prefix)
            patient_id = new_id()
            row = patient_row((patient_id, mrn, *person_values(person)))
            rows.append((*row, *_sealed(cipher, patient_id, person.ssn)))
        done += len(batch)
        yield rows


def _sealed(cipher: FieldCipher, patient_id: uuid.UUID, ssn: str | None) -> Iterable[Any]:
    """``SSN_COLUMNS`` of this patient."""
    stored = ssn_columns(cipher, patient_id, ssn)
    return [stored[name] for name in SSN_COLUMNS]


def _produce(plan: _Plan, out: Any) -> None:
    """The row-making process: every batch, then None (or the error that stopped it)."""
    gc.disable()  # a batch's objects all live until it is sent: nothing for it to find
    try:
        for batch in _batches(plan):
            out.put(marshal.dumps(batch))
        out.put(None)
    except Exception as exc:  # reported by the writer, which waits on this queue
        out.put(RuntimeError(f"making patient rows failed: {type(exc).__name__}: {exc}"))


class _RowMaker:
    """``_batches(plan)`` made in a spawned process, two batches ahead of the writer."""

    def __init__(self, plan: _Plan) -> None:
        context = get_context("spawn")
        self._channel = context.Queue(maxsize=2)
        self._maker = context.Process(target=_produce, args=(plan, self._channel),
                                      name="patient-rows", daemon=True)
        self._maker.start()

    def __iter__(self) -> Iterator[_Batch]:
        while True:
            try:
                item = self._channel.get(timeout=5.0)
            except queue.Empty:
                if not self._maker.is_alive():
                    raise RuntimeError(
                        f"the row-making process died ({self._maker.exitcode})") from None
                continue
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield marshal.loads(item)

    def ready(self) -> bool:
        """Whether the next batch is there (or soon: the queue is only probed)."""
        return not self._channel.empty()

    def close(self) -> None:
        if self._maker.is_alive():
            self._maker.kill()
        self._maker.join()


class _TermLoader:
    """The search terms loaded by a spawned process into a temporary file next to the
    database (encrypted under a key of its own, kept in memory only), with the table and
    indexes of the database's own SQL, so that the database can take them in one transfer (see
    the module doc)."""

    def __init__(self, *, path: Path, clinic: str, table_sql: str,
                 index_sql: Sequence[str]) -> None:
        self.path = path
        self.key = generate_key()
        context = get_context("spawn")
        # Room for one group more: the writer need not wait while a group is inserted.
        self._packed = context.Queue(maxsize=1)
        self._group: list[str] = []  # the packed terms of the group being gathered
        self._batches = 0
        self._outcome = context.Queue()
        self._process = context.Process(
            target=_load_terms, name="patient-terms", daemon=True,
            args=(path, self.key, clinic, table_sql, tuple(index_sql), self._packed,
                  self._outcome))
        self._process.start()

    def add(self, packed: list[str], *, meanwhile: Callable[[], bool]) -> None:
        """Load one batch's packed terms, ``TERM_GROUP`` batches at a time. While the process is
        still busy with the group before, ``meanwhile`` is called instead of waiting, until it
        says it had nothing to do."""
        self._group += packed
        self._batches += 1
        if self._batches % TERM_GROUP == 0:
            self._send(meanwhile)

    def _send(self, meanwhile: Callable[[], bool]) -> None:
        """The gathered group to the process: in key order (one sweep of the table's key
        range, see ``_TermPacking``), as the JSON array its insert takes."""
        self._group.sort()
        data = json.dumps(self._group)
        self._group = []
        while True:
            try:
                self._packed.put(data, block=False)
                return
            except queue.Full:
                if not meanwhile():
                    break
        self._put(data)

    def finish(self) -> None:
        """No more terms: the process inserts the last group and commits."""
        if self._group:
            self._send(lambda: False)
        self._put(None)

    def wait(self) -> None:
        """Wait for the process to have committed the terms and their indexes."""
        while True:
            try:
                error = self._outcome.get(timeout=1.0)
                break
            except queue.Empty:
                if not self._process.is_alive():
                    error = f"it died ({self._process.exitcode})"
                    break
        self._process.join()
        if error is not None:
            raise RuntimeError(f"loading the search terms failed: {error}")

    def close(self) -> None:
        """Stop the process if it still runs, and remove its file."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._packed.cancel_join_thread()  # what it did not take would block this one's exit
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _put(self, packed: str | None) -> None:
        while True:
            if not self._process.is_alive():
                self.wait()  # raises its error
            try:
                self._packed.put(packed, timeout=1.0)
                return
            except queue.Full:
                continue


def _load_terms(path: Path, key: bytes, clinic: str, table_sql: str, index_sql: Sequence[str],
                packed: Any, outcome: Any) -> None:
    """The search-term process: groups of packed terms from ``packed`` (JSON arrays, in key
    order) until None, then the commit; None or the error on ``outcome``."""
    gc.disable()
    try:
        connection = connect_raw(path, key)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "foreign_keys = OFF",
                       "ignore_check_constraints = ON", f"cache_size = -{LOAD_CACHE_KIB}"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute(table_sql)
        for sql in index_sql:  # kept up as the terms come: their patients' ids only grow
            connection.execute(sql)
        connection.execute("BEGIN")
        for group in iter(packed.get, None):
            connection.execute(_TermPacking.UNPACK, (clinic, group))
        connection.execute("COMMIT")
        connection.close()
    except Exception as exc:  # reported by the writer
        outcome.put(f"{type(exc).__name__}: {exc}")
    else:
        outcome.put(None)


@contextmanager
def _default_page_size(connection: Any, page_size: int) -> Iterator[None]:
    """SQLCipher's page size for files attached meanwhile: an existing file is read with it
    at once, before any ``PRAGMA schema.cipher_page_size``. A setting of the whole process, so
    it is put back."""
    (before,), = connection.execute("PRAGMA cipher_default_page_size")
    connection.execute(f"PRAGMA cipher_default_page_size = {page_size}")
    try:
        yield
    finally:
        connection.execute(f"PRAGMA cipher_default_page_size = {before}")


def _secondary_indexes(connection: Any, table: Table) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name = ?", (table.name,)).fetchall()


def _load(connection: Any, plan: _Plan, progress: Progress | None,
          terms_path: Path) -> Generated:
    """The load on the connection set up for it (see the module doc)."""
    insert_patient = _insert_patients_sql(plan)
    patient_indexes = _secondary_indexes(connection, Patient.__table__)
    term_indexes = _secondary_indexes(connection, _TERMS)
    for name, _sql in (*patient_indexes, *term_indexes):
        connection.execute(f"DROP INDEX {name}")
    (table_sql,), = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (_TERMS.name,))
    written = 0

    def write(patients: Sequence[tuple[Any, ...]]) -> None:
        nonlocal written
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(insert_patient, patients)
        connection.execute("COMMIT")
        written += len(patients)
        if progress is not None:
            progress(written, plan.count)

    search_terms, loaded_terms = _SearchTerms(), 0
    waiting: deque[_Batch] = deque()  # patients whose terms are sent, not written yet

    def write_next() -> bool:
        """Write the first waiting batch; False if there is none."""
        if not waiting:
            return False
        write(waiting.popleft())
        return True

    clinic = _storage(_TERMS, ["clinic_id"])([plan.clinic_id])[0]
    terms = _TermLoader(path=terms_path, clinic=clinic, table_sql=table_sql,
                        index_sql=[sql for _name, sql in term_indexes])
    maker = _RowMaker(plan)
    try:
        for patients in maker:
            packed = search_terms.packed(patients)
            waiting.append(patients)
            terms.add(packed, meanwhile=write_next)
            loaded_terms += len(packed)
            while not maker.ready() and write_next():  # the terms' process is fed first
                pass
        terms.finish()
        while write_next():
            pass
        for _name, sql in patient_indexes:  # while the process makes the terms' index
            connection.execute(sql)
        terms.wait()
        for _name, sql in term_indexes:  # empty: the transfer fills them
            connection.execute(sql)
        literal = key_pragma(terms.key).removeprefix("PRAGMA key = ")
        with _default_page_size(connection, PAGE_SIZE):
            connection.execute(f"ATTACH DATABASE ? AS loaded_terms KEY {literal}",
                               (str(terms.path),))
        connection.execute("BEGIN IMMEDIATE")
        copied = connection.execute(f"INSERT INTO main.{_TERMS.name} "
                                    f"SELECT * FROM loaded_terms.{_TERMS.name}").rowcount
        connection.execute("COMMIT")
        connection.execute("DETACH DATABASE loaded_terms")
    finally:
        maker.close()
        terms.close()
    if copied != loaded_terms:
        raise RuntimeError(f"{copied} search terms copied of {loaded_terms}")
    return Generated(patients=written, search_terms=loaded_terms)


def generate_patients(
    store: Store, *, count: int, today: date, seed: int, progress: Progress | None = None,
) -> Generated:
    """Add ``count`` patients and their search terms to the clinic of a migrated, initialised
    database that has no patients yet (see the module doc)."""
    if store.path is None:
        raise RuntimeError("the patients are generated into a database file")
    with store.session() as session:
        seat = current_seat(session)
        if seat is None:
            raise RuntimeError("the database is not set up for a clinic")
        if session.scalar(select(func.count()).select_from(Patient)):
            raise RuntimeError("the database has patients already")
        clinic = session.get_one(Clinic, seat.clinic_id)
        clinic_cipher(session, clinic.id)  # makes the clinic's field key if it has none yet
        field_key = bytes.fromhex(
            session.get_one(LocalSetting, field_key_setting(clinic.id)).value)
        plan = _Plan(count=count, today=today, seed=seed, clinic_id=clinic.id,
                     mrn_prefix=clinic.mrn_prefix, mrn_digits=clinic.mrn_digits,
                     created_at=utcnow(), batch=BATCH, field_key=field_key)
    collecting = gc.isenabled()
    gc.disable()  # the load's tuples live to the end of their batch: nothing for it to find
    store.engine.dispose()  # leaving WAL needs the only connection to the file
    pooled = store.engine.raw_connection()
    try:
        connection = pooled.driver_connection
        for pragma in ("foreign_keys = OFF", "ignore_check_constraints = ON",
                       f"cache_size = -{LOAD_CACHE_KIB}", "journal_mode = DELETE"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("UPDATE sync_state SET applying = 1 WHERE id = 1")
        try:
            generated = _load(connection, plan, progress, store.path.with_name(
                f"{store.path.name}.terms-{uuid.uuid4().hex}"))
        finally:
            connection.execute("UPDATE sync_state SET applying = 0 WHERE id = 1")
        (mode,), = connection.execute("PRAGMA journal_mode = WAL")
        if mode != "wal":
            raise RuntimeError(f"the database stayed in journal mode {mode} after the load")
    finally:
        pooled.invalidate()  # its pragmas are the load's: no one else gets this connection
        if collecting:
            gc.enable()
    with store.session() as session:
        mark_current(session)
    store.analyze()
    return generated
