"""``medtrack-admin server init|add-workstation|revoke-workstation|list-workstations``: set up
the clinic's PostgreSQL server and the logins of its workstations.

``init`` migrates the database to this version's head and (again, safely) makes the
workstations' group role, its grants and the row-level security per clinic
(``medtrack_desktop.sync.server_setup``), and with ``--clinic NAME`` registers the clinic and
prints its id. ``add-workstation`` makes a login for one workstation of one clinic and prints
its connection settings on standard output, once: the server keeps only a SCRAM verifier of
the password. ``revoke-workstation`` shuts a login out and ends its sessions.

The administrator's URL (``--url postgresql://ADMIN@HOST/DB``) may carry its password; else it
comes from ``MEDTRACK_SERVER_PASSWORD`` or, with ``--password-stdin``, a line of standard input.
It is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from medtrack_desktop.cli.common import CommandError, CommandTree, stdin_line
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.server_setup import (
    ServerSetupError,
    add_workstation,
    list_workstations,
    prepare_server,
    revoke_workstation,
    workstation_name,
)

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


def cmd_add_workstation(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _add)


def cmd_revoke_workstation(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _revoke)


def cmd_list_workstations(args: argparse.Namespace, keys: KeyStore) -> None:
    _run_on_server(args, _list)


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
