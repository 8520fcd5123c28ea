"""Conflict review (DESIGN §5): the changes the server kept aside wait here for a person.

A conflict is a synced clinic row (``sync_conflicts``), so every workstation of the clinic
lists the same ones and any of them may settle one. Settling writes, in one local transaction:

- the chosen values onto the record itself, through Core with ``version`` + 1 (the capture
  triggers put the change in the outbox, so it is pushed like any edit and, being made at the
  server's version, applies there);
- the conflict marked resolved (``resolved_at``/``resolved_by``/``resolution``), which syncs too;
- an audit entry.

The choices:

- ``keep_server``: the record stays as it is. After the round that made the conflict every
  workstation already holds the server's values, or newer ones; writing the conflict's old
  server values back would undo whatever changed since, so nothing is written.
- ``keep_local``: the values this change wanted, written over the record as it stands now.
- ``merged``: per field, ``"server"`` (left as it is) or ``"local"`` (written).
- ``reapply``: a refused insert (a double booking, a broken rule) made again from the kept
  values, with any field corrected (``edits``: the appointment moved to a free time), together
  with the refused inserts that point at it (an appointment's status history). It is pushed
  again and the server decides again. Recorded as ``kept_local``.

A signed record is only ever kept as the server has it: changing it needs an amendment, which
this screen does not write. A conflict someone resolved already (on this or another
workstation) is refused with ``ConflictResolved``; two workstations resolving the same
conflict offline meet again as a conflict on the conflict row, listed like any other.

Reading a conflict's values is reading the record: for a patient's record it is audited as a
``patient.read``. The list shows no values (the record's kind, the field names, the times).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied, require
from medtrack_desktop.domain.models import metadata
from medtrack_desktop.domain.patients import search_index
from medtrack_desktop.domain.patients.access import readable_patient
from medtrack_desktop.store.base import Base, bind_actor, utcnow
from medtrack_desktop.sync.conflict_values import (
    NEVER_EDITED,
    REASONS,
    RESOLUTIONS,
    field_label,
    is_editable,
    parsed,
    record_label,
    shown,
)
from medtrack_desktop.sync.models import SyncConflict
from medtrack_desktop.sync.tables import BOOKKEEPING, synced
from medtrack_desktop.sync.wire import decode, encode

PERMISSION = "sync.resolve"
Choice = Literal["keep_server", "keep_local", "merged", "reapply"]
Side = Literal["server", "local"]
_CONFLICTS = SyncConflict.__table__

#: The permission that owns a domain's data (besides ``sync.resolve``); ``clinic.admin``
#: settles any conflict.
_OWNERS = {"patients": "patient.write", "scheduling": "schedule.write", "chart": "chart.write",
           "orders": "chart.write", "billing": "billing.post", "identity": "user.admin"}
_OWNER_NAMES = {"patient.write": "changes patients' records",
                "schedule.write": "changes the schedule", "chart.write": "writes in charts",
                "billing.post": "posts billing", "user.admin": "administers users",
                "clinic.admin": "administers the clinic"}
class ConflictResolved(RuntimeError):
    """The conflict is settled already (perhaps on another workstation); safe to show."""


class ConflictNotFound(LookupError):
    """No such conflict (it may not have reached this workstation)."""


class CannotResolve(ValueError):
    """This choice is not open for this conflict; the message says why and what is."""


class ConflictInvalid(FieldsInvalid):
    """Corrected values of a re-applied record that cannot be used; by field."""


@dataclass(frozen=True)
class ConflictSummary:
    """One open conflict as the list shows it: no values, only what kind of record, which
    fields, when and from where."""

    id: uuid.UUID
    record: str  # "Patient", "Appointment" …
    table_name: str
    reason: str
    reason_text: str
    fields: tuple[str, ...]  # labels of the fields in conflict
    created_at: datetime
    workstation: str
    concerns_patient: bool
    may_resolve: bool


@dataclass(frozen=True)
class FieldValues:
    """One field of a conflict, as text to show (``"(sealed)"`` for secrets)."""

    name: str
    label: str
    base: str
    local: str
    server: str
    #: The record as this workstation holds it now, when it differs from ``server`` (it
    #: changed again since the conflict).
    now: str | None
    in_conflict: bool  # the two sides want different values
    editable: bool  # may be corrected before re-applying


@dataclass(frozen=True)
class ConflictDetail:
    id: uuid.UUID
    record: str
    table_name: str
    row_id: uuid.UUID
    subject: str | None  # "Lovelace, Ada (MRN 000001)" for a patient's record
    reason: str
    reason_text: str
    detail: str | None
    operation: str
    created_at: datetime
    workstation: str
    fields: tuple[FieldValues, ...]
    choices: tuple[Choice, ...]
    note: str | None  # why some choices are not offered
    may_resolve: bool
    resolution: str | None


@dataclass(frozen=True)
class Resolution:
    conflict_id: uuid.UUID
    resolution: str
    written: tuple[str, ...]  # the fields written onto the record
    reapplied: int  # records made again (the record and the refused rows pointing at it)


# -- reading ----------------------------------------------------------------------------------


def open_conflict_count(session: Session) -> int:
    """How many conflicts wait for a person (for the status bar; no permission needed, no
    PHI)."""
    return int(session.execute(select(func.count()).select_from(_CONFLICTS).where(
        _CONFLICTS.c.resolved_at.is_(None), _CONFLICTS.c.deleted_at.is_(None))).scalar_one())


def open_conflicts(session: Session, actor: Actor, *,
                   limit: int = 500) -> list[ConflictSummary]:
    """The unresolved conflicts, newest first (no values shown, so no PHI read)."""
    require(actor, PERMISSION)
    rows = session.execute(
        select(_CONFLICTS).where(_CONFLICTS.c.resolved_at.is_(None),
                                 _CONFLICTS.c.deleted_at.is_(None))
        .order_by(_CONFLICTS.c.created_at.desc(), _CONFLICTS.c.id.desc()).limit(limit)
    ).mappings().all()
    names = _workstation_names(session)
    return [ConflictSummary(
        id=row["id"], record=record_label(row["table_name"]), table_name=row["table_name"],
        reason=row["reason"], reason_text=REASONS.get(row["reason"], row["reason"]),
        fields=tuple(field_label(name) for name in _shown_fields(row)),
        created_at=row["created_at"], workstation=_workstation(names, row),
        concerns_patient=_patient_column(row["table_name"]) is not None,
        may_resolve=_owner(row["table_name"]) is None or _may_resolve(actor, row["table_name"]),
    ) for row in rows]


def conflict_detail(session: Session, actor: Actor, *,
                    conflict_id: uuid.UUID) -> ConflictDetail:
    """A conflict's fields with the base, this workstation's and the server's values; reading
    a patient's record this way is audited as a PHI read."""
    require(actor, PERMISSION)
    row = _conflict(session, conflict_id)
    table_name = row["table_name"]
    table = _table(table_name)
    current = _current(session, table, row["row_id"])
    patient_id = _patient_of(row, current)
    _may_read(session, actor, patient_id)
    zone = ZoneInfo(actor.seat.clinic_timezone)
    base, local, server = row["base_values"] or {}, row["local_values"] or {}, row["server_values"]
    refused_insert = _refused_insert(row)
    fields = []
    for name in _shown_fields(row):
        column = table.c[name]
        server_text = shown(column, (server or {}).get(name), zone) if server is not None \
            else "(not on the server)"
        now = None
        if current is not None and server is not None and name in current and \
                encode(column, current[name]) != server.get(name):
            now = shown(column, encode(column, current[name]), zone)
        fields.append(FieldValues(
            name=name, label=field_label(name),
            base=shown(column, base.get(name), zone) if row["base_values"] is not None
            else "(new record)",
            local=shown(column, local.get(name), zone), server=server_text, now=now,
            in_conflict=server is None or local.get(name) != server.get(name),
            editable=refused_insert and is_editable(column)))
    choices, note = _choices(row)
    if patient_id is not None:
        trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                     resource_type="patient", resource_id=str(patient_id),
                     patient_id=patient_id, reason="sync conflict review",
                     changes={"conflict": str(conflict_id), "table": table_name})
    return ConflictDetail(
        id=row["id"], record=record_label(table_name), table_name=table_name,
        row_id=row["row_id"], subject=_subject(session, patient_id), reason=row["reason"],
        reason_text=REASONS.get(row["reason"], row["reason"]), detail=row["detail"],
        operation=row["operation"], created_at=row["created_at"],
        workstation=_workstation(_workstation_names(session), row), fields=tuple(fields),
        choices=choices, note=note, may_resolve=_may_resolve(actor, table_name),
        resolution=row["resolution"])


