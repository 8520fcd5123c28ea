"""Verifying a chain in stretches (on several processes) finds what verifying it whole finds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_tamper import (
    KINDS_FOUND_BY_THE_ANCHOR,
    KINDS_FOUND_BY_THE_CHAIN,
    chain,  # noqa: F401  (a fixture)
    copy,
    tamper,
)

from medtrack_desktop.domain.audit import trail, verify_all
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

TRIALS = 600


def in_stretches(seat: Seat, entries: list[AuditEntry], cuts: list[int],
                 anchor: trail.ChainAnchor | None) -> trail.ChainCheck:
    """What verify_database does, in memory: walk each seq stretch apart, then join. Entries
    stay in list order (the stored order), as ``check_entries`` takes them."""
    bounds = [1, *cuts]
    stretches = [(seat.workstation_id, lo, (bounds[i + 1] - 1) if i + 1 < len(bounds) else None)
                 for i, lo in enumerate(bounds)]
    walks = []
    for _wid, lo, hi in stretches:
        links = [(e.seq, e.prev_hash, e.entry_hash, trail.entry_hash(e)) for e in entries
                 if e.seq >= lo and (hi is None or e.seq <= hi)]
        walks.append(trail.walk_links(links, first_seq=lo,
                                      first_prev=trail.GENESIS_HASH if lo == 1 else None,
                                      anchor=anchor))
    return trail.finish_check(seat.workstation_id, verify_all.join_walks(stretches, walks),
                              anchor)


def test_stretches_of_an_intact_chain_join_clean(chain) -> None:  # noqa: F811
    seat, entries = chain
    for cuts in ([], [2], [20], [5, 6, 30], [40]):
        check = in_stretches(seat, copy(entries), cuts, None)
        assert check.intact and check.entries == len(entries), cuts


def test_tampering_is_found_whatever_the_cuts(chain) -> None:  # noqa: F811
    seat, entries = chain
    head = entries[-1]
    anchor = trail.ChainAnchor(seat.workstation_id, head.seq, head.entry_hash)
    rng = random.Random(20261126)
    for trial in range(TRIALS):
        kind = rng.choice(KINDS_FOUND_BY_THE_CHAIN + KINDS_FOUND_BY_THE_ANCHOR)
        tampered = copy(entries)
        tamper(rng, tampered, kind)
        cuts = sorted(rng.sample(range(2, len(entries) + 1), rng.randint(1, 3)))
        needs_anchor = kind in KINDS_FOUND_BY_THE_ANCHOR
        whole = trail.check_entries(seat.workstation_id, tampered,
                                    anchor=anchor if needs_anchor else None)
        split = in_stretches(seat, tampered, cuts, anchor if needs_anchor else None)
        assert not whole.intact and not split.intact, f"trial {trial}: {kind} at cuts {cuts}"


def test_a_long_chain_is_verified_by_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_all, "SPLIT_AT", 100)  # planning happens in this process
    key = b"\x04" * 32
    store = Store.open(tmp_path / "long.db", key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Long", workstation_name="W")
        trail.record_many(session, seat=seat, actor=Actor.system(seat), events=[
            {"action": "patient.open", "resource_id": str(i)} for i in range(2_999)])
    with store.read_session() as session:
        heads = trail.chain_heads(session, Actor.system(seat))
    store.close()
    system = Actor.system(seat)
    checks = verify_all.verify_database(tmp_path / "long.db", key, system, anchors=heads,
                                        workers=3)
    assert [(c.workstation_id, c.intact, c.entries) for c in checks] == [
        (seat.workstation_id, True, 3_000)]
    future = trail.ChainAnchor(seat.workstation_id, 3_005, heads[0].entry_hash)
    [cut] = verify_all.verify_database(tmp_path / "long.db", key, system, anchors=[future],
                                       workers=2)
    assert not cut.intact and cut.first_bad_seq == 3_001 and "missing" in (cut.problem or "")


def test_verifying_a_database_needs_audit_read(tmp_path: Path) -> None:
    key = b"\x05" * 32
    store = Store.open(tmp_path / "a.db", key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="A", workstation_name="W")
    store.close()
    nurse = Actor(user_id=None, username="nurse", display_name="N", roles=("nurse",),
                  permissions=frozenset({"chart.read"}), seat=seat)
    with pytest.raises(PermissionDenied):
        verify_all.verify_database(tmp_path / "a.db", key, nurse)
