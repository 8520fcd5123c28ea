"""The hash-chained audit trail: intact chains verify, every kind of tampering is located.

Tampering is done the way an attacker with the file and its key would: raw SQL, after dropping
the append-only triggers.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.models import Workstation
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store

ENTRIES = 6  # workstation.initialize + 5 recorded below


@dataclass(frozen=True)
class Trail:
    store: Store
    seat: Seat

    @property
    def ws(self) -> str:
        """The workstation id as SQLite stores it (CHAR(32) hex)."""
        return self.seat.workstation_id.hex

    def check(self) -> trail.ChainCheck:
        with self.store.read_session() as session:
            return trail.verify_chain(session, self.seat.workstation_id)

    def tamper(self, *statements: str, **params: object) -> None:
        """Run raw SQL as an attacker: append-only triggers dropped first."""
        with self.store.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
            for statement in statements:
                connection.execute(text(statement), {"ws": self.ws, **params})

    def row(self, seq: int) -> AuditEntry:
        """One entry of this workstation's chain, as stored (detached)."""
        with self.store.read_session() as session:
            return session.execute(
                select(AuditEntry).where(
                    AuditEntry.workstation_id == self.seat.workstation_id, AuditEntry.seq == seq
                )
            ).scalar_one()


@pytest.fixture
def chain(store: Store) -> Iterator[Trail]:
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Audit Clinic", workstation_name="WS")
        actor = Actor.system(seat)
        trail.record(session, seat=seat, actor=actor, action="chart.open",
                     patient_id=uuid.UUID(int=7), resource_type="patient", resource_id="p-7")
        trail.record(session, seat=seat, actor=None, username="mallory", action="login",
                     outcome="failure")
    with store.session() as session:
        trail.record_many(
            session,
            seat=seat,
            actor=actor,
            events=[
                {"action": "patient.update", "changes": {"last_name": ["Nunez", "Núñez"]}},
                {"action": "chart.print", "reason": "referral", "patient_id": uuid.UUID(int=7)},
                {"action": "permission.denied", "outcome": "denied"},
            ],
        )
    yield Trail(store, seat)


def test_an_untouched_chain_verifies(chain: Trail) -> None:
    check = chain.check()
    assert check.intact
    assert (check.entries, check.first_bad_seq, check.problem) == (ENTRIES, None, None)


def test_entries_are_numbered_and_linked(chain: Trail) -> None:
    with chain.store.read_session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [row.seq for row in rows] == list(range(1, ENTRIES + 1))
    assert rows[0].prev_hash == trail.GENESIS_HASH
    for previous, entry in itertools.pairwise(rows):
        assert entry.prev_hash == previous.entry_hash
    assert all(row.entry_hash == trail.entry_hash(row) for row in rows)
    assert len({row.entry_hash for row in rows}) == ENTRIES
    assert [row.action for row in rows] == [
        "workstation.initialize", "chart.open", "login", "patient.update", "chart.print",
        "permission.denied",
    ]
    assert rows[2].username == "mallory" and rows[2].user_id is None
    assert rows[3].changes == {"last_name": ["Nunez", "Núñez"]}


def test_the_triggers_refuse_update_and_delete(chain: Trail) -> None:
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log WHERE seq = 6"):
        with pytest.raises(DBAPIError, match="append-only"), chain.store.engine.begin() as c:
            c.exec_driver_sql(statement)
    assert chain.check().intact


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "chart.close"),
        ("outcome", "failure"),
        ("username", "someone.else"),
        ("user_role", "physician"),
        ("reason", "no reason"),
        ("resource_id", "p-8"),
        ("patient_id", uuid.UUID(int=8).hex),
        ("occurred_at", "2020-01-01 00:00:00.000000"),
        ("changes", '{"last_name": ["Nunez", "Nunez"]}'),
        ("resource_type", "user"),
        ("user_id", uuid.UUID(int=9).hex),
    ],
)
def test_an_edited_field_is_found_at_its_entry(chain: Trail, column: str, value: str) -> None:
    chain.tamper(
        f"UPDATE audit_log SET {column} = :value WHERE workstation_id = :ws AND seq = 4",
        value=value,
    )
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (4, "entry content does not match its hash")
    assert check.entries == 4


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain: Trail) -> None:
    entry = chain.row(3)
    entry.username = "alice"
    forged_hash = trail.entry_hash(entry)
    chain.tamper(
        "UPDATE audit_log SET username = 'alice', entry_hash = :h "
        "WHERE workstation_id = :ws AND seq = 3",
        h=forged_hash,
    )
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (4, "link to the previous entry is broken")


