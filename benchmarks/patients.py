"""Patient registry benchmarks (registry issue): the 1M-patient generator, search latency
through the service, and a registration save.

- ``patients-generate``: ``patient_generator.generate_patients`` for --scale patients into a
  new encrypted database (target: 1,000,000 in < 180 s).
- ``patient-search``: ``search.search_patients`` as a signed-in front-desk user over a fixed,
  seeded query mix (target p95 < 15 ms), next to a bare FTS5 prefix query over the same names
  in a separate SQLCipher file and in plain SQLite, measured in the same run.
- ``registration-save``: ``registry.register_patient`` in its own unit of work (target p95 <
  50 ms).

The last two share a database of --scale patients kept in the work dir between runs
(``medtrack-bench-patients-<scale>-<seed>.db`` and its ``.key``), built on first use.
"""

from __future__ import annotations

import gc
import random
import re
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import Metrics, Result, Scenario, latency, note, now_ms, rate

if TYPE_CHECKING:
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.patients.demographics import Demographics
    from medtrack_desktop.domain.patients.registry import PatientRecord
    from medtrack_desktop.store.engine import Store

DEFAULT_PATIENTS = 1_000_000
SEED = 2026
TODAY = date(2026, 1, 15)  # fixed, so every run builds and asks the same
GENERATE_TARGET_S = 180  # for 1,000,000 patients
SEARCH_TARGET_MS = 15
SAVE_TARGET_MS = 50
FRONT_DESK, PASSWORD = "frontdesk", "Bench!Passw0rd"
PATIENTS_PER_KIND = 20  # per round of the query mix (--repeat rounds)
WARM_UP = 20
BARE_LIMIT = 25  # the search box's result count
# Prefix indexes for 1-4 characters: FTS5's own answer to prefix queries (without them, a
# 1-character prefix merges every term that starts with it: p95 ~25 ms at 1M names).
FTS_COLUMNS = "name, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3 4'"

NAME_KINDS = ("last_1", "last_2", "last_3", "last_4", "last_first", "first_last")


