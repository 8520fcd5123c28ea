"""Merging a duplicate patient record into the record that stays (issue 7).

Everything that points at the duplicate moves to the survivor in the caller's one transaction.
The rows to move are found from the schema, not listed here: every table with a foreign key to
``patients.id``, so the chart, calendar and billing tables join without a change to this module.
Not moved: ``patients`` itself (only older tombstones that pointed at the duplicate now point at
the survivor), ``patient_merges`` (history), ``patient_search_terms`` (derived: both records are
reindexed) and ``audit_log`` (append-only: its entries keep the duplicate's id, and the merge
record ties the two ids together).

Signed notes move too, content untouched: the chart's signed-record locks let an update through
that only re-files a row under another patient (``store.triggers``), and verifying a moved
note's signature finds the record it was signed under (``merged_records``).

When both records hold a row under a unique key that includes the patient, the key's shape
decides, so a new table needs no rule here either:

- a key over live rows only (``WHERE deleted_at IS NULL``; one policy per rank): the
  duplicate's row is tombstoned, then moves: the survivor's history keeps it, not live;
- a key on the patient alone (one guarantor): the survivor keeps its own; the duplicate's stays
  with the tombstone, tombstoned if it was live;
- a key on the patient and more (a user on the care team): the same fact is already on the
  survivor, so the row stays behind (skipped); if it was live while the survivor's had been
  removed, the survivor's is revived (care teams unite).

The merge record lists every row moved, tombstoned, skipped and revived. A portal login
(``users.patient_id``) moves with the record, but when both records have an active one the merge
is refused: one person needs one login, and an administrator decides which to disable.

Demographics stay the survivor's (its history notes the merge); a restriction wins (the
survivor is restricted if either was). The duplicate becomes a tombstone: ``deleted_at`` set,
``merged_into_id`` the survivor, no search terms, so search never lists it and opening it says
where its data went (``access.PatientMerged``).

Who may merge: ``patient.merge`` (registration staff). A restricted record only by its care team
or a privacy administrator (``privacy.admin``): breaking the glass lets someone read a record in
an emergency, not reshape it, and merging moves data in or out of a restricted record.
Audited as ``patient.merge`` on both records, with the counts moved; the comparison shown before
a merge (``merge_candidate``) is a PHI read and audited as such.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, UniqueConstraint, exists, func, select, update
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied, require
from medtrack_desktop.domain.models import metadata
from medtrack_desktop.domain.patients.access import live_patient, on_care_team
from medtrack_desktop.domain.patients.models import DemographicChange, Patient, PatientMerge
from medtrack_desktop.domain.patients.registry import PatientRecord, get_patient
from medtrack_desktop.domain.patients.search_index import reindex
from medtrack_desktop.store.base import bind_actor, utcnow

MERGE_MIN_REASON = 10
MERGE_MAX_REASON = 500
# Tables that point at patients but whose rows do not move (see the module doc). The audit log
# has no foreign key today; it is named so that one added later never makes a merge update it.
_NOT_MOVED = frozenset({"patients", "patient_merges", "patient_search_terms", "audit_log"})


class MergeRefused(ValueError):
    """The merge cannot be done as asked; nothing changed. The message is safe to show."""


class MergeReasonError(MergeRefused):
    """The reason is missing, too short or too long; the message starts with the field."""


@dataclass(frozen=True)
class UniqueKey:
    """A unique key that includes a patient column: its ``others`` columns, and whether it
    holds among live rows only (a partial index ``WHERE deleted_at IS NULL``)."""

    others: tuple[Column[Any], ...]
    live_only: bool


@dataclass(frozen=True)
class PatientLink:
    """A column whose rows belong to the patient it names, and the unique keys it is part of."""

    table: Table
    column: Column[Any]
    keys: tuple[UniqueKey, ...]


@dataclass(frozen=True)
class MergeCandidate:
    """One side of the comparison shown before a merge."""

    record: PatientRecord
    linked: Mapping[str, int]  # table -> rows pointing at the patient (what would move)
    portal_logins: tuple[str, ...]  # user names of active portal logins linked to the patient


@dataclass(frozen=True)
class MergeResult:
    """What a merge did, as counts by table (the merge record keeps the row ids)."""

    merge_id: uuid.UUID
    survivor_id: uuid.UUID
    survivor_mrn: str
    merged_id: uuid.UUID
    merged_mrn: str
    moved: Mapping[str, int]  # table -> rows moved to the survivor
    tombstoned: Mapping[str, int]  # table -> rows removed because the survivor had its own
    skipped: Mapping[str, int]  # table -> rows left with the tombstone (already on the survivor)
    revived: Mapping[str, int]  # table -> survivor rows brought back by the duplicate's
    restricted: bool  # the survivor is restricted after the merge


def _unique_keys(table: Table, column: Column[Any]) -> tuple[UniqueKey, ...]:
    shapes: list[tuple[list[Column[Any]], bool]] = [
        (list(constraint.columns), False)
        for constraint in table.constraints if isinstance(constraint, UniqueConstraint)
    ]
    # Every partial unique index of the schema covers live rows (a test holds this).
    shapes += [(list(index.columns), any(index.dialect_kwargs.get(f"{dialect}_where") is not None
                                         for dialect in ("sqlite", "postgresql")))
               for index in table.indexes if index.unique]
    return tuple(
        UniqueKey(others=tuple(c for c in columns if c is not column), live_only=live_only)
        for columns, live_only in shapes if any(c is column for c in columns)
    )


@cache
def patient_links() -> tuple[PatientLink, ...]:
    """Every column (outside ``_NOT_MOVED``) with a foreign key to ``patients.id``, in the
    schema's dependency order."""
    patient_id = metadata.tables["patients"].c.id
    return tuple(
        PatientLink(table, key.parent, _unique_keys(table, key.parent))
        for table in metadata.sorted_tables if table.name not in _NOT_MOVED
        for key in sorted(table.foreign_keys, key=lambda k: k.parent.name)
        if key.column is patient_id
    )