def test_a_removed_entry_is_found_where_the_gap_is(chain: Trail) -> None:
    chain.tamper("DELETE FROM audit_log WHERE workstation_id = :ws AND seq = 3")
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (4, "sequence gap: expected 3, found 4")


def test_a_removed_entry_with_renumbering_breaks_the_link(chain: Trail) -> None:
    chain.tamper(
        "DELETE FROM audit_log WHERE workstation_id = :ws AND seq = 3",
        "UPDATE audit_log SET seq = -seq WHERE workstation_id = :ws AND seq > 3",
        "UPDATE audit_log SET seq = -seq - 1 WHERE workstation_id = :ws AND seq < 0",
    )
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (3, "link to the previous entry is broken")
    assert check.entries == 3


def test_removing_the_first_entry_is_found(chain: Trail) -> None:
    chain.tamper("DELETE FROM audit_log WHERE workstation_id = :ws AND seq = 1")
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (2, "sequence gap: expected 1, found 2")


def test_reordered_entries_are_found(chain: Trail) -> None:
    chain.tamper(
        "UPDATE audit_log SET seq = 1000 WHERE workstation_id = :ws AND seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE workstation_id = :ws AND seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE workstation_id = :ws AND seq = 1000",
    )
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (4, "link to the previous entry is broken")


def _forged(chain: Trail, *, seq: int, prev_hash: str, action: str) -> AuditEntry:
    entry = AuditEntry(
        id=uuid.uuid4(),
        clinic_id=chain.seat.clinic_id,
        workstation_id=chain.seat.workstation_id,
        seq=seq,
        occurred_at=utcnow(),
        username="mallory",
        action=action,
        outcome="success",
        prev_hash=prev_hash,
    )
    entry.entry_hash = trail.entry_hash(entry)
    return entry


def test_a_forged_entry_appended_with_a_wrong_hash_is_found(chain: Trail) -> None:
    """INSERT is allowed by the triggers; the chain is what catches a forged entry."""
    last = chain.row(ENTRIES)
    forged = _forged(chain, seq=ENTRIES + 1, prev_hash=last.entry_hash, action="chart.open")
    forged.entry_hash = "f" * 64
    with chain.store.session() as session:
        session.add(forged)
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (
        ENTRIES + 1, "entry content does not match its hash"
    )


def test_a_forged_entry_inserted_in_the_middle_is_found_after_it(chain: Trail) -> None:
    """Even with a self-consistent hash, the entry after the forgery no longer links."""
    before = chain.row(2)
    forged = _forged(chain, seq=3, prev_hash=before.entry_hash, action="patient.merge")
    chain.tamper(
        "UPDATE audit_log SET seq = -seq WHERE workstation_id = :ws AND seq >= 3",
        "UPDATE audit_log SET seq = -seq + 1 WHERE workstation_id = :ws AND seq < 0",
    )
    with chain.store.session() as session:
        session.add(forged)
    check = chain.check()
    assert (check.first_bad_seq, check.problem) == (4, "link to the previous entry is broken")


def test_chains_are_per_workstation(chain: Trail) -> None:
    with chain.store.session() as session:
        other = Workstation(clinic_id=chain.seat.clinic_id, name="Front desk")
        session.add(other)
        session.flush()
        other_seat = Seat(chain.seat.clinic_id, chain.seat.clinic_name, other.id, other.name)
        for action in ("login", "patient.read"):
            trail.record(session, seat=other_seat, actor=Actor.system(other_seat), action=action)
    with chain.store.session() as session:
        trail.record(session, seat=chain.seat, actor=Actor.system(chain.seat), action="logout")

    with chain.store.read_session() as session:
        other_check = trail.verify_chain(session, other_seat.workstation_id)
        other_rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.workstation_id == other_seat.workstation_id)
            .order_by(AuditEntry.seq)
        ).all()
    assert (other_check.intact, other_check.entries) == (True, 2)
    assert [(row.seq, row.action) for row in other_rows] == [(1, "login"), (2, "patient.read")]
    assert other_rows[0].prev_hash == trail.GENESIS_HASH
    assert chain.check().entries == ENTRIES + 1 and chain.check().intact

    chain.tamper(
        "UPDATE audit_log SET action = 'forged' WHERE workstation_id = :other AND seq = 2",
        other=other_seat.workstation_id.hex,
    )
    assert chain.check().intact
    with chain.store.read_session() as session:
        assert trail.verify_chain(session, other_seat.workstation_id).first_bad_seq == 2


def test_verifying_an_unknown_workstation_finds_no_entries(chain: Trail) -> None:
    with chain.store.read_session() as session:
        check = trail.verify_chain(session, uuid.uuid4())
    assert (check.entries, check.intact) == (0, True)
