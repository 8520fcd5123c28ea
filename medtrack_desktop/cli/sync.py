"""``medtrack-admin sync [run]|connect|join|status|export-field-key``: a workstation and its
clinic server, headless.

``connect`` saves where the clinic server is (the login's password in the OS keyring, else
sealed under a passphrase in the database) after a handshake proved the login reaches this
workstation's clinic. ``join`` fills a new workstation database from the server and gives it a
seat (run it again after an interruption: it goes on). ``sync`` (or ``sync run``) runs one
round and prints a one-line summary; ``status`` prints counts and times, never patient data.
``export-field-key`` writes the clinic's field key wrapped with a passphrase, for ``join``.

The server login's password comes from ``--password-stdin``, ``MEDTRACK_SYNC_PASSWORD`` or a
prompt — never the command line. Where no keyring exists, the password is sealed under the
passphrase of ``MEDTRACK_DB_PASSPHRASE`` (or asked for). A field-key file's passphrase comes
from ``MEDTRACK_FIELD_KEY_PASSPHRASE`` or a prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from medtrack_desktop.cli.common import (
    EXIT_USAGE,
    PASSPHRASE_ENV,
    CommandError,
    CommandTree,
    ask_secret,
    create_key,
    db_option,
    open_store,
    stdin_line,
)
from medtrack_desktop.domain.identity.field_keys import field_key_setting
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import PassphraseRequired
from medtrack_desktop.store.keys import KeyStore, WrappedKey, key_fingerprint
from medtrack_desktop.store.lifecycle import open_workstation_store
from medtrack_desktop.sync.connection import (
    PASSWORD_ENV,
    clinic_server_engine,
    open_clinic_server,
    parse_server_url,
    save_server_connection,
    server_url_of,
    shown_url,
)
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.outbox import pending_count
from medtrack_desktop.sync.round import (
    RoundSummary,
    SyncRefused,
    handshake,
    local_identity,
    local_revision,
    sync_round,
)
from medtrack_desktop.sync.status import record_failure, sync_counts

FIELD_KEY_PASSPHRASE_ENV = "MEDTRACK_FIELD_KEY_PASSPHRASE"
UNREACHABLE = "The clinic server could not be reached"
_MIN_PASSPHRASE = 12


# -- secrets ------------------------------------------------------------------------------------


def _login_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return stdin_line("password")
    return os.environ.get(PASSWORD_ENV) or ask_secret("Server login password: ")


def _passphrase(*, new: bool = False) -> str:
    return os.environ.get(PASSPHRASE_ENV) or ask_secret(
        "Passphrase protecting the server password: ", confirm=new)


def _can_ask() -> bool:
    return bool(os.environ.get(PASSPHRASE_ENV)) or sys.stdin.isatty()


def _save(store: Store, url: URL, password: str, keys: KeyStore) -> str:
    """Save the connection; where its password went."""
    address = url.render_as_string(hide_password=True)
    try:
        save_server_connection(store.engine, address, password, keys)
        return "the OS keyring"
    except PassphraseRequired:
        pass
    if not _can_ask() and os.environ.get(PASSWORD_ENV):
        save_server_connection(store.engine, address, password, keys, keep_password=False)
        return f"not kept: no keyring here, it comes from {PASSWORD_ENV}"
    save_server_connection(store.engine, address, password, keys,
                           passphrase=_passphrase(new=True))
    return "the database, sealed under a passphrase (no OS keyring here)"


def clinic_server(store: Store, keys: KeyStore) -> Engine:
    """The clinic server of this workstation (a sealed password's passphrase asked for)."""
    try:
        engine = open_clinic_server(store.engine, keys)
    except PassphraseRequired:
        engine = open_clinic_server(store.engine, keys, passphrase=_passphrase())
    if engine is None:
        raise CommandError("No clinic server is set for this database; run 'medtrack-admin "
                           "sync connect' (or 'sync join' for a new workstation).")
    return engine


# -- failures -----------------------------------------------------------------------------------


def _server_failure(exc: DBAPIError, store: Store | None) -> CommandError:
    """A plain sentence for a server failure. A driver's message can quote a statement's
    parameters (patient data), so only a failed connection's reason (libpq: host, port,
    role) is shown; any other error by its kind."""
    if isinstance(exc, OperationalError):
        reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else ""
        shown = f"{UNREACHABLE} ({reason})." if reason.startswith("connection") else \
            f"{UNREACHABLE} ({type(exc.orig).__name__})."
        recorded = f"{UNREACHABLE}."
    else:
        shown = recorded = f"The clinic server refused the round ({type(exc.orig).__name__})."
    if store is None:
        return CommandError(shown)
    record_failure(store.engine, recorded)
    with store.engine.connect() as connection:
        waiting = pending_count(connection)
    return CommandError(f"{shown} Nothing was lost: {waiting} local change(s) wait for the "
                        "next round.")


def on_server(store: Store | None, work: Callable[[], None]) -> None:
    """Run ``work`` against the server; a refusal or failure becomes a plain sentence (and,
    with ``store``, the workstation's recorded sync failure)."""
    try:
        work()
    except SyncRefused as exc:
        if store is not None:
            record_failure(store.engine, str(exc))
        raise CommandError(str(exc)) from None
    except DBAPIError as exc:
        raise _server_failure(exc, store) from None


def _progress(phase: str, done: int, total: int) -> None:
    print(f"\r{phase}: {done}/{total}   ", end="", file=sys.stderr, flush=True)


def _summary_line(summary: RoundSummary) -> str:
    return (f"pushed {summary.pushed} (applied {summary.applied}, merged {summary.merged}, "
            f"conflicts {summary.conflicts}), pulled {summary.pulled}, "
            f"pending {summary.pending}")


# -- commands -----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, keys: KeyStore) -> None:
    if getattr(args, "db", None) is None:
        args.sync_parser.print_usage(sys.stderr)
        print("medtrack-admin sync: error: the following arguments are required: --db",
              file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    store = open_store(keys, args.db)
    try:
        server = clinic_server(store, keys)
        try:
            summaries: list[RoundSummary] = []
            on_server(store, lambda: summaries.append(sync_round(store.engine, server)))
        finally:
            server.dispose()
        print(_summary_line(summaries[0]))
    finally:
        store.close()


def cmd_connect(args: argparse.Namespace, keys: KeyStore) -> None:
    url = parse_server_url(args.url)
    store = open_store(keys, args.db)
    try:
        with store.engine.connect() as connection:
            try:
                identity = local_identity(connection)
            except SyncRefused:
                raise CommandError("This database belongs to no clinic yet: a new workstation "
                                   "joins with 'medtrack-admin sync join'.") from None
            revision = local_revision(connection)
        password = _login_password(args)
        server = clinic_server_engine(url, password)

        def check() -> None:
            with server.connect() as connection:
                handshake(connection, revision=revision, clinic_id=identity.clinic_id)

        try:
            on_server(None, check)
        finally:
            server.dispose()
        where = _save(store, url, password, keys)
        print(f"This workstation syncs with {shown_url(url)} (password: {where}).",
              file=sys.stderr)
    finally:
        store.close()


def cmd_join(args: argparse.Namespace, keys: KeyStore) -> None:
    url = parse_server_url(args.url)
    field_key = _read_field_key(args.field_key_file) if args.field_key_file else None
    db: Path = args.db
    if db.exists():
        store = open_store(keys, db)
    else:
        key = create_key(keys, db)
        store = open_workstation_store(db, key, backup_dir=db.parent / "backups", create=True)
    try:
        settings = _local_settings(store)
        if field_key is None and not args.no_field_key and not any(
                name.startswith("field_key:") for name in settings):
            raise CommandError(
                "The clinic's field key is needed (SSNs and member ids are sealed with it): "
                "export it on a workstation of the clinic with 'medtrack-admin sync "
                "export-field-key' and give it with --field-key-file (or, knowingly, "
                "--no-field-key).")
        password = _login_password(args)
        server = clinic_server_engine(url, password)
        try:
            if settings.get("workstation_id"):
                # Seated already: an earlier join stopped in its first round; finish it.
                on_server(store, lambda: _finish(store, server, field_key))
            else:
                on_server(store, lambda: _join(store, server, args.name, field_key))
        finally:
            print(file=sys.stderr)  # end the progress line
            server.dispose()
        where = _save(store, url, password, keys)
        print(f"Joined: this workstation syncs with {shown_url(url)} (password: {where}).",
              file=sys.stderr)
    finally:
        store.close()


def _join(store: Store, server: Engine, name: str | None, field_key: bytes | None) -> None:
    join_clinic(store.engine, server, workstation_name=name, field_key=field_key,
                progress=_progress)


def _finish(store: Store, server: Engine, field_key: bytes | None) -> None:
    if field_key is not None:
        with store.engine.connect() as connection:
            clinic_id = local_identity(connection).clinic_id
        with store.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO local_settings (key, value) VALUES (:key, :value) "
                "ON CONFLICT (key) DO NOTHING"),
                {"key": field_key_setting(clinic_id), "value": field_key.hex()})
    sync_round(store.engine, server, progress=_progress)