def merged_records(session: Session, survivor_id: uuid.UUID) -> list[uuid.UUID]:
    """The records merged into ``survivor_id``, directly or through a record merged into it
    later (a merge points the older tombstones straight at the new survivor)."""
    return list(session.scalars(select(Patient.id).where(Patient.merged_into_id == survivor_id)
                                .order_by(Patient.id)))


def clean_merge_reason(reason: str) -> str:
    """The reason as recorded (whitespace runs collapsed), or ``MergeReasonError``."""
    text = " ".join(reason.split())
    if len(text) < MERGE_MIN_REASON:
        raise MergeReasonError(f"Reason: say why these are the same person (at least "
                               f"{MERGE_MIN_REASON} characters).")
    if len(text) > MERGE_MAX_REASON:
        raise MergeReasonError(f"Reason: keep it under {MERGE_MAX_REASON} characters.")
    return text


def _mergeable(session: Session, actor: Actor, patient_id: uuid.UUID) -> Patient:
    """The live record, if the actor may merge it (see the module doc for restricted ones)."""
    patient = live_patient(session, actor, patient_id)
    if patient.restricted and not actor.can("privacy.admin") and not on_care_team(
            session, patient.id, actor.user_id):
        raise PermissionDenied(
            "patient.merge", patient_id=patient.id,
            message=f"MRN {patient.mrn} is a restricted record: only its care team or a "
                    "privacy administrator may merge it.")
    return patient


def _portal_logins(session: Session, patient_id: uuid.UUID) -> tuple[str, ...]:
    return tuple(session.scalars(select(User.username).where(
        User.patient_id == patient_id, User.is_active.is_(True)).order_by(User.username)))


