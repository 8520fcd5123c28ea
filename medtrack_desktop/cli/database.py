"""``medtrack-admin init|migrate|backup|restore|info``: the database file itself."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import func, inspect, select, table

from medtrack_desktop.cli.common import (
    CommandError,
    CommandTree,
    create_key,
    db_option,
    load_key,
    open_store,
    stdin_line,
)
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat, initialize_workstation
from medtrack_desktop.store.backup import backup_database, restore_database
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.lifecycle import open_workstation_store
from medtrack_desktop.store.migrate import head_revision, schema_status


def cmd_init(args: argparse.Namespace, keys: KeyStore) -> None:
    db: Path = args.db
    if db.exists():
        raise CommandError(f"{db} exists already; init only creates new databases.")
    admin_password = stdin_line("password") if args.admin_user and args.password_stdin else None
    if args.admin_user and admin_password is None:
        raise CommandError("--admin-user needs --password-stdin (passwords never go on the line).")
    key = create_key(keys, db)
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
    store = Store.open(args.db, load_key(keys, args.db))
    before = schema_status(store.engine)
    store.close()
    open_store(keys, args.db).close()
    print(f"Schema {before.current or 'empty'} -> {head_revision()}"
          + (" (backup taken first)" if before.state == "behind" else ""), file=sys.stderr)


def cmd_backup(args: argparse.Namespace, keys: KeyStore) -> None:
    key = load_key(keys, args.db)
    Store.open(args.db, key).close()  # refuse a wrong key or foreign file before writing
    backup_database(args.db, key, args.out)
    print(f"Encrypted backup written to {args.out}.", file=sys.stderr)


def cmd_restore(args: argparse.Namespace, keys: KeyStore) -> None:
    if args.db.exists() and not args.yes:
        raise CommandError(
            f"{args.db} exists: add --yes to replace it (the current file is kept aside)."
        )
    kept = restore_database(args.backup, args.db, load_key(keys, args.db))
    note = f"; the previous database was kept as {kept}" if kept else ""
    print(f"Restored {args.db} from {args.backup}{note}.", file=sys.stderr)


def cmd_info(args: argparse.Namespace, keys: KeyStore) -> None:
    store = Store.open(args.db, load_key(keys, args.db))
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


def add_init_and_migrate(tree: CommandTree) -> None:
    init = tree.command("init", cmd_init,
                        "Create a new encrypted workstation database for a clinic.")
    db_option(init)
    init.add_argument("--clinic", required=True, help="the clinic's name")
    init.add_argument("--workstation", help="this workstation's name (default: host name)")
    init.add_argument("--timezone", default="America/Chicago", help="the clinic's IANA time zone")
    init.add_argument("--admin-user", help="also create this administrator account")
    init.add_argument("--admin-first", default="Clinic", help="administrator's first name")
    init.add_argument("--admin-last", default="Administrator", help="administrator's last name")
    init.add_argument("--password-stdin", action="store_true",
                      help="read the administrator's password from standard input")

    migrate = tree.command("migrate", cmd_migrate,
                           "Upgrade a database to this version's schema (after an encrypted "
                           "backup).")
    db_option(migrate)


def add_backup_and_restore(tree: CommandTree) -> None:
    backup = tree.command("backup", cmd_backup, "Write an encrypted copy of the database.")
    db_option(backup)
    backup.add_argument("out", type=Path, metavar="OUT", help="the backup file to create")

    restore = tree.command("restore", cmd_restore,
                           "Replace the database with a backup (the current file is kept aside).")
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="the backup file")
    db_option(restore)
    restore.add_argument("--yes", action="store_true", help="replace an existing database")


def add_info(tree: CommandTree) -> None:
    info = tree.command("info", cmd_info, "Schema revision and row counts (no patient data).")
    db_option(info)
    info.add_argument("--json", action="store_true", help="print JSON")
