"""``medtrack-admin server init|add-clinic|add-workstation|revoke-workstation|list-workstations|
demo``: set up the clinic's PostgreSQL server and the logins of its workstations.

``init`` migrates the database to this version's head and (again, safely) makes the
workstations' group role, its grants and the row-level security per clinic
(``medtrack_desktop.sync.server_setup``), and with ``--clinic NAME`` registers the clinic and
prints its id. ``add-workstation`` makes a login for one workstation of one clinic and prints
its connection settings on standard output, once: the server keeps only a SCRAM verifier of
the password. ``revoke-workstation`` shuts a login out and ends its sessions. ``add-clinic``
registers a clinic a workstation made (``medtrack-admin init``), with the same id, so that the
workstation's first sync round pushes the rest. ``demo`` starts a throwaway local server with
two demo workstations that sync through it (``medtrack_desktop.sync.demo_server``).

The administrator's URL (``--url postgresql://ADMIN@HOST/DB``) may carry its password; else it
comes from ``MEDTRACK_SERVER_PASSWORD`` or, with ``--password-stdin``, a line of standard input.
It is never printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from medtrack_desktop.cli.common import CommandError, CommandTree, open_store, stdin_line
from medtrack_desktop.config import DEMO_KEY_PASSPHRASE, ConfigError, load_settings
from medtrack_desktop.demo import DEMO_PASSWORD, DEMO_STAFF
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.round import SyncRefused, local_identity
from medtrack_desktop.sync.server_setup import (
    ServerSetupError,
    add_workstation,
    adopt_clinic,
    list_workstations,
    prepare_server,
    revoke_workstation,
    workstation_name,
)

if TYPE_CHECKING:
    from medtrack_desktop.sync.demo_server import DemoClinic

PASSWORD_ENV = "MEDTRACK_SERVER_PASSWORD"


def _engine(args: argparse.Namespace) -> Engine:
    """The administrator's engine, connected once so a refusal is reported plainly."""
    try:
        url = make_url(args.url)
    except ArgumentError:
        raise CommandError("--url is not a database URL (postgresql://ADMIN@HOST/DB).") from None
    if url.get_backend_name() != "postgresql":
        raise CommandError("--url must be a PostgreSQL URL (postgresql://ADMIN@HOST/DB).")
    if not url.database:
        raise CommandError("--url must name the clinic's database (postgresql://…/DB).")
    if args.password_stdin:
        url = url.set(password=stdin_line("password"))
    elif url.password is None and os.environ.get(PASSWORD_ENV):
        url = url.set(password=os.environ[PASSWORD_ENV])
    engine = open_server_engine(url.render_as_string(hide_password=False))
    try:
        engine.connect().close()
    except OperationalError as exc:
        engine.dispose()
        # libpq's reason (host, role, 'password authentication failed'): never the password.
        reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else "refused"
        raise CommandError(f"Cannot connect to the clinic server: {reason}") from None
    return engine


def _run_on_server(args: argparse.Namespace,
                   action: Callable[[argparse.Namespace, Engine], None]) -> None:
    engine = _engine(args)
    try:
        action(args, engine)
    except ServerSetupError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()


def _init(args: argparse.Namespace, engine: Engine) -> None:
    setup = prepare_server(engine, clinic_name=args.clinic, timezone=args.timezone)
    print(f"Database {setup.database} is at this version's schema; workstations' role "
          f"{setup.group_role}: {len(setup.shared_tables)} tables under row-level security "
          f"({len(setup.append_only_tables)} append-only), "
          f"{len(setup.private_tables)} kept from workstations "
          f"({', '.join(setup.private_tables) or 'none'}).", file=sys.stderr)
    if setup.clinic_id is not None:
        state = "registered" if setup.clinic_created else "already registered"
        print(f"Clinic {state}; its id:", file=sys.stderr)
        print(setup.clinic_id)


def _add_clinic(args: argparse.Namespace, engine: Engine) -> None:
    store = open_store(args.keys, args.from_db)
    try:
        with store.engine.connect() as connection:
            try:
                clinic_id = local_identity(connection).clinic_id
            except SyncRefused as exc:
                raise CommandError(str(exc)) from None
            clinic = connection.execute(select(Clinic.__table__).where(
                Clinic.id == clinic_id)).mappings().one()
    finally:
        store.close()
    created = adopt_clinic(engine, dict(clinic))
    state = "registered" if created else "already registered"
    print(f"Clinic {state}; its id (for add-workstation --clinic):", file=sys.stderr)
    print(clinic_id)


def _add(args: argparse.Namespace, engine: Engine) -> None:
    login = add_workstation(engine, clinic_id=args.clinic, name=args.name)
    print(f"Workstation {login.name} may connect. Its password is shown this once: keep these "
          "settings for the workstation now.", file=sys.stderr)
    settings = {"host": login.host or "", "port": login.port or "", "database": login.database,
                "role": login.role, "password": login.password}
    for key, value in settings.items():
        print(f"{key}={value}")


def _revoke(args: argparse.Namespace, engine: Engine) -> None:
    ended = revoke_workstation(engine, args.name)
    sessions = (f"{ended} open session(s) ended" if ended is not None else
                "its open sessions could not be ended without pg_signal_backend, but they "
                "can read and write nothing any more")
    print(f"Workstation {workstation_name(args.name)} can no longer connect ({sessions}).",
          file=sys.stderr)


def _list(args: argparse.Namespace, engine: Engine) -> None:
    entries = list_workstations(engine)
    if not entries:
        print("No workstations.", file=sys.stderr)
    for entry in entries:
        state = (f"revoked {entry.revoked_at:%Y-%m-%d %H:%M %Z}" if entry.revoked_at
                 else "active")
        print(f"{entry.name}\t{entry.role}\t{entry.clinic_id}\t"
              f"{entry.created_at:%Y-%m-%d %H:%M %Z}\t{state}")