def _new_clinic(path: Path, key: bytes) -> Store:
    """A new encrypted workstation database with its clinic and one front-desk user."""
    from medtrack_desktop.domain.identity.accounts import add_user
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.identity.workstation import initialize_workstation
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.migrate import upgrade

    store = Store.open(path, key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Bench Clinic", workstation_name="Desk")
        add_user(session, Actor.system(seat), username=FRONT_DESK, password=PASSWORD,
                 first_name="Front", last_name="Desk", roles=("front_desk",))
    return store


def _progress(done: int, total: int) -> None:
    note(f"{done}/{total} patients")


@contextmanager
def _registry(patients: int, workdir: str | None) -> Iterator[Store]:
    """The kept database of ``patients`` generated patients (built on first use), open."""
    from benchmarks.cipher_overhead import _remove
    from benchmarks.demo_create import _file_bytes
    from benchmarks.patient_generator import generate_patients
    from medtrack_desktop.domain.patients.search_index import ensure_current
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.keys import generate_key, parse_hex_key
    from medtrack_desktop.store.migrate import upgrade

    path = Path(workdir or tempfile.gettempdir()) / f"medtrack-bench-patients-{patients}-{SEED}.db"
    key_file = path.with_suffix(".key")
    if not path.exists():
        note(f"building {path} ({patients} patients); later runs reuse it")
        building = path.with_name(path.name + ".building")
        _remove(building)  # left by a build that was cut short
        key = generate_key()
        store = _new_clinic(building, key)
        try:
            generate_patients(store, count=patients, today=TODAY, seed=SEED,
                              progress=_progress)
        finally:
            store.close()
        key_file.write_text(key.hex())
        key_file.chmod(0o600)
        building.rename(path)
        note(f"built: {_file_bytes(path)} bytes")
    store = Store.open(path, parse_hex_key(key_file.read_text()))
    try:
        upgrade(store.engine)  # a kept file from before a new migration
        with store.session() as session:
            ensure_current(session)  # ... or before new search-term rules
        yield store
    finally:
        store.close()


def _sign_in(store: Store) -> Actor:
    from medtrack_desktop.domain.identity.accounts import authenticate
    from medtrack_desktop.domain.identity.workstation import current_seat

    with store.session() as session:
        seat = current_seat(session)
        if seat is None:
            raise RuntimeError("the benchmark database has no clinic")
        outcome = authenticate(session, seat=seat, username=FRONT_DESK, password=PASSWORD)
    if outcome.actor is None:
        raise RuntimeError(f"the front desk could not sign in: {outcome.message}")
    return outcome.actor


def run_generate(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from benchmarks.demo_create import _file_bytes
    from benchmarks.patient_generator import generate_patients
    from medtrack_desktop.store.keys import generate_key

    patients = scale or DEFAULT_PATIENTS
    totals: list[float] = []
    setups: list[float] = []
    for index in range(repeat):
        with tempfile.TemporaryDirectory(prefix="medtrack-bench-patients-", dir=workdir) as tmp:
            path = Path(tmp) / "patients.db"
            start = now_ms()
            store = _new_clinic(path, generate_key())
            setups.append(now_ms() - start)
            try:
                start = now_ms()
                generated = generate_patients(store, count=patients, today=TODAY, seed=SEED,
                                              progress=_progress)
                totals.append(now_ms() - start)
            finally:
                store.close()
            size = _file_bytes(path)
        note(f"run {index + 1}/{repeat}: {totals[-1] / 1000:.1f} s")
    median_ms = statistics.median(totals)
    per_s = rate(patients, median_ms)
    target_rate = round(1_000_000 / GENERATE_TARGET_S)
    return Result(
        scenario="patients-generate", scale=patients,
        metrics={"count": generated.patients, "seconds": round(median_ms / 1000, 1),
                 "patients_per_s": per_s, **latency(totals),
                 "setup_ms": round(statistics.median(setups), 1), "db_bytes": size,
                 "bytes_per_patient": round(size / patients, 1),
                 "search_terms": generated.search_terms,
                 "terms_per_patient": round(generated.search_terms / patients, 2)},
        target=f"patients_per_s >= {target_rate} (1,000,000 in < {GENERATE_TARGET_S} s)",
        meets_target=per_s >= target_rate,
    )


def _samples(store: Store, actor: Actor, patients: int, count: int,
             rng: random.Random) -> list[PatientRecord]:
    """``count`` generated patients, read through the services (as a front desk would)."""
    from medtrack_desktop.domain.identity.models import Clinic
    from medtrack_desktop.domain.patients.access import patient_id_for_mrn
    from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
    from medtrack_desktop.domain.patients.registry import get_patient

    with store.session() as session:
        clinic = session.get_one(Clinic, actor.seat.clinic_id)
        return [
            get_patient(session, actor, patient_id=patient_id_for_mrn(
                session, actor, mrn=mrn_with_check_digit(
                    number, width=clinic.mrn_digits, prefix=clinic.mrn_prefix)))
            for number in rng.sample(range(1, patients + 1), min(count, patients))
        ]


def _typed(record: PatientRecord) -> dict[str, str | None]:
    """What the front desk types to find this patient, by kind of query (None: no such
    query for this patient)."""
    entered, born = record.demographics, record.demographics.date_of_birth
    phone = entered.phone_mobile or entered.phone_home
    return {
        **{f"last_{n}": entered.last_name[:n] for n in (1, 2, 3, 4)},
        "last_first": f"{entered.last_name} {entered.first_name}",
        "first_last": f"{entered.first_name} {entered.last_name}",
        "dob_us": f"{born:%m/%d/%Y}",
        "dob_iso": born.isoformat(),
        "dob_short": f"{born.month}/{born.day}/{born.year % 100:02d}",
        "mrn": record.mrn,
        "phone": phone or None,  # as stored: "(512) 555-0147"
        "phone_last7": re.sub(r"\D", "", phone)[-7:] or None,
        "ssn_last4": record.ssn_last4,
    }


def _query_mix(records: Sequence[PatientRecord], per_kind: int,
               rng: random.Random) -> list[tuple[str, str]]:
    """(kind, typed text): ``per_kind`` of each kind, from different patients, shuffled."""
    by_kind: dict[str, list[str]] = {}
    for record in records:
        for kind, text in _typed(record).items():
            if text:
                by_kind.setdefault(kind, []).append(text)
    mix = [(kind, text) for kind, texts in by_kind.items()
           for text in rng.sample(texts, min(per_kind, len(texts)))]
    rng.shuffle(mix)
    return mix


@dataclass
class _Timed:
    """One kind of query: the service call's ms, the whole unit of work's ms (begin, the call,
    the commit of its audit entry), and how many matches each showed."""

    service: list[float] = field(default_factory=list)
    unit: list[float] = field(default_factory=list)
    results: list[int] = field(default_factory=list)


def _search(store: Store, actor: Actor, mix: Sequence[tuple[str, str]]) -> dict[str, _Timed]:
    from medtrack_desktop.domain.patients.search import search_patients

    timed: dict[str, _Timed] = {}
    for kind, text in mix:
        start = now_ms()
        with store.session() as session:
            called = now_ms()
            found = search_patients(session, actor, query=text, today=TODAY)
            answered = now_ms()
        done = now_ms()
        samples = timed.setdefault(kind, _Timed())
        samples.service.append(answered - called)
        samples.unit.append(done - start)
        samples.results.append(len(found))
        if kind == "mrn" and (not found or found[0].mrn != text):
            raise RuntimeError(f"searching MRN {text} did not put that patient first")
    return timed


def _fts_match(typed: str) -> str:
    """An FTS5 query for typed words: every word as a prefix ("garcia ma" -> "garcia"* "ma"*)."""
    return " ".join(f'"{word.replace(chr(34), "")}"*' for word in typed.split())


def _bare_fts(names: Sequence[str], mix: Sequence[tuple[str, str]],
              warm_up: Sequence[tuple[str, str]], workdir: str | None,
              ) -> dict[str, dict[str, list[float]]]:
    """Per variant (SQLCipher as the app opens it, plain SQLite), per kind: ms of each query of
    ``mix`` (names only) as a bare FTS5 prefix query over ``names`` (the first ``BARE_LIMIT``
    rowids), on a new connection after the queries of ``warm_up``."""
    from benchmarks.cipher_overhead import _remove, _variants

    statement = f"SELECT rowid FROM names WHERE names MATCH ? LIMIT {BARE_LIMIT}"
    timings: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="medtrack-bench-fts-", dir=workdir) as tmp:
        for variant in (v for v in _variants() if v.name in ("sqlcipher", "sqlite")):
            path = Path(tmp) / f"{variant.name}.db"
            connection = variant.open(path)
            try:
                connection.execute(f"CREATE VIRTUAL TABLE names USING fts5({FTS_COLUMNS})")
                connection.execute("BEGIN")
                connection.executemany("INSERT INTO names (name) VALUES (?)",
                                       ((name,) for name in names))
                connection.execute("COMMIT")
            finally:
                connection.close()
            connection = variant.open(path)
            try:
                for _kind, typed in warm_up:
                    connection.execute(statement, (_fts_match(typed),)).fetchall()
                samples = timings[variant.name] = {}
                for kind, typed in mix:
                    start = now_ms()
                    connection.execute(statement, (_fts_match(typed),)).fetchall()
                    samples.setdefault(kind, []).append(now_ms() - start)
            finally:
                connection.close()
                _remove(path)
            note(f"bare FTS5 over {len(names)} names on {variant.name}: done")
    return timings


def _all_names(store: Store) -> list[str]:
    from sqlalchemy import select

    from medtrack_desktop.domain.patients.models import Patient

    with store.read_session() as session:
        rows = session.execute(select(Patient.last_name, Patient.first_name,
                                      Patient.middle_name))
        return [" ".join(part for part in row if part) for row in rows]


def run_search(scale: int | None, repeat: int, workdir: str | None) -> Result:
    patients = scale or DEFAULT_PATIENTS
    rng = random.Random(SEED)
    with _registry(patients, workdir) as store:
        actor = _sign_in(store)
        records = _samples(store, actor, patients, PATIENTS_PER_KIND * repeat * 2, rng)
        mix = _query_mix(records, PATIENTS_PER_KIND * repeat, rng)
        warm_up = _query_mix(_samples(store, actor, patients, WARM_UP, rng), 1, rng)
        _search(store, actor, warm_up)
        gc.collect()
        gc.freeze()  # as the app does once signed in (shell controller)
        timed = _search(store, actor, mix)
        names = _all_names(store)
    bare = _bare_fts(names, [q for q in mix if q[0] in NAME_KINDS],
                     [q for q in warm_up if q[0] in NAME_KINDS], workdir)

    metrics: Metrics = latency([ms for t in timed.values() for ms in t.service])
    metrics.update(latency([ms for t in timed.values() for ms in t.unit], "unit_"))
    metrics.update(latency([ms for kind in NAME_KINDS for ms in timed[kind].service], "name_"))
    for variant, by_kind in bare.items():
        metrics.update(latency([ms for samples in by_kind.values() for ms in samples],
                               f"bare_{variant}_"))
    bare_p95 = metrics["bare_sqlcipher_p95_ms"]
    metrics["ratio_to_bare"] = round(metrics["p95_ms"] / bare_p95, 2)
    metrics["name_ratio_to_bare"] = round(metrics["name_p95_ms"] / bare_p95, 2)
    metrics["bare_sqlcipher_to_sqlite"] = round(bare_p95 / metrics["bare_sqlite_p95_ms"], 2)
    kinds = {
        kind: {**latency(t.service), "unit_p95_ms": latency(t.unit)["p95_ms"],
               "results_mean": round(statistics.mean(t.results), 1),
               **{f"bare_{variant}_p95_ms": latency(by_kind[kind])["p95_ms"]
                  for variant, by_kind in bare.items() if kind in by_kind}}
        for kind, t in timed.items()
    }
    return Result("patient-search", patients, metrics, target=f"p95_ms < {SEARCH_TARGET_MS}",
                  meets_target=metrics["p95_ms"] < SEARCH_TARGET_MS,
                  extra={"repeat": repeat, "kinds": kinds, "actor": "front_desk (signed in)",
                         "bare_query": f"SELECT rowid FROM names WHERE names MATCH "
                                       f"'\"w1\"* \"w2\"*' LIMIT {BARE_LIMIT}",
                         "bare_table": f"fts5({FTS_COLUMNS})"})


def _registrations(count: int) -> list[Demographics]:
    """Front-desk entries for new people (not the generated ones: another seed), SSN typed
    with dashes."""
    from medtrack_desktop.demo.people import synthetic_people
    from medtrack_desktop.domain.patients.demographics import Demographics

    entries = []
    for person in synthetic_people(count, today=TODAY, seed=SEED + 7):
        typed = {name: "" if value is None else value for name, value in vars(person).items()}
        if person.ssn:
            typed["ssn"] = f"{person.ssn[:3]}-{person.ssn[3:5]}-{person.ssn[5:]}"
        entries.append(Demographics(**typed))
    return entries


def run_save(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from sqlalchemy import update

    from medtrack_desktop.domain.patients.models import Patient
    from medtrack_desktop.domain.patients.registry import register_patient
    from medtrack_desktop.domain.patients.search_index import reindex
    from medtrack_desktop.store.base import utcnow

    patients = scale or DEFAULT_PATIENTS
    samples: list[float] = []
    with _registry(patients, workdir) as store:
        actor = _sign_in(store)
        saved = []
        try:
            for entry in _registrations(repeat):
                start = now_ms()
                with store.session() as session:
                    saved.append(register_patient(session, actor, demographics=entry,
                                                  today=TODAY).id)
                samples.append(now_ms() - start)
        finally:
            # Tombstoned and out of the index: the kept database searches as generated. (Not
            # deleted: each DELETE would scan every patient for the unindexed merged_into_id
            # foreign key.)
            with store.session() as session:
                session.execute(update(Patient).where(Patient.id.in_(saved))
                                .values(deleted_at=utcnow()))
                reindex(session, saved)
    metrics = latency(samples)
    return Result("registration-save", patients, metrics, target=f"p95_ms < {SAVE_TARGET_MS}",
                  meets_target=metrics["p95_ms"] < SAVE_TARGET_MS)


GENERATE = Scenario("patients-generate",
                    "generate --scale patients + search index (target 1M in < 180 s)",
                    DEFAULT_PATIENTS, 1, run_generate)
SEARCH = Scenario("patient-search",
                  "search_patients over --scale patients, --repeat rounds (target p95 < 15 ms)",
                  DEFAULT_PATIENTS, 3, run_search)
SAVE = Scenario("registration-save",
                "register_patient on --scale patients, --repeat saves (target p95 < 50 ms)",
                DEFAULT_PATIENTS, 100, run_save)