# -- resolving --------------------------------------------------------------------------------


def resolve_conflict(session: Session, actor: Actor, *, conflict_id: uuid.UUID, choice: Choice,
                     fields: Mapping[str, Side] | None = None,
                     edits: Mapping[str, str] | None = None) -> Resolution:
    """Settle a conflict (see the module doc). ``fields``: for ``merged``, each field's side
    (a field not named keeps the server's); ``edits``: for ``reapply``, corrected values as
    typed (a date and time without an offset is the clinic's local time)."""
    require(actor, PERMISSION)
    row = _conflict(session, conflict_id)
    table_name = row["table_name"]
    owner = _owner(table_name)
    if not _may_resolve(actor, table_name):
        raise PermissionDenied(
            owner or "clinic.admin", patient_id=_patient_of(row, None),
            message=f"Only someone who {_OWNER_NAMES.get(owner or '', 'owns this data')} (or a "
                    f"clinic administrator) may settle a conflict of a "
                    f"{record_label(table_name).lower()}.")
    _may_read(session, actor, _patient_of(row, None))
    if row["resolved_at"] is not None:
        raise ConflictResolved(
            "This conflict was settled already (perhaps on another workstation): "
            f"{RESOLUTIONS.get(row['resolution'] or '', 'resolved')}. The list is read again.")
    allowed, note = _choices(row)
    if choice not in allowed:
        raise CannotResolve(f"This choice is not open for this conflict. {note or ''}".strip())
    table = _table(table_name)
    bind_actor(session, actor.user_id)
    names = _fields(row)
    written: tuple[str, ...] = ()
    reapplied = 0
    if choice == "reapply":
        reapplied = _reapply(session, actor, row, table, edits or {})
        resolution = "kept_local"
        written = tuple(names)
    else:
        if choice == "keep_server":
            sides = dict.fromkeys(names, "server")
        elif choice == "keep_local":
            sides = dict.fromkeys(names, "local")
        else:
            unknown = set(fields or {}) - set(names)
            if unknown or any(side not in ("server", "local") for side in (fields or {}).values()):
                raise CannotResolve("Choose the server's or this workstation's value for "
                                    "fields of this conflict only.")
            sides = {name: (fields or {}).get(name, "server") for name in names}
        local_fields = [name for name, side in sides.items() if side == "local"]
        resolution = ("kept_server" if not local_fields else
                      "kept_local" if len(local_fields) == len(names) else "merged")
        written = _write_local(session, actor, row, table, local_fields)
    now = utcnow()
    done = session.execute(
        update(_CONFLICTS).where(_CONFLICTS.c.id == conflict_id,
                                 _CONFLICTS.c.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=actor.user_id, resolution=resolution,
                version=_CONFLICTS.c.version + 1, updated_at=now, updated_by=actor.user_id))
    if done.rowcount != 1:  # settled meanwhile by another unit of work on this database
        raise ConflictResolved("This conflict was settled meanwhile. The list is read again.")
    patient_id = _patient_of(row, _current(session, table, row["row_id"]))
    trail.record(session, seat=actor.seat, actor=actor, action="sync.conflict_resolve",
                 resource_type=table_name, resource_id=str(row["row_id"]),
                 patient_id=patient_id,
                 changes={"conflict": str(conflict_id), "resolution": resolution,
                          "choice": choice, "fields_written": list(written),
                          "reapplied": reapplied})
    return Resolution(conflict_id, resolution, written, reapplied)


