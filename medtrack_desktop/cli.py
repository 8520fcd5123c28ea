"""``medtrack-admin``: set up, migrate, back up and inspect a workstation database, headless.

Exit codes: 0 success, 1 failure (message on stderr), 2 wrong usage. Secrets are never taken
from the command line: passwords come from ``--password-stdin``, the database key from
``MEDTRACK_DB_KEY``/the keyring/the key file, and a key file's passphrase from
``MEDTRACK_DB_PASSPHRASE`` or an interactive prompt.
"""

from __future__ import annotations

import argparse
import codecs
import getpass
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select, table

from medtrack_desktop import __version__
from medtrack_desktop.demo import DEMO_KEY_PASSPHRASE, create_demo_database
from medtrack_desktop.domain.audit.trail import ChainAnchor, chain_heads
from medtrack_desktop.domain.audit.verify_all import verify_database
from medtrack_desktop.domain.identity.accounts import (
    AccountError,
    add_user,
    list_users,
    reset_password,
    set_active,
    set_roles,
    unlock_user,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.clinic_policy import (
    LIMITS,
    security_policy,
    set_security_policy,
)
from medtrack_desktop.domain.identity.mfa import reset_mfa, set_role_mfa_required
from medtrack_desktop.domain.identity.models import ROLE_NAMES
from medtrack_desktop.domain.identity.policy import PasswordRejected
from medtrack_desktop.domain.identity.workstation import (
    SetupError,
    current_seat,
    initialize_workstation,
)
from medtrack_desktop.domain.patients import registry_settings as registry
from medtrack_desktop.domain.patients.access import (
    PatientNotFound,
    patient_id_for_mrn,
    set_privacy,
)
from medtrack_desktop.domain.patients.csv_import import (
    FIELDS,
    ImportFileError,
    ImportPlan,
    ImportRefused,
    apply_import,
    decoded_lines,
    plan_import,
)
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.domain.patients.search_index import ensure_current as ensure_search_index
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


def _open(keys: KeyStore, db: Path, *, key: bytes | None = None) -> Store:
    """Open an existing database, upgrading an older schema after a backup."""
    key = key if key is not None else _load_key(keys, db)
    store = open_workstation_store(db, key, backup_dir=db.parent / "backups")
    with store.session() as session:
        ensure_search_index(session)
    return store


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


def _system_actor(store: Store) -> Actor:
    with store.read_session() as session:
        seat = current_seat(session)
    if seat is None:
        raise CommandError("This database is not set up for a clinic; run init first.")
    return Actor.system(seat)


def _clinic_today(actor: Actor) -> date:
    return datetime.now(ZoneInfo(actor.seat.clinic_timezone)).date()


def cmd_user(args: argparse.Namespace, keys: KeyStore) -> None:
    """User administration as the local administrator (who holds the database key)."""
    store = _open(keys, args.db)
    try:
        actor = _system_actor(store)
        with store.session() as session:
            if args.user_command == "add":
                info = add_user(
                    session, actor, username=args.username, password=_stdin_line("password"),
                    first_name=args.first, last_name=args.last, roles=tuple(args.role),
                    email=args.email, npi=args.npi, dea_number=args.dea,
                    license_number=args.license_number, license_state=args.license_state,
                )
                print(f"Added user {info.username!r} ({', '.join(info.roles)}).", file=sys.stderr)
            elif args.user_command == "list":
                for user in list_users(session, actor):
                    flags = [flag for flag, on in (("disabled", not user.is_active),
                             ("locked", user.locked),
                             ("must change password", user.must_change_password)) if on]
                    print(f"{user.username:20} {user.display_name:30} {','.join(user.roles):30} "
                          f"{' '.join(flags)}".rstrip())
            elif args.user_command in ("disable", "enable"):
                set_active(session, actor, username=args.username,
                           active=args.user_command == "enable")
            elif args.user_command == "unlock":
                unlock_user(session, actor, username=args.username)
            elif args.user_command == "reset-password":
                reset_password(session, actor, username=args.username,
                               new_password=_stdin_line("password"))
                print("Password reset; it must be changed at the next log-in.", file=sys.stderr)
            elif args.user_command == "roles":
                info = set_roles(session, actor, username=args.username, roles=tuple(args.role))
                print(f"{info.username}: {', '.join(info.roles)}", file=sys.stderr)
            elif args.user_command == "require-mfa":
                set_role_mfa_required(session, actor, role=args.role, required=not args.off)
                print(f"Role {args.role!r}: two-step sign-in "
                      f"{'no longer required' if args.off else 'required'}.", file=sys.stderr)
            elif args.user_command == "reset-mfa":
                reset_mfa(session, actor, username=args.username)
                print("Two-step sign-in reset; the user enrols again if a role requires it.",
                      file=sys.stderr)
    finally:
        store.close()


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
    store = _open(keys, args.db)
    try:
        with store.read_session() as session:
            heads = chain_heads(session, _system_actor(store))
    finally:
        store.close()
    args.out.write_text(json.dumps({
        "format": "medtrack-audit-anchors/1",
        "anchored_at": datetime.now(UTC).isoformat(),
        "anchors": [{"workstation_id": str(h.workstation_id), "seq": h.seq,
                     "entry_hash": h.entry_hash} for h in heads],
    }, indent=2), encoding="utf-8")
    print(f"Anchored {len(heads)} chain head(s) in {args.out}.", file=sys.stderr)


def cmd_audit_verify(args: argparse.Namespace, keys: KeyStore) -> None:
    anchors = _read_anchors(args.anchor) if args.anchor else []
    key = _load_key(keys, args.db)
    store = _open(keys, args.db, key=key)  # upgrades an older schema first (after a backup)
    try:
        actor = _system_actor(store)
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


def _clinic_settings(
    args: argparse.Namespace, keys: KeyStore, *, read: Callable[..., Any],
    change: Callable[..., Any], changes: dict[str, Any], unset: str,
) -> None:
    """Show a group of clinic settings (``unset`` for a None), changing those given first."""
    store = _open(keys, args.db)
    try:
        actor = _system_actor(store)
        with store.session() as session:
            settings = (change(session, actor, changes=changes) if changes
                        else read(session, actor))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    for name, value in asdict(settings).items():
        print(f"{name} = {unset if value is None else value}")


def cmd_clinic_policy(args: argparse.Namespace, keys: KeyStore) -> None:
    """Show the clinic's security settings, changing those given first."""
    changes: dict[str, Any] = {
        name: getattr(args, name) for name in LIMITS if getattr(args, name) is not None
    }
    if changes.get("password_max_age_days") == 0:
        changes["password_max_age_days"] = None  # 0: passwords do not expire
    _clinic_settings(args, keys, read=security_policy, change=set_security_policy,
                     changes=changes, unset="never")


def cmd_clinic_registry(args: argparse.Namespace, keys: KeyStore) -> None:
    """Show the MRN format and the retention rule, changing those given first."""
    changes = {name: getattr(args, name) for name in registry.SETTINGS
               if getattr(args, name) is not None}
    _clinic_settings(args, keys, read=registry.registry_settings,
                     change=registry.set_registry_settings, changes=changes, unset="(used up)")


def cmd_patient_restrict(args: argparse.Namespace, keys: KeyStore) -> None:
    """Restrict a record to its care team (or lift it); everyone else breaks the glass."""
    store = _open(keys, args.db)
    try:
        actor = _system_actor(store)
        with store.session() as session:
            patient_id = patient_id_for_mrn(session, actor, mrn=args.mrn)
            team = set_privacy(session, actor, patient_id=patient_id, restricted=not args.off,
                               care_team=tuple(args.care_team or ()))
    except (PatientNotFound, ValueError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    state = "no longer restricted" if args.off else "restricted"
    print(f"MRN {args.mrn}: {state}; care team: {', '.join(team) or 'nobody'}.",
          file=sys.stderr)


def cmd_patients_search(args: argparse.Namespace, keys: KeyStore) -> None:
    """The search box's ranked matches, one per line (the search is audited)."""
    store = _open(keys, args.db)
    try:
        actor = _system_actor(store)
        with store.session() as session:
            matches = search_patients(session, actor, query=" ".join(args.query),
                                      today=_clinic_today(actor), limit=args.limit)
    finally:
        store.close()
    if not matches:
        print("No patient matches.", file=sys.stderr)
        return
    lines = [("MRN", "NAME", "DOB", "SEX", "MATCHED")] + [
        (m.mrn, m.display_name, m.date_of_birth.isoformat(), m.sex,
         " ".join([m.matched_on, *(["restricted"] if m.restricted else []),
                   *(["deceased"] if m.deceased else [])]))
        for m in matches]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False))
              + "  " + line[4])


