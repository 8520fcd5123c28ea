"""Verifying a whole database's audit trail on every core.

A long chain is cut into stretches that worker processes check apart, each over its own
connection to the encrypted file; the stretches are then joined: each must begin where the one
before it ended, with the link to that entry's hash. Short chains are checked in one go here
(starting a process costs more than it saves).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import func, select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.audit.trail import (
    GENESIS_HASH,
    ChainAnchor,
    ChainCheck,
    ChainWalk,
    finish_check,
    stored_links,
    walk_links,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.store.engine import Store

SPLIT_AT = 200_000  # entries; a shorter chain is checked in one process

Stretch = tuple[uuid.UUID, int, int | None]  # workstation, first seq, last seq (None: to the end)


def _walk(store: Store, stretch: Stretch, anchor: ChainAnchor | None) -> ChainWalk:
    workstation_id, first, last = stretch
    with store.read_session() as session:
        return walk_links(stored_links(session, workstation_id, first_seq=first, last_seq=last),
                          first_seq=first, first_prev=GENESIS_HASH if first == 1 else None,
                          anchor=anchor)


def _walk_in_worker(path: str, key: bytes, stretch: Stretch,
                    anchor: ChainAnchor | None) -> ChainWalk:
    store = Store.open(Path(path), key)
    try:
        return _walk(store, stretch, anchor)
    finally:
        store.close()


def join_walks(stretches: list[Stretch], walks: list[ChainWalk]) -> ChainWalk:
    """One walk of a chain from the walks of its consecutive stretches (see module doc)."""
    count, last_seq, last_hash = 0, 0, GENESIS_HASH
    for (_workstation, first, last), walk in zip(stretches, walks, strict=True):
        if walk.count and first > 1 and walk.first_prev != last_hash:
            return ChainWalk(count + 1, None, last_seq, last_hash, first,
                             "link to the previous entry is broken")
        if walk.problem is not None:
            return ChainWalk(count + walk.count, None, walk.last_seq, walk.last_hash,
                             walk.bad_seq, walk.problem)
        if walk.count:
            count, last_seq, last_hash = count + walk.count, walk.last_seq, walk.last_hash
        if last is not None and last_seq != last:
            return ChainWalk(count + 1, None, last_seq, last_hash, last_seq + 1,
                             f"sequence gap: expected {last_seq + 1}, found a later entry")
    return ChainWalk(count, GENESIS_HASH, last_seq, last_hash)


def _plan(workstation_id: uuid.UUID, newest: int, workers: int) -> list[Stretch]:
    if workers <= 1 or newest < SPLIT_AT:
        return [(workstation_id, 1, None)]
    size = -(-newest // workers)
    bounds = [(1 + i * size, (i + 1) * size) for i in range(workers)]
    return [(workstation_id, lo, hi if i < workers - 1 else None)
            for i, (lo, hi) in enumerate(bounds)]


def verify_database(
    path: Path, key: bytes, actor: Actor, *, anchors: Iterable[ChainAnchor] = (),
    workers: int | None = None,
) -> list[ChainCheck]:
    """Every workstation chain in the database at ``path`` (and every anchored one, even if
    emptied), checked on ``workers`` processes (default: every core)."""
    require(actor, "audit.read")
    workers = workers or os.cpu_count() or 1
    by_workstation = {anchor.workstation_id: anchor for anchor in anchors}
    store = Store.open(path, key)
    try:
        with store.read_session() as session:
            newest = dict(session.execute(
                select(AuditEntry.workstation_id, func.max(AuditEntry.seq))
                .group_by(AuditEntry.workstation_id)).all())
        plans = {wid: _plan(wid, newest.get(wid, 0), workers)
                 for wid in sorted(newest.keys() | by_workstation.keys())}
        if all(len(plan) == 1 for plan in plans.values()):
            walks = {wid: [_walk(store, plan[0], by_workstation.get(wid))]
                     for wid, plan in plans.items()}
        else:
            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=get_context("spawn")) as pool:
                futures = {wid: [pool.submit(_walk_in_worker, str(path), key, stretch,
                                             by_workstation.get(wid)) for stretch in plan]
                           for wid, plan in plans.items()}
                walks = {wid: [future.result() for future in done]
                         for wid, done in futures.items()}
    finally:
        store.close()
    return [finish_check(wid, join_walks(plans[wid], walks[wid]), by_workstation.get(wid))
            for wid in plans]