def _write_local(session: Session, actor: Actor, row: Mapping[str, Any], table: Table,
                 names: list[str]) -> tuple[str, ...]:
    """This workstation's values of ``names`` onto the record as it stands (version + 1)."""
    if not names:
        return ()
    current = _current(session, table, row["row_id"])
    if current is None:
        raise CannotResolve("This workstation does not hold the record (yet): sync, then "
                            "settle the conflict.")
    local = row["local_values"] or {}
    values = {name: decode(table.c[name], local.get(name)) for name in names}
    changed = {name: value for name, value in values.items() if current[name] != value}
    if not changed:
        return ()
    result = session.execute(
        update(table).where(table.c.id == row["row_id"],
                            table.c.version == current["version"])
        .values(**changed, version=current["version"] + 1, updated_at=utcnow(),
                updated_by=actor.user_id))
    if result.rowcount != 1:
        raise ConflictResolved("The record changed while the conflict was being settled; "
                               "look at it again.")
    if table.name == "patients":
        search_index.reindex(session, [row["row_id"]])
    return tuple(sorted(changed))


def _reapply(session: Session, actor: Actor, row: Mapping[str, Any], table: Table,
             edits: Mapping[str, str]) -> int:
    """Make the refused record again (with ``edits``), then the refused records of the same
    push that point at it; their conflicts are settled with it."""
    zone = ZoneInfo(actor.seat.clinic_timezone)
    errors: dict[str, str] = {}
    corrected: dict[str, Any] = {}
    for name, text in edits.items():
        if name not in table.c or not is_editable(table.c[name]):
            errors[name] = f"{field_label(name)} cannot be changed here."
            continue
        try:
            corrected[name] = parsed(table.c[name], text, zone)
        except ValueError as problem:
            errors[name] = f"{field_label(name)}: {problem}"
    if errors:
        raise ConflictInvalid(errors)
    made = _make_again(session, actor, row, table, corrected)
    now = utcnow()
    for child in _refused_children(session, table.name, row["row_id"]):
        made += _make_again(session, actor, child, _table(child["table_name"]), {})
        session.execute(update(_CONFLICTS).where(_CONFLICTS.c.id == child["id"]).values(
            resolved_at=now, resolved_by=actor.user_id, resolution="kept_local",
            version=_CONFLICTS.c.version + 1, updated_at=now, updated_by=actor.user_id))
    return made