def _print_import_report(plan: ImportPlan, *, imported: int | None) -> None:
    header_of = {name: header for header, name in plan.columns if name}

    def where(line: int, name: str) -> str:
        return f"line {line}" + (f" ({header_of[name]})" if name in header_of else "")

    print(f"{plan.rows_read} row(s) read; columns: "
          + ", ".join(f"{header} -> {name}" for header, name in plan.columns if name)
          + (f"; ignored: {', '.join(plan.ignored)}" if plan.ignored else ""))
    for title, issues in (("Errors", plan.errors), ("Warnings", plan.warnings)):
        if issues:
            print(f"{title} ({len(issues)}):")
            for issue in issues:
                print(f"  {where(issue.line, issue.field)}: {issue.message}")
    if plan.duplicates:
        print(f"Likely duplicates ({len(plan.duplicates)}):")
        for duplicate in plan.duplicates:
            found = duplicate.patient
            other = (f"MRN {found.mrn} {found.display_name} ({found.date_of_birth})" if found
                     else f"line {duplicate.other_line} of the file")
            print(f"  line {duplicate.line} is like {other}: {'; '.join(duplicate.reasons)}")
    if imported is not None:
        print(f"Imported {imported} patient(s).")
    elif not plan.errors:
        print(f"Would import {len(plan.records)} patient(s) (dry run: nothing written).")