def cmd_init(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _init)


def cmd_add_clinic(args: argparse.Namespace, keys: KeyStore) -> None:
    args.keys = keys
    _run_on_server(args, _add_clinic)


def cmd_add_workstation(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _add)


def cmd_revoke_workstation(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _revoke)


def cmd_list_workstations(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _list)


def cmd_demo(args: argparse.Namespace, keys: KeyStore) -> None:
    # Imported here: pgserver and the demo builder serve this command only.
    from medtrack_desktop.sync.demo_server import (
        build_demo_clinic,
        demo_directory,
        start_demo_server,
        stop_demo_server,
    )

    if args.patients < 0:
        raise CommandError("--patients must be 0 or more.")
    try:
        directory = demo_directory(load_settings().data_dir)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    if args.fresh and directory.exists():
        shutil.rmtree(directory)
        print(f"Removed the earlier sync demo ({directory}).", file=sys.stderr)
    print(f"Starting the demo clinic server in {directory / 'server'}…", file=sys.stderr)
    server = start_demo_server(directory)
    try:
        clinic = build_demo_clinic(
            server.get_uri(), directory, keys, patients=args.patients,
            today=datetime.now().astimezone().date(),
            say=lambda message: print(message, file=sys.stderr))
        _print_demo(clinic, keys)
        print("The demo clinic server runs until Ctrl+C.", file=sys.stderr, flush=True)
        _wait_for_stop()
        print("\nStopping the demo clinic server…", file=sys.stderr)
    finally:
        stop_demo_server(server)


def _wait_for_stop() -> None:
    """Until Ctrl+C or SIGTERM (a service manager, ``kill``): either ends the demo cleanly.
    SIGINT is honoured even where the shell started us with it ignored (``&``)."""
    stop = threading.Event()
    handlers = {number: signal.signal(number, lambda *_: stop.set())
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def _print_demo(clinic: DemoClinic, keys: KeyStore) -> None:
    passphrase = "" if keys.keyring_available() else \
        f"MEDTRACK_DB_PASSPHRASE={DEMO_KEY_PASSPHRASE} "
    print(f"\n{clinic.clinic_name}: two workstations in step through the demo server.")
    for workstation in clinic.workstations:
        print(f"\nWorkstation {workstation.name} ({workstation.login}):")
        print(f"  start the app:  medtrack-desktop --db '{workstation.path}'")
        print(f"  sync it:        {passphrase}medtrack-admin sync --db '{workstation.path}'")
    users = ", ".join(staff[0] for staff in DEMO_STAFF)
    print(f"\nSign in as {users} with the password {DEMO_PASSWORD}.")
    if passphrase:
        print(f"No OS keyring here: the databases' key files and the sync passwords open with "
              f"the demo passphrase {DEMO_KEY_PASSPHRASE}.")
    print(flush=True)


# -- parser -------------------------------------------------------------------------------------


def _clinic_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a clinic id (a UUID)") from None


def _url_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, metavar="URL",
                        help="the administrator's postgresql://ADMIN@HOST/DB (its password "
                        f"here, in {PASSWORD_ENV}, or with --password-stdin)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the administrator's password from standard input")


def add_server_commands(tree: CommandTree) -> None:
    group = tree.group("server", "Set up the clinic's PostgreSQL server and its workstations' "
                       "logins.")
    init = tree.command("init", cmd_init,
                        "Migrate the server's database, make the workstations' role, grants "
                        "and row-level security per clinic (safe to run again, and needed "
                        "after each upgrade), and register a clinic.", group)
    _url_options(init)
    init.add_argument("--clinic", metavar="NAME",
                      help="register this clinic (kept if it exists) and print its id")
    init.add_argument("--timezone", default="America/Chicago", metavar="ZONE",
                      help="a new clinic's IANA time zone (default America/Chicago)")
    adopt = tree.command("add-clinic", cmd_add_clinic,
                         "Register on the server the clinic a workstation database made (same "
                         "id) and print its id; that workstation's first sync pushes the rest.",
                         group)
    _url_options(adopt)
    adopt.add_argument("--from-db", type=Path, required=True, metavar="PATH",
                       help="the workstation database that holds the clinic")
    add = tree.command("add-workstation", cmd_add_workstation,
                       "Make a login for a workstation of a clinic and print its connection "
                       "settings once (the password is not kept anywhere).", group)
    _url_options(add)
    add.add_argument("--clinic", type=_clinic_id, required=True, metavar="CLINIC_ID",
                     help="the clinic's id (printed by server init)")
    add.add_argument("name", metavar="NAME",
                     help="the workstation: 1-30 letters, digits, '-' or '_'")
    revoke = tree.command("revoke-workstation", cmd_revoke_workstation,
                          "Shut a workstation's login out and end its open sessions.", group)
    _url_options(revoke)
    revoke.add_argument("name", metavar="NAME", help="the workstation")
    listing = tree.command("list-workstations", cmd_list_workstations,
                           "List the workstations' logins: name, role, clinic, created, "
                           "revoked.", group)
    _url_options(listing)
    demo = tree.command("demo", cmd_demo,
                        "Try sync on one machine: start a throwaway local clinic server with "
                        "the demo clinic and two workstations (A and B) that sync through it; "
                        "it runs until Ctrl+C.", group)
    demo.add_argument("--patients", type=int, default=200,
                      help="demo patients of a new workstation A (default 200)")
    demo.add_argument("--fresh", action="store_true",
                      help="remove the earlier sync demo (server, A and B) and start anew")