def _local_settings(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        return {str(key): str(value) for key, value in connection.execute(
            text("SELECT key, value FROM local_settings")).all()}


def _read_field_key(path: Path) -> bytes:
    wrapped = WrappedKey.read(path)
    passphrase = os.environ.get(FIELD_KEY_PASSPHRASE_ENV) or ask_secret(
        "Field key file passphrase: ")
    return wrapped.unwrap(passphrase)


def cmd_status(args: argparse.Namespace, keys: KeyStore) -> None:
    store = open_store(keys, args.db)
    try:
        url = server_url_of(store.engine)
        counts = sync_counts(store.engine)
    finally:
        store.close()

    def when(value: object) -> str:
        return f"{value:%Y-%m-%d %H:%M:%S %Z}" if value is not None else "never"

    print(f"server: {shown_url(url) if url else 'not set'}")
    print(f"pending: {counts.pending}")
    print(f"cursor: {counts.cursor}")
    print(f"last success: {when(counts.last_success_at)}")
    print(f"last attempt: {when(counts.last_attempt_at)}")
    print(f"last error: {counts.last_error or 'none'}")
    print(f"open conflicts: {counts.open_conflicts}")


def cmd_export_field_key(args: argparse.Namespace, keys: KeyStore) -> None:
    if args.out.exists():
        raise CommandError(f"{args.out} exists already.")
    store = open_store(keys, args.db)
    try:
        with store.engine.connect() as connection:
            try:
                clinic_id = local_identity(connection).clinic_id
            except SyncRefused as exc:
                raise CommandError(str(exc)) from None
            value = connection.execute(
                text("SELECT value FROM local_settings WHERE key = :key"),
                {"key": field_key_setting(clinic_id)}).scalar()
    finally:
        store.close()
    if not value:
        raise CommandError("This workstation holds no field key of its clinic.")
    key = bytes.fromhex(str(value))
    passphrase = (stdin_line("passphrase") if args.passphrase_stdin
                  else os.environ.get(FIELD_KEY_PASSPHRASE_ENV)
                  or ask_secret("Passphrase for the field key file: ", confirm=True))
    if len(passphrase) < _MIN_PASSPHRASE:
        raise CommandError(f"The passphrase needs at least {_MIN_PASSPHRASE} characters.")
    WrappedKey.wrap(key, passphrase).write(args.out)
    print(f"Field key {key_fingerprint(key)} written to {args.out}, wrapped with the "
          "passphrase. Hand it to the joining workstation and delete it afterwards.",
          file=sys.stderr)


# -- parser -------------------------------------------------------------------------------------


def _url_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, metavar="URL",
                        help="the workstation login's postgresql://ROLE@HOST[:PORT]/DB"
                        "[?sslmode=…], without its password")
    parser.add_argument("--password-stdin", action="store_true",
                        help=f"read the login's password from standard input (else "
                        f"{PASSWORD_ENV}, else a prompt)")