def cmd_patients_import(args: argparse.Namespace, keys: KeyStore) -> None:
    """Plan the import of a patient list, print the report, and import it unless there is
    an error or it is a dry run (all or nothing)."""
    try:
        raw = args.file.open("rb")
    except OSError as exc:
        raise CommandError(f"Cannot read {args.file}: {exc.strerror or exc}.") from None
    with raw:
        store = _open(keys, args.db)
        try:
            actor = _system_actor(store)
            with store.session() as session:
                plan = plan_import(session, actor, lines=decoded_lines(raw, encoding=args.encoding),
                                   mapping=dict(args.map or ()), today=_clinic_today(actor))
                imported = (apply_import(session, actor, plan=plan)
                            if not plan.errors and not args.dry_run else None)
        except (ImportFileError, ImportRefused) as exc:
            raise CommandError(f"{args.file}: {exc} Nothing was imported.") from None
        finally:
            store.close()
    _print_import_report(plan, imported=imported)
    if plan.errors:
        raise CommandError(f"{len(plan.errors)} error(s) in {args.file}; nothing was imported.")


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


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _column_field(text: str) -> tuple[str, str]:
    column, equals, name = text.rpartition("=")
    if not equals or not column:
        raise argparse.ArgumentTypeError(f"{text!r} is not COLUMN=FIELD")
    return column, name


