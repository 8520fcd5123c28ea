"""The demo clinic: an encrypted workstation database with staff and synthetic patients.

``medtrack-desktop --demo`` and ``medtrack-admin demo`` both call ``create_demo_database``. The
database is built under a temporary name and renamed only when complete, so an interrupted or
cancelled build never leaves a half demo behind.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

from medtrack_desktop.demo.coverage import COVERED_PATIENTS, add_demo_coverage
from medtrack_desktop.demo.people import synthetic_people
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.access import patient_id_for_mrn, set_privacy
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.domain.patients.registry import import_patients
from medtrack_desktop.domain.patients.search_index import mark_current as mark_search_index_current
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import StoreError
from medtrack_desktop.store.migrate import upgrade

DEMO_CLINIC = "Riverside Family Clinic"
DEMO_PASSWORD = "Medtrack!2026"
FIRST_MRN = 1_000_001
_BATCH = 1000

# username, first name, last name, role, professional identifiers
DEMO_STAFF: tuple[tuple[str, str, str, str, dict[str, str]], ...] = (
    ("physician", "Elena", "Márquez", "physician",
     {"npi": "1234567893", "dea_number": "BM1234563", "license_number": "TX-Q1234",
      "license_state": "TX"}),
    ("nurse", "Daniel", "O'Connor", "nurse",
     {"license_number": "RN-884120", "license_state": "TX"}),
    ("assistant", "Priya", "Shah", "medical_assistant", {}),
    ("frontdesk", "Marcus", "Lee-Whitfield", "front_desk", {}),
    ("biller", "Grace", "Nguyễn", "biller", {}),
    ("admin", "Sam", "Okafor", "admin", {}),
)
DEMO_PATIENT_USER = "patient"
DEMO_RESTRICTED_INDEX = 2  # the third demo patient's record is restricted
DEMO_RESTRICTED_MRN = mrn_with_check_digit(FIRST_MRN + DEMO_RESTRICTED_INDEX)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class DemoCancelled(StoreError):
    """The user cancelled the demo build; nothing was kept."""


@dataclass(frozen=True)
class DemoSummary:
    seat: Seat
    patients: int
    users: tuple[str, ...]


def populate_demo(
    store: Store,
    *,
    patients: int,
    today: date,
    seed: int = 2026,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> DemoSummary:
    """Fill a migrated, empty database with the demo clinic (one transaction per batch)."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name=DEMO_CLINIC, workstation_name="Exam 1")
        system = Actor.system(seat, name="demo")
        for username, first, last, role, extra in DEMO_STAFF:
            add_user(
                session, system, username=username, password=DEMO_PASSWORD, first_name=first,
                last_name=last, roles=(role,), email=f"{username}@riverside.example.org", **extra,
            )

    people = synthetic_people(patients, today=today, seed=seed)
    done, portal_patient, first_ids = 0, None, []
    while batch := list(islice(people, _BATCH)):
        if cancelled is not None and cancelled():
            raise DemoCancelled("The demo build was cancelled.")
        records = [
            {**dataclasses.asdict(person), "mrn": mrn_with_check_digit(FIRST_MRN + done + i)}
            for i, person in enumerate(batch)
        ]
        with store.session() as session:
            ids = import_patients(session, system, records=records)
        first_ids.extend(ids[:COVERED_PATIENTS - len(first_ids)])
        if portal_patient is None:
            # The portal user gets the oldest patient of the first batch (an adult whenever
            # there is one).
            oldest = min(range(len(batch)), key=lambda i: batch[i].date_of_birth)
            portal_patient = ids[oldest]
        done += len(batch)
        if progress is not None:
            progress(done, patients)

    add_demo_coverage(store, system, patient_ids=first_ids, today=today, seed=seed)
    # Imported here: the app imports this package before sign-in, and the whole chart domain
    # behind the demo charts would lengthen every start (cold_start benchmark) for a build
    # done once.
    from medtrack_desktop.demo.charts import add_demo_charts

    if not add_demo_charts(store, today=today, seed=seed, timezone=seat.clinic_timezone,
                           cancelled=cancelled):
        raise DemoCancelled("The demo build was cancelled.")
    from medtrack_desktop.demo.schedule import add_demo_schedule  # as the charts, on build only

    add_demo_schedule(store, today=today, seed=seed, timezone=seat.clinic_timezone)
    with store.session() as session:
        mark_search_index_current(session)  # every patient was indexed as it was added
    usernames = [staff[0] for staff in DEMO_STAFF]
    if done > DEMO_RESTRICTED_INDEX:
        # A restricted record (a staff member treated here): Dr Márquez's care team opens it;
        # a nurse breaks the glass with a reason; the front desk is refused.
        with store.session() as session:
            restricted = patient_id_for_mrn(session, system, mrn=DEMO_RESTRICTED_MRN)
            set_privacy(session, system, patient_id=restricted, restricted=True,
                        care_team=("physician",))
    if portal_patient is not None:
        with store.session() as session:
            add_user(
                session, system, username=DEMO_PATIENT_USER, password=DEMO_PASSWORD,
                first_name="Portal", last_name="Patient", roles=("patient",),
                patient_id=portal_patient,
            )
        usernames.append(DEMO_PATIENT_USER)
    return DemoSummary(seat=seat, patients=done, users=tuple(usernames))


def create_demo_database(
    path: Path,
    key: bytes,
    *,
    patients: int,
    today: date,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> DemoSummary:
    """Build the demo database at ``path`` (which must not exist), atomically."""
    if path.exists():
        raise StoreError(f"{path.name} exists already; the demo is built only once.")
    if patients < 0:
        raise StoreError("The number of demo patients cannot be negative.")
    partial = path.with_name(path.name + ".building")
    _remove_database_files(partial)
    store = Store.open(partial, key, create=True)
    try:
        upgrade(store.engine)
        summary = populate_demo(
            store, patients=patients, today=today, progress=progress, cancelled=cancelled
        )
        store.analyze()
    except BaseException:
        store.close()
        _remove_database_files(partial)
        raise
    store.close()
    os.replace(partial, path)
    return summary


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