def add_sync_commands(tree: CommandTree) -> None:
    help_text = ("Sync this workstation with its clinic server: one round (sync --db PATH), "
                 "or connect, join, status, export-field-key.")
    sync = tree.command("sync", cmd_run, help_text)
    # Not required: ``sync --db PATH`` alone runs a round (SUPPRESS: an action's own --db is
    # not overwritten by this one's absence).
    sync.add_argument("--db", type=Path, metavar="PATH", default=argparse.SUPPRESS,
                      help="the workstation database file (runs one round)")
    sync.set_defaults(sync_parser=sync)
    actions = sync.add_subparsers(dest="sync_command", metavar="ACTION")
    run = tree.command("run", cmd_run, "Run one sync round and print a one-line summary.",
                       actions)
    db_option(run)
    connect = tree.command("connect", cmd_connect,
                           "Save this workstation's clinic server after checking (handshake) "
                           "that the login reaches this workstation's clinic.", actions)
    db_option(connect)
    _url_options(connect)
    join = tree.command("join", cmd_join,
                        "Make (if missing) a workstation database and fill it from the clinic "
                        "server, with a seat of its own; run again after an interruption to "
                        "go on.", actions)
    db_option(join)
    _url_options(join)
    join.add_argument("--name", metavar="NAME", help="this workstation's name (default: the "
                      "host name)")
    join.add_argument("--field-key-file", type=Path, metavar="FILE",
                      help="the clinic's field key from 'sync export-field-key' (its "
                      f"passphrase from {FIELD_KEY_PASSPHRASE_ENV} or a prompt)")
    join.add_argument("--no-field-key", action="store_true",
                      help="join without the field key: SSNs and member ids stay unreadable "
                      "here")
    status = tree.command("status", cmd_status,
                          "Show pending changes, the pull cursor, the last success and error, "
                          "and open conflicts (no patient data).", actions)
    db_option(status)
    export = tree.command("export-field-key", cmd_export_field_key,
                          "Write the clinic's field key wrapped with a passphrase, for a "
                          "joining workstation (never in clear on disk).", actions)
    db_option(export)
    export.add_argument("out", type=Path, metavar="OUT", help="the file to create")
    export.add_argument("--passphrase-stdin", action="store_true",
                        help=f"read the passphrase from standard input (else "
                        f"{FIELD_KEY_PASSPHRASE_ENV}, else a prompt)")
