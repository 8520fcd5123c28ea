"""The hand-written canonical form is exactly ``json.dumps(sort_keys=True, ...)``, from Python
values, from SQLite's stored text and from rows read back through the real encrypted store."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.canonical import (
    STORED_COLUMNS,
    canonical_json,
    stored_entry_hash,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

texts = st.text(max_size=40)  # every code point: quotes, backslashes, controls, accents, emoji
maybe_text = st.none() | texts
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
                        timezones=st.just(UTC))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
entries = st.fixed_dictionaries({
    "id": st.uuids(), "clinic_id": st.uuids(), "workstation_id": st.uuids(),
    "seq": st.integers(1, 10**12), "occurred_at": instants,
    "user_id": st.none() | st.uuids(), "username": maybe_text, "user_role": maybe_text,
    "action": texts, "outcome": texts, "resource_type": maybe_text, "resource_id": maybe_text,
    "patient_id": st.none() | st.uuids(), "reason": maybe_text,
    "changes": st.none() | st.dictionaries(texts, json_values, max_size=4),
    "prev_hash": st.text("0123456789abcdef", min_size=64, max_size=64),
})


def reference_hash(entry: dict[str, object]) -> str:
    """The definition: canonical JSON of the text forms, SHA-256."""
    as_text = {
        key: (str(value) if isinstance(value, uuid.UUID)
              else value.isoformat() if isinstance(value, datetime) else value)
        for key, value in entry.items()
    }
    return hashlib.sha256(canonical_json(as_text)).hexdigest()


def as_sqlite_stores_it(entry: dict[str, object]) -> tuple[object, ...]:
    def stored(key: str, value: object) -> object:
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if key == "changes":
            return json.dumps(value)  # SQLAlchemy's JSON type: not sorted, with spaces
        return value

    return tuple(stored(key, entry[key]) for key in STORED_COLUMNS)


@settings(max_examples=400, deadline=None)
@given(entries)
def test_python_values_and_sqlite_text_hash_as_the_definition(entry: dict[str, object]) -> None:
    expected = reference_hash(entry)
    assert stored_entry_hash(tuple(entry[key] for key in STORED_COLUMNS)) == expected
    assert stored_entry_hash(as_sqlite_stores_it(entry)) == expected


def test_whole_seconds_drop_the_fraction_as_isoformat_does() -> None:
    at = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    entry = {key: None for key in STORED_COLUMNS} | {
        "id": uuid.uuid4(), "clinic_id": uuid.uuid4(), "workstation_id": uuid.uuid4(),
        "seq": 1, "occurred_at": at, "action": "login", "outcome": "success",
        "prev_hash": trail.GENESIS_HASH}
    assert at.isoformat() == "2026-11-26T09:30:00+00:00"
    assert stored_entry_hash(as_sqlite_stores_it(entry)) == reference_hash(entry)


def test_rows_read_back_from_the_encrypted_store_verify(tmp_path: Path) -> None:
    """Written with odd values through the service, read back raw, hashed the same."""
    store = Store.open(tmp_path / "c.db", b"\x03" * 32, create=True)
    upgrade(store.engine)
    try:
        with store.session() as session:
            seat = initialize_workstation(session, clinic_name="Ça va", workstation_name="W")
            trail.record_many(session, seat=seat, actor=Actor.system(seat), events=[
                {"action": "patient.open", "reason": 'quote " back\\slash \n tab\t é 😀',
                 "changes": {"z": 1, "a": [None, True, "ü"]}, "patient_id": uuid.uuid4()},
                {"action": "login", "outcome": "failure", "reason": "\x00\x1f\x7f"},
            ])
        with store.read_session() as session:
            rows = session.execute(text(f"SELECT {', '.join(STORED_COLUMNS)}, entry_hash "
                                        "FROM audit_log ORDER BY seq")).all()
            check = trail.verify_chain(session, seat.workstation_id)
        assert check.intact and check.entries == 3
        assert all(stored_entry_hash(tuple(row)) == row[16] for row in rows)
        assert isinstance(rows[0][0], str) and len(rows[0][0]) == 32, "read raw, as stored"
    finally:
        store.close()


def test_a_microsecond_edit_is_a_different_hash() -> None:
    entry = {key: None for key in STORED_COLUMNS} | {
        "id": uuid.uuid4(), "clinic_id": uuid.uuid4(), "workstation_id": uuid.uuid4(),
        "seq": 7, "occurred_at": datetime(2026, 1, 1, tzinfo=UTC), "action": "login",
        "outcome": "success", "prev_hash": trail.GENESIS_HASH}
    moved = entry | {"occurred_at": entry["occurred_at"] + timedelta(microseconds=1)}
    assert stored_entry_hash(as_sqlite_stores_it(entry)) != stored_entry_hash(
        as_sqlite_stores_it(moved))
