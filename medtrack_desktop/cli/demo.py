"""``medtrack-admin demo``: the demo clinic with synthetic patients, at any size."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from medtrack_desktop.cli.common import CommandError, CommandTree, create_key, db_option
from medtrack_desktop.config import DEMO_KEY_PASSPHRASE
from medtrack_desktop.demo import create_demo_database
from medtrack_desktop.store.keys import KeyStore


def cmd_demo(args: argparse.Namespace, keys: KeyStore) -> None:
    if args.patients < 0:
        raise CommandError("--patients must be 0 or more.")
    key = create_key(keys, args.db, passphrase=DEMO_KEY_PASSPHRASE if args.demo_passphrase
                     else None)

    def report(done: int, total: int) -> None:
        print(f"\r{done}/{total} patients", end="", file=sys.stderr, flush=True)

    today = datetime.now().astimezone().date()
    summary = create_demo_database(
        args.db, key, patients=args.patients, today=today, progress=report
    )
    print(f"\nDemo clinic {summary.seat.clinic_name!r} with {summary.patients} patients and "
          f"users {', '.join(summary.users)} at {args.db}.", file=sys.stderr)


def add_demo(tree: CommandTree) -> None:
    demo = tree.command("demo", cmd_demo,
                        "Create the demo clinic database with synthetic patients.")
    db_option(demo)
    demo.add_argument("--patients", type=int, default=200,
                      help="number of patients (default 200)")
    demo.add_argument("--demo-passphrase", action="store_true",
                      help="without an OS keyring, wrap the key with the documented demo "
                      "passphrase instead of asking for one")
