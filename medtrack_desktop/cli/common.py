"""What every ``medtrack-admin`` command shares: the failure it raises, where secrets come
from, opening the database, the system actor, and the small parser helpers."""

from __future__ import annotations

import argparse
import codecs
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.search_index import ensure_current as ensure_search_index
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.errors import PassphraseRequired
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.lifecycle import open_workstation_store

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
PASSPHRASE_ENV = "MEDTRACK_DB_PASSPHRASE"

Handler = Callable[[argparse.Namespace, KeyStore], None]


class CommandError(Exception):
    """A command cannot do what was asked; the message is printed to stderr."""


# -- secrets ------------------------------------------------------------------------------------


def ask_secret(prompt: str, *, confirm: bool = False) -> str:
    """A secret typed at the terminal (never echoed); refused when nobody is there to type."""
    if not sys.stdin.isatty():
        raise CommandError(f"{prompt.rstrip(': ')} is needed: run interactively.")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != value:
        raise CommandError("The two entries differ.")
    return value


def db_passphrase(*, new: bool = False) -> str:
    return os.environ.get(PASSPHRASE_ENV) or ask_secret(
        "Database key passphrase: ", confirm=new
    )


def stdin_line(what: str) -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CommandError(f"No {what} on standard input.")
    return line


def load_key(keys: KeyStore, db: Path) -> bytes:
    try:
        return keys.load(db)
    except PassphraseRequired:
        return keys.load(db, passphrase=db_passphrase())


def create_key(keys: KeyStore, db: Path, *, passphrase: str | None = None) -> bytes:
    try:
        return keys.create(db, passphrase=passphrase)
    except PassphraseRequired:
        return keys.create(db, passphrase=db_passphrase(new=True))


# -- the database -------------------------------------------------------------------------------


def open_store(keys: KeyStore, db: Path, *, key: bytes | None = None) -> Store:
    """Open an existing database, upgrading an older schema after a backup."""
    key = key if key is not None else load_key(keys, db)
    store = open_workstation_store(db, key, backup_dir=db.parent / "backups")
    with store.session() as session:
        ensure_search_index(session)
    return store


def system_actor(store: Store, *, name: str = "medtrack-admin") -> Actor:
    """The workstation's system actor (``system:<name>`` in the audit trail)."""
    with store.read_session() as session:
        seat = current_seat(session)
    if seat is None:
        raise CommandError("This database is not set up for a clinic; run init first.")
    return Actor.system(seat, name=name)


def clinic_today(actor: Actor) -> date:
    return datetime.now(ZoneInfo(actor.seat.clinic_timezone)).date()


# -- the parser ---------------------------------------------------------------------------------


class CommandTree:
    """Adds commands (``medtrack-admin info``) and groups of actions (``medtrack-admin user
    add``) to the parser, each with its handler and a description that repeats its help."""

    def __init__(self, commands: argparse._SubParsersAction) -> None:
        self._commands = commands

    def command(self, name: str, handler: Handler, help_text: str,
                parent: argparse._SubParsersAction | None = None,
                aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
        sub = (parent or self._commands).add_parser(name, help=help_text, description=help_text,
                                                    aliases=aliases)
        sub.set_defaults(handler=handler)
        return sub

    def group(self, name: str, help_text: str,
              aliases: Sequence[str] = ()) -> argparse._SubParsersAction:
        """A command made of actions (``medtrack-admin user add …``)."""
        parent = self.command(name, lambda *_: None, help_text, aliases=aliases)
        return parent.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")


def db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, required=True, metavar="PATH",
                        help="the workstation database file")


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def column_field(text: str) -> tuple[str, str]:
    column, equals, name = text.rpartition("=")
    if not equals or not column:
        raise argparse.ArgumentTypeError(f"{text!r} is not COLUMN=FIELD")
    return column, name


def encoding(text: str) -> str:
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a known encoding") from None