def merge_candidate(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> MergeCandidate:
    """A record as the merge tool compares it: demographics (a PHI read, audited), how many
    rows of each table point at it, and its portal logins."""
    require(actor, "patient.merge", patient_id=patient_id)
    _mergeable(session, actor, patient_id)
    record = get_patient(session, actor, patient_id=patient_id)
    linked: dict[str, int] = {}
    for link in patient_links():
        count = session.scalar(select(func.count()).select_from(link.table)
                               .where(link.column == patient_id)) or 0
        if count:
            linked[link.table.name] = linked.get(link.table.name, 0) + count
    return MergeCandidate(record=record, linked=linked,
                          portal_logins=_portal_logins(session, patient_id))


_KINDS = ("moved", "tombstoned", "skipped", "revived")


class _Merger:
    """Moves the rows of one merge and keeps the account of what it did, table by table."""

    def __init__(self, session: Session, *, survivor_id: uuid.UUID, merged_id: uuid.UUID,
                 user_id: uuid.UUID | None) -> None:
        self.session = session
        self.survivor_id, self.merged_id, self.user_id = survivor_id, merged_id, user_id
        self.now = utcnow()
        self.done: dict[str, dict[str, list[uuid.UUID]]] = {kind: {} for kind in _KINDS}

    def _note(self, kind: str, table: Table, ids: list[uuid.UUID]) -> None:
        if ids:
            self.done[kind].setdefault(table.name, []).extend(ids)

    def _ids(self, table: Table, where: ColumnElement[bool]) -> list[uuid.UUID]:
        return list(self.session.scalars(select(table.c.id).where(where)))

    def _update(self, table: Table, where: ColumnElement[bool], **values: Any) -> list[uuid.UUID]:
        """One UPDATE, stamped (version, time, author) where the table has those columns."""
        if "version" in table.c:
            values["version"] = table.c.version + 1
        if "updated_at" in table.c:
            values["updated_at"] = self.now
        if "updated_by" in table.c:
            values["updated_by"] = self.user_id
        statement = update(table).where(where).values(values).returning(table.c.id)
        return list(self.session.scalars(statement))

    @staticmethod
    def _same_key(link: PatientLink, key: UniqueKey, patient_id: uuid.UUID, *,
                  live: bool) -> ColumnElement[bool]:
        """Whether ``patient_id`` has a row (a live one, if ``live``) with the same values in
        the key's other columns as the row at hand."""
        other = link.table.alias()
        conditions = [other.c[link.column.name] == patient_id,
                      *(other.c[column.name] == column for column in key.others)]
        if live:
            conditions.append(other.c.deleted_at.is_(None))
        return exists().where(*conditions)

    def move(self, link: PatientLink) -> None:
        """Move the duplicate's rows of one link, settling unique keys (see the module doc)."""
        table, survivor, merged = link.table, self.survivor_id, self.merged_id
        mine, live = link.column == merged, table.c.deleted_at.is_(None)
        staying: list[uuid.UUID] = []
        for key in link.keys:
            if key.live_only:
                self._note("tombstoned", table, self._update(
                    table, mine & live & self._same_key(link, key, survivor, live=True),
                    deleted_at=self.now))
            elif key.others:
                duplicates = self._ids(table, mine & self._same_key(link, key, survivor,
                                                                    live=False))
                self._note("skipped", table, duplicates)
                staying += duplicates
                self._note("revived", table, self._update(
                    table, (link.column == survivor) & ~live
                    & self._same_key(link, key, merged, live=True), deleted_at=None))
            else:
                replaced = mine & self._same_key(link, key, survivor, live=False)
                tombstoned = self._update(table, replaced & live, deleted_at=self.now)
                self._note("tombstoned", table, tombstoned)
                left = self._ids(table, replaced)
                self._note("skipped", table, [i for i in left if i not in tombstoned])
                staying += left
        self._note("moved", table, self._update(
            table, mine & table.c.id.not_in(staying), **{link.column.name: survivor}))

    def repoint_tombstones(self) -> None:
        """Records merged earlier into the duplicate now point at the survivor."""
        patients = metadata.tables["patients"]
        self._note("moved", patients, self._update(
            patients, patients.c.merged_into_id == self.merged_id,
            merged_into_id=self.survivor_id))

    def counts(self, kind: str) -> dict[str, int]:
        return {table: len(ids) for table, ids in sorted(self.done[kind].items())}

    def merge_record(self) -> dict[str, Any]:
        """``moved`` of the merge record: {table: [ids moved]} and the other kinds by table."""
        def listed(kind: str) -> dict[str, list[str]]:
            return {table: sorted(map(str, ids)) for table, ids in sorted(self.done[kind].items())}

        return {**listed("moved"), **{kind: listed(kind) for kind in _KINDS[1:]}}


def merge_patients(
    session: Session, actor: Actor, *, survivor_id: uuid.UUID, merged_id: uuid.UUID,
    reason: str,
) -> MergeResult:
    """Merge the record ``merged_id`` into ``survivor_id`` (see the module doc); refusals are
    ``MergeRefused``, ``PermissionDenied`` or ``PatientNotFound``, with nothing changed."""
    require(actor, "patient.merge", patient_id=merged_id)
    text = clean_merge_reason(reason)
    if survivor_id == merged_id:
        raise MergeRefused("Pick two different records: a record cannot be merged into itself.")
    # Both rows locked (PostgreSQL; SQLite has one writer anyway) in id order, so two merges of
    # the same pair wait for each other instead of deadlocking; rows being added for either
    # patient by someone else wait too (their foreign key check needs a share lock).
    session.execute(select(Patient.id).where(Patient.id.in_((survivor_id, merged_id)))
                    .order_by(Patient.id).with_for_update())
    survivor = _mergeable(session, actor, survivor_id)
    merged = _mergeable(session, actor, merged_id)
    theirs, mine = _portal_logins(session, survivor.id), _portal_logins(session, merged.id)
    if theirs and mine:
        raise MergeRefused(
            f"Both records have an active patient portal login ({', '.join(theirs + mine)}). "
            "One person needs one login: ask an administrator to disable one of them, then "
            "merge again.")

    bind_actor(session, actor.user_id)
    merger = _Merger(session, survivor_id=survivor.id, merged_id=merged.id,
                     user_id=actor.user_id)
    for link in patient_links():
        merger.move(link)
    merger.repoint_tombstones()
    was_restricted = survivor.restricted
    survivor.restricted = survivor.restricted or merged.restricted
    merged.merged_into_id = survivor.id
    merged.deleted_at = merger.now
    session.add(DemographicChange(clinic_id=survivor.clinic_id, patient_id=survivor.id,
                                  field="merge", old_value=None,
                                  new_value=f"merged from MRN {merged.mrn}"))
    merge = PatientMerge(clinic_id=survivor.clinic_id, survivor_id=survivor.id,
                         merged_id=merged.id, reason=text, moved=merger.merge_record())
    session.add(merge)
    session.flush()
    reindex(session, [survivor.id, merged.id])

    changes: dict[str, Any] = {
        "merge_id": str(merge.id), "survivor_id": str(survivor.id), "survivor_mrn": survivor.mrn,
        "merged_id": str(merged.id), "merged_mrn": merged.mrn,
        **{kind: merger.counts(kind) for kind in _KINDS},
    }
    if survivor.restricted != was_restricted:
        changes["restricted"] = {"old": was_restricted, "new": survivor.restricted}
    trail.record_many(session, seat=actor.seat, actor=actor, events=[
        {"action": "patient.merge", "resource_type": "patient", "resource_id": str(patient.id),
         "patient_id": patient.id, "reason": text, "changes": changes}
        for patient in (survivor, merged)
    ])
    return MergeResult(
        merge_id=merge.id, survivor_id=survivor.id, survivor_mrn=survivor.mrn,
        merged_id=merged.id, merged_mrn=merged.mrn, moved=merger.counts("moved"),
        tombstoned=merger.counts("tombstoned"), skipped=merger.counts("skipped"),
        revived=merger.counts("revived"), restricted=survivor.restricted,
    )