def _make_again(session: Session, actor: Actor, row: Mapping[str, Any], table: Table,
                corrected: Mapping[str, Any]) -> int:
    if _current(session, table, row["row_id"]) is not None:
        raise CannotResolve("This workstation holds the record again already (it was made "
                            "again, or synced back); read the list again.")
    local = row["local_values"] or {}
    values = {name: decode(table.c[name], value) for name, value in local.items()
              if name in table.c and name not in BOOKKEEPING}
    values.update(corrected)
    values.update(id=row["row_id"], version=1, updated_at=utcnow(), updated_by=actor.user_id)
    session.execute(insert(table).values(**values))
    if table.name == "patients":
        search_index.reindex(session, [row["row_id"]])
    return 1


def _refused_children(session: Session, table_name: str,
                      row_id: uuid.UUID) -> list[Mapping[str, Any]]:
    """Open refused inserts whose record points at ``row_id`` of ``table_name``."""
    candidates = session.execute(select(_CONFLICTS).where(
        _CONFLICTS.c.resolved_at.is_(None), _CONFLICTS.c.deleted_at.is_(None),
        _CONFLICTS.c.operation == "insert", _CONFLICTS.c.server_values.is_(None))
        .order_by(_CONFLICTS.c.created_at)).mappings().all()
    children = []
    for candidate in candidates:
        child_table = _table(candidate["table_name"])
        pointers = [key.parent.name for key in child_table.foreign_keys
                    if key.column.table.name == table_name]
        if any((candidate["local_values"] or {}).get(name) == str(row_id) for name in pointers):
            children.append(candidate)
    return children


# -- helpers ----------------------------------------------------------------------------------


def _conflict(session: Session, conflict_id: uuid.UUID) -> Mapping[str, Any]:
    row = session.execute(select(_CONFLICTS).where(
        _CONFLICTS.c.id == conflict_id, _CONFLICTS.c.deleted_at.is_(None))).mappings().first()
    if row is None:
        raise ConflictNotFound("This conflict is not on this workstation.")
    return row


def _table(name: str) -> Table:
    return synced(name).table  # KeyError for a table that does not sync


def _current(session: Session, table: Table, row_id: uuid.UUID) -> Mapping[str, Any] | None:
    return session.execute(select(table).where(table.c.id == row_id)).mappings().first()


