"""``medtrack-admin``: set up, migrate, back up and inspect a workstation database, headless.

Exit codes: 0 success, 1 failure (message on stderr), 2 wrong usage. Secrets are never taken
from the command line: passwords come from ``--password-stdin``, the database key from
``MEDTRACK_DB_KEY``/the keyring/the key file, and a key file's passphrase from
``MEDTRACK_DB_PASSPHRASE`` or an interactive prompt.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, inspect, select, table

from medtrack_desktop import __version__
from medtrack_desktop.demo import DEMO_KEY_PASSPHRASE, create_demo_database
from medtrack_desktop.domain.identity.accounts import AccountError, add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import (
    SetupError,
    current_seat,
    initialize_workstation,
)
from medtrack_desktop.store.backup import backup_database, restore_database
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import PassphraseRequired, StoreError
from medtrack_desktop.store.keys import KeyStore, WrappedKey, key_fingerprint
from medtrack_desktop.store.lifecycle import open_workstation_store
from medtrack_desktop.store.migrate import head_revision, schema_status

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
PASSPHRASE_ENV = "MEDTRACK_DB_PASSPHRASE"


class CommandError(Exception):
    """A command cannot do what was asked; the message is printed to stderr."""


# -- secrets ------------------------------------------------------------------------------------


def _ask_secret(prompt: str, *, confirm: bool = False) -> str:
    if not sys.stdin.isatty():
        raise CommandError(f"{prompt.rstrip(': ')} is needed: run interactively.")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != value:
        raise CommandError("The two entries differ.")
    return value


def _db_passphrase(*, new: bool = False) -> str:
    return os.environ.get(PASSPHRASE_ENV) or _ask_secret(
        "Database key passphrase: ", confirm=new
    )


def _stdin_line(what: str) -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CommandError(f"No {what} on standard input.")
    return line


def _load_key(keys: KeyStore, db: Path) -> bytes:
    try:
        return keys.load(db)
    except PassphraseRequired:
        return keys.load(db, passphrase=_db_passphrase())


def _create_key(keys: KeyStore, db: Path, *, passphrase: str | None = None) -> bytes:
    try:
        return keys.create(db, passphrase=passphrase)
    except PassphraseRequired:
        return keys.create(db, passphrase=_db_passphrase(new=True))


def _open(keys: KeyStore, db: Path) -> Store:
    """Open an existing database, upgrading an older schema after a backup."""
    return open_workstation_store(db, _load_key(keys, db), backup_dir=db.parent / "backups")


# -- commands -----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, keys: KeyStore) -> None:
    db: Path = args.db
    if db.exists():
        raise CommandError(f"{db} exists already; init only creates new databases.")
    admin_password = _stdin_line("password") if args.admin_user and args.password_stdin else None
    if args.admin_user and admin_password is None:
        raise CommandError("--admin-user needs --password-stdin (passwords never go on the line).")
    key = _create_key(keys, db)
    store = open_workstation_store(db, key, backup_dir=db.parent / "backups", create=True)
    try:
        with store.session() as session:
            seat = initialize_workstation(
                session,
                clinic_name=args.clinic,
                workstation_name=args.workstation,
                timezone=args.timezone,
            )
            if args.admin_user and admin_password:
                add_user(
                    session, Actor.system(seat), username=args.admin_user, password=admin_password,
                    first_name=args.admin_first, last_name=args.admin_last, roles=("admin",),
                )
    except BaseException:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        raise
    store.close()
    print(f"Created {db} for clinic {seat.clinic_name!r}, workstation {seat.workstation_name!r} "
          f"(key kept in: {keys.source_of(db)}).", file=sys.stderr)


def cmd_migrate(args: argparse.Namespace, keys: KeyStore) -> None:
    store = Store.open(args.db, _load_key(keys, args.db))
    before = schema_status(store.engine)
    store.close()
    _open(keys, args.db).close()
    print(f"Schema {before.current or 'empty'} -> {head_revision()}"
          + (" (backup taken first)" if before.state == "behind" else ""), file=sys.stderr)


def cmd_demo(args: argparse.Namespace, keys: KeyStore) -> None:
    if args.patients < 0:
        raise CommandError("--patients must be 0 or more.")
    key = _create_key(keys, args.db, passphrase=DEMO_KEY_PASSPHRASE if args.demo_passphrase
                      else None)

    def report(done: int, total: int) -> None:
        print(f"\r{done}/{total} patients", end="", file=sys.stderr, flush=True)

    today = datetime.now().astimezone().date()
    summary = create_demo_database(
        args.db, key, patients=args.patients, today=today, progress=report
    )
    print(f"\nDemo clinic {summary.seat.clinic_name!r} with {summary.patients} patients and "
          f"users {', '.join(summary.users)} at {args.db}.", file=sys.stderr)


def cmd_backup(args: argparse.Namespace, keys: KeyStore) -> None:
    key = _load_key(keys, args.db)
    Store.open(args.db, key).close()  # refuse a wrong key or foreign file before writing
    backup_database(args.db, key, args.out)
    print(f"Encrypted backup written to {args.out}.", file=sys.stderr)


def cmd_restore(args: argparse.Namespace, keys: KeyStore) -> None:
    if args.db.exists() and not args.yes:
        raise CommandError(
            f"{args.db} exists: add --yes to replace it (the current file is kept aside)."
        )
    kept = restore_database(args.backup, args.db, _load_key(keys, args.db))
    note = f"; the previous database was kept as {kept}" if kept else ""
    print(f"Restored {args.db} from {args.backup}{note}.", file=sys.stderr)


def cmd_key_export(args: argparse.Namespace, keys: KeyStore) -> None:
    key = _load_key(keys, args.db)
    Store.open(args.db, key).close()
    if args.out.exists():
        raise CommandError(f"{args.out} exists already.")
    passphrase = (_stdin_line("recovery passphrase") if args.passphrase_stdin
                  else _ask_secret("Recovery passphrase: ", confirm=True))
    if len(passphrase) < 12:
        raise CommandError("The recovery passphrase needs at least 12 characters.")
    WrappedKey.wrap(key, passphrase).write(args.out)
    print(f"Recovery copy of key {key_fingerprint(key)} written to {args.out}. Keep it offline, "
          "away from the workstation.", file=sys.stderr)


def cmd_key_import(args: argparse.Namespace, keys: KeyStore) -> None:
    wrapped = WrappedKey.read(args.recovery_file)
    passphrase = (_stdin_line("recovery passphrase") if args.passphrase_stdin
                  else _ask_secret("Recovery passphrase: "))
    key = wrapped.unwrap(passphrase)
    Store.open(args.db, key).close()  # the recovered key must really open this database
    try:
        keys.remember(args.db, key)
    except PassphraseRequired:
        keys.remember(args.db, key, passphrase=_db_passphrase(new=True))
    print(f"Key {key_fingerprint(key)} restored for {args.db} ({keys.source_of(args.db)}).",
          file=sys.stderr)


def cmd_info(args: argparse.Namespace, keys: KeyStore) -> None:
    store = Store.open(args.db, _load_key(keys, args.db))
    try:
        status = schema_status(store.engine)
        with store.read_session() as session:
            names = sorted(inspect(session.connection()).get_table_names())
            counts = {
                name: session.scalar(select(func.count()).select_from(table(name)))
                for name in names
                if name != "alembic_version"
            }
            seat = current_seat(session) if status.state == "current" else None
        cipher = store.cipher_version()
    finally:
        store.close()
    info = {
        "database": str(args.db),
        "size_bytes": args.db.stat().st_size,
        "cipher": cipher,
        "key_source": keys.source_of(args.db),
        "schema_revision": status.current,
        "schema_head": status.head,
        "schema_state": status.state,
        "clinic": seat.clinic_name if seat else None,
        "workstation": seat.workstation_name if seat else None,
        "row_counts": counts,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return
    for name, value in info.items():
        if name != "row_counts":
            print(f"{name:16} {value}")
    for name, count in counts.items():
        print(f"  {name:24} {count}")


# -- parser -------------------------------------------------------------------------------------


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, required=True, metavar="PATH",
                        help="the workstation database file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medtrack-admin",
        description="Administer a MedTrack Desktop workstation database.",
        epilog="Key sources: MEDTRACK_DB_KEY (64 hex), the OS keyring, or <db>.key with its "
        f"passphrase from {PASSPHRASE_ENV} or a prompt.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[..., None], help_text: str,
                parent: argparse._SubParsersAction = commands) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    init = command("init", cmd_init, "Create a new encrypted workstation database for a clinic.")
    _db_option(init)
    init.add_argument("--clinic", required=True, help="the clinic's name")
    init.add_argument("--workstation", help="this workstation's name (default: host name)")
    init.add_argument("--timezone", default="America/Chicago", help="the clinic's IANA time zone")
    init.add_argument("--admin-user", help="also create this administrator account")
    init.add_argument("--admin-first", default="Clinic", help="administrator's first name")
    init.add_argument("--admin-last", default="Administrator", help="administrator's last name")
    init.add_argument("--password-stdin", action="store_true",
                      help="read the administrator's password from standard input")

    migrate = command("migrate", cmd_migrate,
                      "Upgrade a database to this version's schema (after an encrypted backup).")
    _db_option(migrate)

    demo = command("demo", cmd_demo, "Create the demo clinic database with synthetic patients.")
    _db_option(demo)
    demo.add_argument("--patients", type=int, default=200, help="number of patients (default 200)")
    demo.add_argument("--demo-passphrase", action="store_true",
                      help="without an OS keyring, wrap the key with the documented demo "
                      "passphrase instead of asking for one")

    backup = command("backup", cmd_backup, "Write an encrypted copy of the database.")
    _db_option(backup)
    backup.add_argument("out", type=Path, metavar="OUT", help="the backup file to create")

    restore = command("restore", cmd_restore,
                      "Replace the database with a backup (the current file is kept aside).")
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="the backup file")
    _db_option(restore)
    restore.add_argument("--yes", action="store_true", help="replace an existing database")

    key = command("key", lambda *_: None, "Key escrow: recovery copies of the database key.")
    key_commands = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    export = command("export-recovery", cmd_key_export,
                     "Write the key wrapped with a recovery passphrase (admin escrow).",
                     key_commands)
    _db_option(export)
    export.add_argument("--out", type=Path, required=True, help="the recovery file to create")
    export.add_argument("--passphrase-stdin", action="store_true",
                        help="read the recovery passphrase from standard input")
    restore_key = command("import-recovery", cmd_key_import,
                          "Restore a database's key from its recovery copy.", key_commands)
    restore_key.add_argument("recovery_file", type=Path, metavar="FILE")
    _db_option(restore_key)
    restore_key.add_argument("--passphrase-stdin", action="store_true",
                             help="read the recovery passphrase from standard input")

    info = command("info", cmd_info, "Schema revision and row counts (no patient data).")
    _db_option(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None, *, keys: KeyStore | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on wrong usage
    try:
        args.handler(args, keys or KeyStore())
    except (CommandError, StoreError, SetupError, AccountError) as exc:
        print(f"medtrack-admin: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("\nmedtrack-admin: interrupted.", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:
        # An unexpected failure: its text could quote data, so only its kind is shown.
        if os.environ.get("MEDTRACK_DEBUG"):
            raise
        print(f"medtrack-admin: unexpected {type(exc).__name__}; set MEDTRACK_DEBUG=1 for "
              "details.", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
