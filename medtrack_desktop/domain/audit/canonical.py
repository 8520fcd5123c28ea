"""The canonical form an audit entry's hash covers: JSON with sorted keys, no whitespace, UTF-8,
non-ASCII kept (``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).

``stored_entry_hash`` writes that form by hand, in the one key order ``sort_keys`` gives, because
verification hashes millions of entries; tests hold it to ``canonical_json`` on random values.
The values come in their text form (UUIDs dashed, times in ISO 8601 with their offset), the same
whether they were just written or read back from SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from hashlib import sha256
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def uuid_text(value: uuid.UUID | str | None) -> str | None:
    """A UUID as ``str(uuid)`` gives it, from a UUID or from SQLite's 32-digit hex."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(value))


def time_text(value: datetime | str) -> str:
    """A UTC instant as ``datetime.isoformat`` gives it, from a datetime or from SQLite's
    stored ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC, no offset)."""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat()
    text = value.replace(" ", "T", 1)
    if text.endswith(".000000"):
        text = text[:-7]
    return f"{text}+00:00"


def json_value(value: Any) -> Any:
    """A JSON column as stored: SQLite gives its text, PostgreSQL the parsed value."""
    return json.loads(value) if isinstance(value, str) else value


_QUOTED: dict[Any, str] = {}  # the few ids every entry repeats: clinic, workstation, users


def _quoted_uuid(value: Any) -> str:
    """A repeating UUID (SQLite hex or UUID) as a JSON string, remembered."""
    quoted = _QUOTED.get(value)
    if quoted is None:
        quoted = f'"{uuid_text(value)}"'
        if len(_QUOTED) < 10_000:
            _QUOTED[value] = quoted
    return quoted


def stored_entry_hash(row: tuple[Any, ...], _enc: Any = encode_basestring) -> str:
    """``entry_hash`` of a raw driver row in ``STORED_COLUMNS`` order (SQLite's text or
    PostgreSQL's types, or the Python values being written), written out flat: verification
    runs it over millions of rows; tests hold it to ``canonical_json`` on every kind of value."""
    (id_, clinic_id, workstation_id, seq, occurred_at, user_id, username, user_role, action,
     outcome, resource_type, resource_id, patient_id, reason, changes, prev_hash) = row[:16]
    if isinstance(id_, str) and len(id_) == 32:  # SQLite: 32 hex digits, stored UTC text
        uid = f'"{id_[:8]}-{id_[8:12]}-{id_[12:16]}-{id_[16:20]}-{id_[20:]}"'
        patient = None if patient_id is None else (
            f'"{patient_id[:8]}-{patient_id[8:12]}-{patient_id[12:16]}-{patient_id[16:20]}-'
            f'{patient_id[20:]}"')
        cid, wid = _quoted_uuid(clinic_id), _quoted_uuid(workstation_id)
        user = None if user_id is None else _quoted_uuid(user_id)
        at = occurred_at.replace(" ", "T", 1)
        at = f'"{at[:-7] if at.endswith(".000000") else at}+00:00"'
    else:
        uid, cid, wid, user, patient = (
            None if v is None else f'"{uuid_text(v)}"'
            for v in (id_, clinic_id, workstation_id, user_id, patient_id))
        at = _enc(time_text(occurred_at))
    changes_json = ("null" if changes is None or changes == "null"
                    else canonical_json(json_value(changes)).decode("utf-8"))
    text = (
        f'{{"action":{_enc(action)},"changes":{changes_json},"clinic_id":{cid},"id":{uid},'
        f'"occurred_at":{at},"outcome":{_enc(outcome)},"patient_id":{patient or "null"},'
        f'"prev_hash":{_enc(prev_hash)},'
        f'"reason":{"null" if reason is None else _enc(reason)},'
        f'"resource_id":{"null" if resource_id is None else _enc(resource_id)},'
        f'"resource_type":{"null" if resource_type is None else _enc(resource_type)},'
        f'"seq":{seq:d},"user_id":{user or "null"},'
        f'"user_role":{"null" if user_role is None else _enc(user_role)},'
        f'"username":{"null" if username is None else _enc(username)},'
        f'"workstation_id":{wid}}}'
    )
    return sha256(text.encode("utf-8")).hexdigest()


STORED_COLUMNS = ("id", "clinic_id", "workstation_id", "seq", "occurred_at", "user_id",
                  "username", "user_role", "action", "outcome", "resource_type", "resource_id",
                  "patient_id", "reason", "changes", "prev_hash")