def _fields(row: Mapping[str, Any]) -> list[str]:
    table = _table(row["table_name"])
    return [name for name in (row["local_values"] or {})
            if name in table.c and name not in BOOKKEEPING]


def _shown_fields(row: Mapping[str, Any]) -> list[str]:
    """The fields a person is shown: a new record's keys and stamps left out."""
    names = _fields(row)
    if row["operation"] != "insert":
        return names
    local = row["local_values"] or {}
    return [name for name in names if name not in NEVER_EDITED
            and not (name == "deleted_at" and local.get(name) is None)]


def _refused_insert(row: Mapping[str, Any]) -> bool:
    return row["operation"] == "insert" and row["server_values"] is None


def _choices(row: Mapping[str, Any]) -> tuple[tuple[Choice, ...], str | None]:
    if row["reason"] == "signed":
        return ("keep_server",), ("The record is signed: it keeps the server's version. A change "
                                  "to a signed record needs an amendment, written in the chart "
                                  "(not here).")
    if _refused_insert(row):
        return ("keep_server", "reapply"), (
            "The server refused this new record, so it is on no workstation. Keep the server's "
            "state (the record is dropped) or re-apply it, corrected if needed.")
    if row["server_values"] is None:
        return ("keep_server",), ("The server does not have this record any more; the change "
                                  "cannot be kept.")
    return ("keep_server", "keep_local", "merged"), None


def _patient_column(table_name: str) -> str | None:
    if table_name == "patients":
        return "id"
    table = _table(table_name)
    return "patient_id" if "patient_id" in table.c and table_name != "users" else None


def _patient_of(row: Mapping[str, Any], current: Mapping[str, Any] | None) -> uuid.UUID | None:
    column = _patient_column(row["table_name"])
    if column is None:
        return None
    if column == "id":
        return row["row_id"]
    for values in (current, row["local_values"], row["server_values"]):
        if values and values.get(column):
            found = values[column]
            return found if isinstance(found, uuid.UUID) else uuid.UUID(str(found))
    return None


def _may_read(session: Session, actor: Actor, patient_id: uuid.UUID | None) -> None:
    """A restricted record's conflict is read only by whoever may open the record (its care
    team, or after breaking the glass in the chart): the typed refusal otherwise. Other
    records' conflicts are open to every holder of ``sync.resolve``, the administrator too."""
    if patient_id is None:
        return
    patients = _table("patients")
    if session.scalar(select(patients.c.restricted).where(patients.c.id == patient_id)):
        readable_patient(session, actor, patient_id)


def _subject(session: Session, patient_id: uuid.UUID | None) -> str | None:
    if patient_id is None:
        return None
    patients = _table("patients")
    found = session.execute(select(patients.c.last_name, patients.c.first_name, patients.c.mrn)
                            .where(patients.c.id == patient_id)).first()
    if found is None:
        return None
    return f"{found.last_name}, {found.first_name} (MRN {found.mrn})"


def _owner(table_name: str) -> str | None:
    """The permission owning ``table_name``'s data, from the domain package of its model."""
    if table_name == "sync_conflicts":
        return None
    if table_name in ("clinics", "workstations", "roles"):
        return "clinic.admin"
    for mapper in Base.registry.mappers:
        if getattr(mapper, "local_table", None) is metadata.tables.get(table_name):
            parts = mapper.class_.__module__.split(".")
            if len(parts) > 2 and parts[1] == "domain":
                return _OWNERS.get(parts[2], "clinic.admin")
    return "clinic.admin"


def _may_resolve(actor: Actor, table_name: str) -> bool:
    if not actor.can(PERMISSION):
        return False
    owner = _owner(table_name)
    return actor.can("clinic.admin") or owner is None or actor.can(owner)


def _workstation_names(session: Session) -> dict[uuid.UUID, str]:
    workstations = _table("workstations")
    return {row.id: row.name for row in session.execute(
        select(workstations.c.id, workstations.c.name))}


def _workstation(names: Mapping[uuid.UUID, str], row: Mapping[str, Any]) -> str:
    origin = row["origin_workstation_id"]
    if origin is None:
        return "(unknown)"
    return names.get(origin, "(another workstation)")