def _encoding(text: str) -> str:
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a known encoding") from None


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
                parent: argparse._SubParsersAction = commands,
                aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, description=help_text, aliases=aliases)
        sub.set_defaults(handler=handler)
        return sub

    def group(name: str, help_text: str, aliases: Sequence[str] = ()) -> argparse._SubParsersAction:
        """A command made of actions (``medtrack-admin user add …``)."""
        parent = command(name, lambda *_: None, help_text, aliases=aliases)
        return parent.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")

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

    key_commands = group("key", "Key escrow: recovery copies of the database key.")
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

    user_commands = group("user", "User administration (users are never deleted).")
    add = command("add", cmd_user, "Create a user; the password is read from standard input.",
                  user_commands)
    _db_option(add)
    add.add_argument("username")
    add.add_argument("--first", required=True, help="first name")
    add.add_argument("--last", required=True, help="last name")
    add.add_argument("--role", action="append", required=True, choices=ROLE_NAMES,
                     help="a role (repeat for several)")
    add.add_argument("--email")
    add.add_argument("--npi", help="National Provider Identifier")
    add.add_argument("--dea", help="DEA registration number")
    add.add_argument("--license-number")
    add.add_argument("--license-state")
    add.add_argument("--password-stdin", action="store_true", required=True,
                     help="read the password from standard input (required)")
    _db_option(command("list", cmd_user, "List the clinic's users with their roles and state.",
                       user_commands))
    for name, help_text in (("disable", "Disable a user (they can no longer log in)."),
                            ("enable", "Enable a disabled user again."),
                            ("unlock", "Lift a lockout after failed log-ins.")):
        sub = command(name, cmd_user, help_text, user_commands)
        _db_option(sub)
        sub.add_argument("username")
    reset = command("reset-password", cmd_user,
                    "Set a temporary password (read from standard input) that must be changed.",
                    user_commands)
    _db_option(reset)
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", required=True,
                       help="read the password from standard input (required)")
    roles = command("roles", cmd_user, "Replace a user's roles.", user_commands)
    _db_option(roles)
    roles.add_argument("username")
    roles.add_argument("--role", action="append", required=True, choices=ROLE_NAMES,
                       help="a role (repeat for several)")
    require_mfa = command("require-mfa", cmd_user,
                          "Require two-step sign-in (TOTP) of everyone holding a role.",
                          user_commands)
    _db_option(require_mfa)
    require_mfa.add_argument("--role", required=True, choices=ROLE_NAMES, help="the role")
    require_mfa.add_argument("--off", action="store_true",
                             help="stop requiring it (users who enrolled keep it on)")
    reset_mfa_cmd = command("reset-mfa", cmd_user,
                            "Turn a user's two-step sign-in off, forgetting the authenticator "
                            "key and recovery codes (lost or new phone).", user_commands)
    _db_option(reset_mfa_cmd)
    reset_mfa_cmd.add_argument("username")

    audit_commands = group("audit", "The tamper-evident audit trail.")
    verify = command("verify", cmd_audit_verify,
                     "Recompute every workstation's hash chain; exit 1 naming the first bad "
                     "entry.", audit_commands)
    _db_option(verify)
    verify.add_argument("--anchor", type=Path, metavar="FILE",
                        help="also check the chain heads recorded by `audit anchor` (finds "
                        "removed newest entries)")
    anchor = command("anchor", cmd_audit_anchor,
                     "Write every chain head to a file to keep away from the workstation.",
                     audit_commands)
    _db_option(anchor)
    anchor.add_argument("--out", type=Path, required=True, help="the anchor file to create")

    clinic_commands = group("clinic", "Clinic settings.")
    policy = command("policy", cmd_clinic_policy,
                     "Show the security settings (password, lockout, idle lock), changing the "
                     "ones given.", clinic_commands)
    _db_option(policy)
    for name, (low, high) in LIMITS.items():
        policy.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int,
                            metavar="N", help=f"from {low} to {high}"
                            + ("; 0: passwords never expire" if "age" in name else ""))

    settings = command("registry", cmd_clinic_registry,
                       "Show the MRN format and the record retention rule, changing the ones "
                       "given (new MRNs take the new format).", clinic_commands)
    _db_option(settings)
    settings.add_argument("--mrn-prefix", metavar="TEXT",
                          help='letters and digits put before new MRNs, at most 8 ("" for none)')
    for flag, name, what in (("--mrn-digits", "mrn_digits", "digits of the MRN number"),
                             ("--retention-years", "retention_years",
                              "years a record is kept after the last treatment"),
                             ("--minor-until-age", "retention_minor_until_age",
                              "a minor's record is kept at least until this age")):
        low, high = registry.LIMITS[name]
        settings.add_argument(flag, dest=name, type=int, metavar="N",
                              help=f"{what}, from {low} to {high}")

    patient_commands = group("patients", "Patient records: search, import, privacy.",
                             aliases=("patient",))
    search = command("search", cmd_patients_search,
                     "Print the patients the search box finds for QUERY, best first (name "
                     "parts in any order, DOB, MRN, phone, SSN or its last 4).",
                     patient_commands)
    _db_option(search)
    search.add_argument("query", nargs="+", metavar="QUERY", help="what would be typed")
    search.add_argument("--limit", type=_positive, default=25, metavar="N",
                        help="at most N matches (default 25)")
    import_csv = command("import-csv", cmd_patients_import,
                         "Import a practice's patient list (CSV with a header row): print a "
                         "report of errors and likely duplicates, and write nothing if there "
                         "is any error.", patient_commands)
    _db_option(import_csv)
    import_csv.add_argument("file", type=Path, metavar="FILE", help="the CSV file")
    import_csv.add_argument("--map", action="append", type=_column_field,
                            metavar="COLUMN=FIELD",
                            help="read COLUMN as FIELD (COLUMN= ignores it); repeat for "
                            f"several. Fields: {', '.join(FIELDS)}")
    import_csv.add_argument("--dry-run", action="store_true",
                            help="only check the file and report; never write")
    import_csv.add_argument("--encoding", type=_encoding, default="utf-8",
                            help="the file's text encoding (default utf-8; e.g. cp1252)")
    restrict = command("restrict", cmd_patient_restrict,
                       "Restrict a record to its care team; anyone else must give a reason "
                       "to open it (break the glass).", patient_commands)
    _db_option(restrict)
    restrict.add_argument("--mrn", required=True, help="the patient's MRN")
    restrict.add_argument("--care-team", action="append", metavar="USER",
                          help="a user who opens it as usual (repeat for several)")
    restrict.add_argument("--off", action="store_true", help="lift the restriction")

    info = command("info", cmd_info, "Schema revision and row counts (no patient data).")
    _db_option(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None, *, keys: KeyStore | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on wrong usage
    try:
        args.handler(args, keys or KeyStore())
    except (CommandError, StoreError, SetupError, AccountError, PasswordRejected) as exc:
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
