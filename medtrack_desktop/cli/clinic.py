"""``medtrack-admin clinic policy|registry``: the clinic's security settings, MRN format and
record retention, shown and changed (changes are audited)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from medtrack_desktop.cli.common import (
    CommandError,
    CommandTree,
    db_option,
    open_store,
    system_actor,
)
from medtrack_desktop.domain.identity.clinic_policy import (
    LIMITS,
    security_policy,
    set_security_policy,
)
from medtrack_desktop.domain.patients import registry_settings as registry
from medtrack_desktop.store.keys import KeyStore


def _clinic_settings(
    args: argparse.Namespace, keys: KeyStore, *, read: Callable[..., Any],
    change: Callable[..., Any], changes: dict[str, Any], unset: str,
) -> None:
    """Show a group of clinic settings (``unset`` for a None), changing those given first."""
    store = open_store(keys, args.db)
    try:
        actor = system_actor(store)
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


def add_clinic_commands(tree: CommandTree) -> None:
    clinic_commands = tree.group("clinic", "Clinic settings.")
    policy = tree.command("policy", cmd_clinic_policy,
                          "Show the security settings (password, lockout, idle lock), changing "
                          "the ones given.", clinic_commands)
    db_option(policy)
    for name, (low, high) in LIMITS.items():
        policy.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int,
                            metavar="N", help=f"from {low} to {high}"
                            + ("; 0: passwords never expire" if "age" in name else ""))

    settings = tree.command("registry", cmd_clinic_registry,
                            "Show the MRN format and the record retention rule, changing the "
                            "ones given (new MRNs take the new format).", clinic_commands)
    db_option(settings)
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
