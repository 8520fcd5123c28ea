"""``medtrack-admin key export-recovery|import-recovery``: the administrator's escrow copy of
a database key, wrapped with a recovery passphrase."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medtrack_desktop.cli.common import (
    CommandError,
    CommandTree,
    ask_secret,
    db_option,
    db_passphrase,
    load_key,
    stdin_line,
)
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import PassphraseRequired
from medtrack_desktop.store.keys import KeyStore, WrappedKey, key_fingerprint


def cmd_key_export(args: argparse.Namespace, keys: KeyStore) -> None:
    key = load_key(keys, args.db)
    Store.open(args.db, key).close()
    if args.out.exists():
        raise CommandError(f"{args.out} exists already.")
    passphrase = (stdin_line("recovery passphrase") if args.passphrase_stdin
                  else ask_secret("Recovery passphrase: ", confirm=True))
    if len(passphrase) < 12:
        raise CommandError("The recovery passphrase needs at least 12 characters.")
    WrappedKey.wrap(key, passphrase).write(args.out)
    print(f"Recovery copy of key {key_fingerprint(key)} written to {args.out}. Keep it offline, "
          "away from the workstation.", file=sys.stderr)


def cmd_key_import(args: argparse.Namespace, keys: KeyStore) -> None:
    wrapped = WrappedKey.read(args.recovery_file)
    passphrase = (stdin_line("recovery passphrase") if args.passphrase_stdin
                  else ask_secret("Recovery passphrase: "))
    key = wrapped.unwrap(passphrase)
    Store.open(args.db, key).close()  # the recovered key must really open this database
    try:
        keys.remember(args.db, key)
    except PassphraseRequired:
        keys.remember(args.db, key, passphrase=db_passphrase(new=True))
    print(f"Key {key_fingerprint(key)} restored for {args.db} ({keys.source_of(args.db)}).",
          file=sys.stderr)


def add_key_commands(tree: CommandTree) -> None:
    key_commands = tree.group("key", "Key escrow: recovery copies of the database key.")
    export = tree.command("export-recovery", cmd_key_export,
                          "Write the key wrapped with a recovery passphrase (admin escrow).",
                          key_commands)
    db_option(export)
    export.add_argument("--out", type=Path, required=True, help="the recovery file to create")
    export.add_argument("--passphrase-stdin", action="store_true",
                        help="read the recovery passphrase from standard input")
    restore_key = tree.command("import-recovery", cmd_key_import,
                               "Restore a database's key from its recovery copy.", key_commands)
    restore_key.add_argument("recovery_file", type=Path, metavar="FILE")
    db_option(restore_key)
    restore_key.add_argument("--passphrase-stdin", action="store_true",
                             help="read the recovery passphrase from standard input")
