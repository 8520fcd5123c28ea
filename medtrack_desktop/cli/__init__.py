"""``medtrack-admin``: set up, migrate, back up and inspect a workstation database, send
appointment reminders, and set up the clinic's PostgreSQL server and its workstation logins,
headless.

Exit codes: 0 success, 1 failure (message on stderr), 2 wrong usage. Secrets are never taken
from the command line: passwords come from ``--password-stdin``, the database key from
``MEDTRACK_DB_KEY``/the keyring/the key file, and a key file's passphrase from
``MEDTRACK_DB_PASSPHRASE`` or an interactive prompt.

One module per group of commands; each adds its commands to the parser (``add_…``) in the
order ``--help`` lists them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from medtrack_desktop import __version__
from medtrack_desktop.cli import (
    audit,
    clinic,
    database,
    demo,
    keys,
    patients,
    reminders,
    server,
    sync,
    users,
)
from medtrack_desktop.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    PASSPHRASE_ENV,
    CommandError,
    CommandTree,
)
from medtrack_desktop.domain.identity.accounts import AccountError
from medtrack_desktop.domain.identity.policy import PasswordRejected
from medtrack_desktop.domain.identity.workstation import SetupError
from medtrack_desktop.store.errors import StoreError
from medtrack_desktop.store.keys import KeyStore

__all__ = ["build_parser", "main"]

_COMMANDS: tuple[Callable[[CommandTree], None], ...] = (
    database.add_init_and_migrate,
    demo.add_demo,
    database.add_backup_and_restore,
    keys.add_key_commands,
    users.add_user_commands,
    audit.add_audit_commands,
    clinic.add_clinic_commands,
    patients.add_patient_commands,
    reminders.add_reminder_commands,
    server.add_server_commands,
    sync.add_sync_commands,
    database.add_info,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medtrack-admin",
        description="Administer a MedTrack Desktop workstation database.",
        epilog="Key sources: MEDTRACK_DB_KEY (64 hex), the OS keyring, or <db>.key with its "
        f"passphrase from {PASSPHRASE_ENV} or a prompt.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    tree = CommandTree(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    for add_commands in _COMMANDS:
        add_commands(tree)
    return parser


def main(argv: Sequence[str] | None = None, *, keys: KeyStore | None = None,
         secrets: reminders.DeliverySecrets | None = None) -> int:
    """Run one command; ``keys`` and ``secrets`` are where database keys and the reminders'
    SMTP password and gateway token are found (the environment and the OS keyring when None).
    """
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on wrong usage
    args.delivery_secrets = secrets or reminders.DeliverySecrets()
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
