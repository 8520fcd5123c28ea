"""Registering patients. (The registry issue adds search, insurance, consent and merge.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.base import new_id, utcnow


def import_patients(
    session: Session, actor: Actor, *, records: Iterable[Mapping[str, Any]]
) -> list[uuid.UUID]:
    """Insert already-validated demographic records in bulk (demo data, imports).

    Each record is one patient's column values (``mrn``, names, ``date_of_birth`` …). Every
    created patient gets its own audit entry.
    """
    require(actor, "patient.write")
    now = utcnow()
    rows = [
        {
            **record,
            "id": new_id(),
            "clinic_id": actor.seat.clinic_id,
            "created_at": now,
            "updated_at": now,
            "created_by": actor.user_id,
            "updated_by": actor.user_id,
            "version": 1,
        }
        for record in records
    ]
    if not rows:
        return []
    session.execute(insert(Patient), rows)
    trail.record_many(
        session,
        seat=actor.seat,
        actor=actor,
        events=[
            {
                "action": "patient.create",
                "resource_type": "patient",
                "resource_id": str(row["id"]),
                "patient_id": row["id"],
            }
            for row in rows
        ],
    )
    return [row["id"] for row in rows]
