"""``medtrack-admin user …``: user administration as the local administrator (who holds the
database key). Users are never deleted, only disabled."""

from __future__ import annotations

import argparse
import sys

from medtrack_desktop.cli.common import (
    CommandTree,
    db_option,
    open_store,
    stdin_line,
    system_actor,
)
from medtrack_desktop.domain.identity.accounts import (
    add_user,
    list_users,
    reset_password,
    set_active,
    set_roles,
    unlock_user,
)
from medtrack_desktop.domain.identity.mfa import reset_mfa, set_role_mfa_required
from medtrack_desktop.domain.identity.models import ROLE_NAMES
from medtrack_desktop.store.keys import KeyStore


def cmd_user(args: argparse.Namespace, keys: KeyStore) -> None:
    """User administration as the local administrator (who holds the database key)."""
    store = open_store(keys, args.db)
    try:
        actor = system_actor(store)
        with store.session() as session:
            if args.user_command == "add":
                info = add_user(
                    session, actor, username=args.username, password=stdin_line("password"),
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
                               new_password=stdin_line("password"))
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


def add_user_commands(tree: CommandTree) -> None:
    user_commands = tree.group("user", "User administration (users are never deleted).")
    add = tree.command("add", cmd_user,
                       "Create a user; the password is read from standard input.", user_commands)
    db_option(add)
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
    db_option(tree.command("list", cmd_user,
                           "List the clinic's users with their roles and state.", user_commands))
    for name, help_text in (("disable", "Disable a user (they can no longer log in)."),
                            ("enable", "Enable a disabled user again."),
                            ("unlock", "Lift a lockout after failed log-ins.")):
        sub = tree.command(name, cmd_user, help_text, user_commands)
        db_option(sub)
        sub.add_argument("username")
    reset = tree.command("reset-password", cmd_user,
                         "Set a temporary password (read from standard input) that must be "
                         "changed.", user_commands)
    db_option(reset)
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", required=True,
                       help="read the password from standard input (required)")
    roles = tree.command("roles", cmd_user, "Replace a user's roles.", user_commands)
    db_option(roles)
    roles.add_argument("username")
    roles.add_argument("--role", action="append", required=True, choices=ROLE_NAMES,
                       help="a role (repeat for several)")
    require_mfa = tree.command("require-mfa", cmd_user,
                               "Require two-step sign-in (TOTP) of everyone holding a role.",
                               user_commands)
    db_option(require_mfa)
    require_mfa.add_argument("--role", required=True, choices=ROLE_NAMES, help="the role")
    require_mfa.add_argument("--off", action="store_true",
                             help="stop requiring it (users who enrolled keep it on)")
    reset_mfa_cmd = tree.command("reset-mfa", cmd_user,
                                 "Turn a user's two-step sign-in off, forgetting the "
                                 "authenticator key and recovery codes (lost or new phone).",
                                 user_commands)
    db_option(reset_mfa_cmd)
    reset_mfa_cmd.add_argument("username")
