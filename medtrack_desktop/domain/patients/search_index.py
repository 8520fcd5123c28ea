"""Keeping the local search index (``patient_search_terms``) in step with the patients.

The registry services reindex the patients they write, in the same transaction; rows that
arrive another way (bulk import, a sync pull) call ``add_terms``/``reindex`` too. The index is
derived data: ``rebuild`` makes it again from the patients, and ``ensure_current`` does so when
the term rules changed (``TERMS_VERSION``) or the index was never built.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.models import LocalSetting
from medtrack_desktop.domain.patients.models import Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.search_terms import TERMS_VERSION, patient_terms
from medtrack_desktop.store.bulk import insert_rows

_VERSION_KEY = "patient_search_terms_version"
_INDEXED = (
    Patient.id, Patient.clinic_id, Patient.first_name, Patient.middle_name, Patient.last_name,
    Patient.preferred_name, Patient.mrn, Patient.phone_home, Patient.phone_mobile,
    Patient.phone_work, Patient.deleted_at,
)
_BATCH = 5000
_AFTER_LAST = "~"  # sorts after every term character ([a-z0-9]) byte-wise


def term_prefix(column: Any, word: str) -> Any:
    """``column`` starts with ``word``, as a range an index serves on both engines."""
    return and_(column >= word, column < word + _AFTER_LAST)


def term_rows(patient: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The index rows of one patient given its column values (none for a removed record)."""
    if patient.get("deleted_at") is not None:
        return []
    pairs = patient_terms(
        first_name=patient["first_name"], middle_name=patient.get("middle_name"),
        last_name=patient["last_name"], preferred_name=patient.get("preferred_name"),
        mrn=patient["mrn"],
        phones=(patient.get("phone_home"), patient.get("phone_mobile"),
                patient.get("phone_work")),
    )
    return [
        {"clinic_id": patient["clinic_id"], "term": term, "patient_id": patient["id"],
         "field": field}
        for term, field in sorted(pairs)
    ]


def add_terms(session: Session, patients: Iterable[Mapping[str, Any]]) -> None:
    """Index new patients (no terms yet), e.g. right after a bulk insert."""
    session.flush()  # the patients first: each term points at one
    insert_rows(session.connection(), PatientSearchTerm.__table__,
                [row for patient in patients for row in term_rows(patient)])


def reindex(session: Session, patient_ids: Sequence[uuid.UUID]) -> None:
    """Replace the terms of these patients with terms made from their current rows."""
    if not patient_ids:
        return
    session.flush()
    session.execute(delete(PatientSearchTerm).where(PatientSearchTerm.patient_id.in_(patient_ids)))
    rows = session.execute(select(*_INDEXED).where(Patient.id.in_(patient_ids))).mappings()
    add_terms(session, list(rows))


def rebuild(session: Session, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Make the whole index again from the patients; returns how many were indexed."""
    session.execute(delete(PatientSearchTerm))
    total = session.scalar(
        select(func.count()).select_from(Patient).where(Patient.deleted_at.is_(None))
    ) or 0
    done = 0
    result = session.execute(
        select(*_INDEXED).where(Patient.deleted_at.is_(None)).execution_options(yield_per=_BATCH)
    ).mappings()
    for batch in result.partitions():
        add_terms(session, batch)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    _set_version(session)
    return done


def ensure_current(session: Session, *, progress: Callable[[int, int], None] | None = None) -> bool:
    """Rebuild when the index is missing or made by other rules; True when it rebuilt."""
    row = session.get(LocalSetting, _VERSION_KEY)
    if row is not None and row.value == TERMS_VERSION:
        return False
    rebuild(session, progress=progress)
    return True


def mark_current(session: Session) -> None:
    """Record that the index matches the rules (a new database, indexed as it is filled)."""
    _set_version(session)


def _set_version(session: Session) -> None:
    row = session.get(LocalSetting, _VERSION_KEY)
    if row is None:
        session.add(LocalSetting(key=_VERSION_KEY, value=TERMS_VERSION))
    else:
        row.value = TERMS_VERSION
    session.flush()
