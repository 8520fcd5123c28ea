"""Who may read and write a chart, and the audit entry every chart service writes.

Reading needs ``chart.read`` and the patient's record open to the actor (restricted records:
the care team or a recent break-the-glass, see ``patients.access``); writing needs
``chart.write`` as well. Each chart service calls ``chart_patient`` first and ``audit`` in the
same transaction, so a refused or failed call leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.chart.models import Encounter
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import Base, Tracked, bind_actor, utcnow

RowT = TypeVar("RowT", bound=Base)


class ChartRecordNotFound(LookupError):
    """The chart entry is not (or no longer) there for this patient."""

    def __init__(self, what: str = "This entry") -> None:
        super().__init__(f"{what} was removed or is not part of this chart; reload the chart.")


class SignedRecordLocked(PermissionError):
    """A signed encounter and what it contains are read-only; corrections are amendments."""

    def __init__(self) -> None:
        super().__init__("This encounter is signed and can no longer be changed; "
                         "add an amendment instead.")


def chart_patient(
    session: Session, actor: Actor, patient_id: uuid.UUID, *, write: bool = False
) -> Patient:
    """The patient row if the actor may read (and with ``write``, change) the chart; binds
    the actor as author of what the unit of work writes."""
    require(actor, "chart.read", patient_id=patient_id)
    if write:
        require(actor, "chart.write", patient_id=patient_id)
    patient = readable_patient(session, actor, patient_id)
    if write:
        bind_actor(session, actor.user_id)
    return patient


def owned_row(
    session: Session, model: type[RowT], row_id: uuid.UUID, patient_id: uuid.UUID,
    what: str = "This entry",
) -> RowT:
    """A live row of ``model`` that belongs to the patient, or ``ChartRecordNotFound``."""
    row = session.get(model, row_id)
    if (row is None or getattr(row, "patient_id", None) != patient_id
            or getattr(row, "deleted_at", None) is not None):
        raise ChartRecordNotFound(what)
    return row


def listed_rows(
    session: Session, actor: Actor, model: type[RowT], *, patient_id: uuid.UUID,
    resource_type: str, only: ColumnElement[bool] | None = None,
) -> Sequence[RowT]:
    """The patient's live (not tombstoned) rows of ``model``, ``only`` those matching when
    given, in no order: the read of a list service, access checked first and audited as a
    ``chart.read`` of the ``resource_type`` list."""
    chart_patient(session, actor, patient_id)
    entry = cast(Any, model)  # each chart entry table has these columns (Base has not)
    statement = select(model).where(entry.patient_id == patient_id, entry.deleted_at.is_(None))
    if only is not None:
        statement = statement.where(only)
    rows = session.scalars(statement).all()
    audit(session, actor, action="chart.read", patient_id=patient_id,
          resource_type=resource_type, reason="list")
    return rows


def older_than(moment: Any, row_id: Any, cursor: tuple[datetime, uuid.UUID]) -> ColumnElement[bool]:
    """Keyset paging, newest first on (``moment``, ``row_id``): the rows after ``cursor``, the
    last row shown. Rows at the same moment are neither skipped nor repeated, and the bound on
    ``moment`` alone lets an index on (patient, moment) start at the cursor."""
    at, last_id = cursor
    return and_(moment <= at, or_(moment < at, row_id < last_id))


def audit(
    session: Session, actor: Actor, *, action: str, patient_id: uuid.UUID,
    resource_type: str, resource_id: uuid.UUID | None = None, reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """One chart audit entry (``chart.read``, ``chart.write``, ``chart.sign`` …): never the
    clinical text itself, only what kind of record and which fields."""
    trail.record(session, seat=actor.seat, actor=actor, action=action,
                 resource_type=resource_type,
                 resource_id=None if resource_id is None else str(resource_id),
                 patient_id=patient_id, reason=reason, changes=changes)


def encounter_for_entry(
    session: Session, *, patient_id: uuid.UUID, encounter_id: uuid.UUID,
    errors_as: type[FieldsInvalid] = FieldsInvalid,
) -> Encounter:
    """The patient's encounter a new entry goes into, if it still takes entries: a signed one
    raises ``SignedRecordLocked``, a cancelled one ``errors_as`` under "encounter_id".

    On PostgreSQL the row is share-locked, so the encounter cannot be signed between this
    check and the insert (SQLite has one writer at a time anyway)."""
    row = session.scalars(
        select(Encounter).where(Encounter.id == encounter_id).with_for_update(read=True)
    ).one_or_none()
    if row is None or row.patient_id != patient_id or row.deleted_at is not None:
        raise ChartRecordNotFound("This encounter")
    if row.status == "signed":
        raise SignedRecordLocked()
    if row.status == "cancelled":
        raise errors_as({"encounter_id": "This encounter was cancelled; choose another "
                                         "encounter or record it without one."})
    return row


def refuse_if_signed(session: Session, encounter_id: uuid.UUID | None) -> None:
    """``SignedRecordLocked`` when the entry belongs to a signed encounter."""
    if encounter_id is None:
        return
    status = session.scalar(select(Encounter.status).where(Encounter.id == encounter_id)
                            .with_for_update(read=True))
    if status == "signed":
        raise SignedRecordLocked()


def tombstone(
    session: Session, actor: Actor, row: Tracked, *, patient_id: uuid.UUID, resource_type: str,
    version: int | None, reason: str = "entered in error", audit_fields: bool = True,
) -> None:
    """Take a chart entry off the chart the way every remove service does: ``deleted_at`` set,
    the row kept, a ``chart.write`` audit entry. ``version`` is the one the user was shown
    (``StaleRecord`` if someone saved the entry since; None skips the check).

    The caller has found the row (``owned_row``) and, where the entry's encounter locks it,
    called ``refuse_if_signed``. ``audit_fields`` False leaves the field list out of the audit
    entry, as removing vital signs or a document always has."""
    if version is not None and row.version != version:
        raise StaleRecord()
    row.deleted_at = utcnow()
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id,
          resource_type=resource_type, resource_id=row.id, reason=reason,
          changes={"fields": ["deleted_at"]} if audit_fields else None)
