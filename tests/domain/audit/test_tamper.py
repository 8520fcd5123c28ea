"""Randomised tampering: every edit, deletion, forged insertion, swap and truncation is found.

The chain is built by the real service in a real encrypted database, then copied into memory so
that a thousand tampered variants can be checked quickly with the same verification code.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

TRIALS = 1200
CHAIN = 40
COLUMNS = [column.key for column in inspect(AuditEntry).columns]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Seat, list[AuditEntry]]:
    store = Store.open(tmp_path_factory.mktemp("chain") / "db", b"\x01" * 32, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Chain", workstation_name="W")
        trail.record_many(session, seat=seat, actor=Actor.system(seat), events=[
            {"action": "patient.read", "resource_type": "patient", "resource_id": str(i),
             "patient_id": uuid.uuid4(), "changes": {"field": i}} for i in range(CHAIN - 1)
        ])
    with store.read_session() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        session.expunge_all()
    store.close()
    assert len(entries) == CHAIN
    return seat, entries


def copy(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [AuditEntry(**{key: getattr(entry, key) for key in COLUMNS}) for entry in entries]


def forged(previous: AuditEntry, seq: int) -> AuditEntry:
    """An entry made by someone who knows the hashing scheme, linked to ``previous``."""
    entry = AuditEntry(**{key: getattr(previous, key) for key in COLUMNS})
    entry.id, entry.seq, entry.action = uuid.uuid4(), seq, "record.delete"
    entry.prev_hash = previous.entry_hash
    entry.entry_hash = trail.entry_hash(entry)
    return entry


def rechain(entries: list[AuditEntry]) -> None:
    """What a careful attacker does after a change: renumber and rehash everything after it."""
    previous = trail.GENESIS_HASH
    for seq, entry in enumerate(entries, start=1):
        entry.seq, entry.prev_hash = seq, previous
        entry.entry_hash = previous = trail.entry_hash(entry)


def edit(rng: random.Random, entry: AuditEntry) -> None:
    field = rng.choice(["action", "username", "reason", "occurred_at", "patient_id", "changes",
                        "outcome", "resource_id", "user_id", "user_role", "resource_type"])
    value = {
        "action": "login", "username": "mallory", "reason": "cover-up",
        "occurred_at": entry.occurred_at + timedelta(seconds=rng.randint(1, 10_000)),
        "patient_id": uuid.uuid4(), "changes": {"field": "other"}, "outcome": "denied",
        "resource_id": "x", "user_id": uuid.uuid4(), "user_role": "admin",
        "resource_type": "image",
    }[field]
    setattr(entry, field, value)


def tamper(rng: random.Random, entries: list[AuditEntry], kind: str) -> None:
    i = rng.randrange(len(entries) - 1)  # any entry but the head (truncation covers the head)
    if kind == "edit":
        edit(rng, entries[i])
    elif kind == "delete":
        del entries[i]
    elif kind == "insert":
        entries.insert(i + 1, forged(entries[i], entries[i].seq + 1))
    elif kind == "swap":
        j = rng.randrange(i + 1, len(entries))
        entries[i], entries[j] = entries[j], entries[i]
    elif kind == "truncate":
        del entries[rng.randrange(1, len(entries)):]
    elif kind == "edit and rechain":
        edit(rng, entries[i])
        rechain(entries)
    elif kind == "delete and rechain":
        del entries[i]
        rechain(entries)


KINDS_FOUND_BY_THE_CHAIN = ["edit", "delete", "insert", "swap"]
KINDS_FOUND_BY_THE_ANCHOR = ["truncate", "edit and rechain", "delete and rechain"]


def test_an_intact_chain_verifies(chain: tuple[Seat, list[AuditEntry]]) -> None:
    seat, entries = chain
    head = entries[-1]
    check = trail.check_entries(seat.workstation_id, copy(entries),
                                anchor=trail.ChainAnchor(seat.workstation_id, head.seq,
                                                         head.entry_hash))
    assert check.intact and check.entries == CHAIN


def test_every_random_tampering_is_found(chain: tuple[Seat, list[AuditEntry]]) -> None:
    seat, entries = chain
    head = entries[-1]
    anchor = trail.ChainAnchor(seat.workstation_id, head.seq, head.entry_hash)
    rng = random.Random(20261125)
    found: dict[str, int] = {}
    for trial in range(TRIALS):
        kind = rng.choice(KINDS_FOUND_BY_THE_CHAIN + KINDS_FOUND_BY_THE_ANCHOR)
        tampered = copy(entries)
        tamper(rng, tampered, kind)
        needs_anchor = kind in KINDS_FOUND_BY_THE_ANCHOR
        check = trail.check_entries(seat.workstation_id, tampered,
                                    anchor=anchor if needs_anchor else None)
        assert not check.intact, f"trial {trial}: {kind} went unnoticed"
        assert check.first_bad_seq is not None
        found[kind] = found.get(kind, 0) + 1
    assert sum(found.values()) == TRIALS
    assert set(found) == set(KINDS_FOUND_BY_THE_CHAIN + KINDS_FOUND_BY_THE_ANCHOR)


def test_truncation_without_an_anchor_is_not_claimed_as_found(
    chain: tuple[Seat, list[AuditEntry]],
) -> None:
    """The honest limit: a cut-off tail looks intact until an anchor is compared."""
    seat, entries = chain
    assert trail.check_entries(seat.workstation_id, copy(entries)[:-3]).intact


def test_ten_thousand_entries_verify_clean_in_a_real_database(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "big.db", b"\x02" * 32, create=True)
    upgrade(store.engine)
    try:
        with store.session() as session:
            seat = initialize_workstation(session, clinic_name="Big", workstation_name="W")
            trail.record_many(session, seat=seat, actor=Actor.system(seat), events=[
                {"action": "patient.read", "resource_type": "patient", "resource_id": str(i)}
                for i in range(9_999)
            ])
        with store.read_session() as session:
            heads = trail.chain_heads(session, Actor.system(seat))
            assert [(h.workstation_id, h.seq) for h in heads] == [(seat.workstation_id, 10_000)]
            checks = trail.verify_trail(session, Actor.system(seat), anchors=heads)
        assert [(c.intact, c.entries) for c in checks] == [(True, 10_000)]
    finally:
        store.close()
