"""``medtrack-admin audit verify|anchor``: the tamper-evident audit trail. Its newest entries
cut off leave an intact chain: an anchor shows it, from a file (``audit anchor``) or from
the clinic server, where each sync round anchors the chain's head (``--server``)."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from medtrack_desktop.cli.common import (
    CommandError,
    CommandTree,
    db_option,
    load_key,
    open_store,
    system_actor,
)
from medtrack_desktop.cli.sync import clinic_server, on_server
from medtrack_desktop.domain.audit.trail import ChainAnchor, chain_heads
from medtrack_desktop.domain.audit.verify_all import verify_database
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.sync.audit_push import anchored_heads
from medtrack_desktop.sync.round import local_identity


def _read_anchors(path: Path) -> list[ChainAnchor]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["anchors"]
        return [ChainAnchor(uuid.UUID(row["workstation_id"]), int(row["seq"]),
                            str(row["entry_hash"])) for row in rows]
    except (OSError, ValueError, KeyError, TypeError):
        raise CommandError(f"{path} is not a MedTrack audit anchor file.") from None


def cmd_audit_anchor(args: argparse.Namespace, keys: KeyStore) -> None:
    """Write every chain head to a file kept away from the workstation (detects a cut tail)."""
    if args.out.exists():
        raise CommandError(f"{args.out} exists already.")
    store = open_store(keys, args.db)
    try:
        with store.read_session() as session:
            heads = chain_heads(session, system_actor(store))
    finally:
        store.close()
    args.out.write_text(json.dumps({
        "format": "medtrack-audit-anchors/1",
        "anchored_at": datetime.now(UTC).isoformat(),
        "anchors": [{"workstation_id": str(h.workstation_id), "seq": h.seq,
                     "entry_hash": h.entry_hash} for h in heads],
    }, indent=2), encoding="utf-8")
    print(f"Anchored {len(heads)} chain head(s) in {args.out}.", file=sys.stderr)


def _server_anchors(store: Store, keys: KeyStore, actor: Actor) -> list[ChainAnchor]:
    """What the clinic server anchored of the chains this database keeps: its own
    workstation's (even if emptied here) and any other held here."""
    anchors: list[ChainAnchor] = []

    def read() -> None:
        with store.read_session() as session:
            own = local_identity(session.connection()).workstation_id
            chains = {head.workstation_id for head in chain_heads(session, actor)}
        server = clinic_server(store, keys)
        try:
            with server.connect() as connection:
                anchors.extend(anchored_heads(connection, chains | ({own} if own else set())))
        finally:
            server.dispose()

    on_server(None, read)
    return anchors


def _newest(anchors: list[ChainAnchor]) -> list[ChainAnchor]:
    """One anchor per chain, its newest (the chain's links vouch for the entries before)."""
    newest: dict[uuid.UUID, ChainAnchor] = {}
    for anchor in anchors:
        if anchor.workstation_id not in newest or anchor.seq > newest[anchor.workstation_id].seq:
            newest[anchor.workstation_id] = anchor
    return list(newest.values())


def cmd_audit_verify(args: argparse.Namespace, keys: KeyStore) -> None:
    anchors = _read_anchors(args.anchor) if args.anchor else []
    key = load_key(keys, args.db)
    store = open_store(keys, args.db, key=key)  # upgrades an older schema first (after a backup)
    try:
        actor = system_actor(store)
        if args.server:
            anchored = _server_anchors(store, keys, actor)
            print(f"The clinic server anchored {len(anchored)} of this database's "
                  "chain(s).", file=sys.stderr)
            anchors = _newest(anchors + anchored)
    finally:
        store.close()
    checks = verify_database(args.db, key, actor, anchors=anchors)
    broken = [check for check in checks if not check.intact]
    for check in checks:
        state = "intact" if check.intact else (
            f"BROKEN at entry {check.first_bad_seq}: {check.problem}")
        print(f"workstation {check.workstation_id}: {check.entries} entries checked, {state}")
    if broken:
        raise CommandError(f"The audit trail of {len(broken)} workstation(s) does not verify.")


def add_audit_commands(tree: CommandTree) -> None:
    audit_commands = tree.group("audit", "The tamper-evident audit trail.")
    verify = tree.command("verify", cmd_audit_verify,
                          "Recompute every workstation's hash chain; exit 1 naming the first "
                          "bad entry.", audit_commands)
    db_option(verify)
    verify.add_argument("--anchor", type=Path, metavar="FILE",
                        help="also check the chain heads recorded by `audit anchor` (finds "
                        "removed newest entries)")
    verify.add_argument("--server", action="store_true",
                        help="also check the chain heads anchored on the clinic server by "
                        "sync (finds removed newest entries)")
    anchor = tree.command("anchor", cmd_audit_anchor,
                          "Write every chain head to a file to keep away from the workstation.",
                          audit_commands)
    db_option(anchor)
    anchor.add_argument("--out", type=Path, required=True, help="the anchor file to create")
