"""``medtrack-admin user require-mfa|reset-mfa`` as a real subprocess."""

from __future__ import annotations

from pathlib import Path

import pyotp
from sqlalchemy import select
from test_admin_cli import PASSWORD, admin, env  # noqa: F401  (``env`` is a fixture)

from medtrack_desktop.domain.identity.accounts import authenticate, second_factor_step
from medtrack_desktop.domain.identity.mfa import (
    begin_sign_in_enrolment,
    confirm_sign_in_enrolment,
)
from medtrack_desktop.domain.identity.models import Role
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.engine import Store


def test_help_on_the_mfa_commands(env: dict[str, str]) -> None:  # noqa: F811
    for command in (["user", "require-mfa"], ["user", "reset-mfa"]):
        result = admin(*command, "--help", env=env)
        assert result.returncode == 0, command
        assert "usage: medtrack-admin" in result.stdout


def test_require_mfa_per_role_and_reset_a_user(env: dict[str, str],  # noqa: F811
                                               tmp_path: Path) -> None:
    db = tmp_path / "ws.db"
    assert admin("init", "--db", str(db), "--clinic", "A", env=env).returncode == 0
    added = admin("user", "add", "--db", str(db), "nia", "--first", "Nia", "--last", "Urse",
                  "--role", "nurse", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr

    required = admin("user", "require-mfa", "--db", str(db), "--role", "nurse", env=env)
    assert required.returncode == 0, required.stderr
    assert "required" in required.stderr
    assert admin("user", "require-mfa", "--db", str(db), "--role", "wizard",
                 env=env).returncode == 2

    store = Store.open(db, bytes.fromhex(env["MEDTRACK_DB_KEY"]))
    try:
        with store.session() as session:
            assert session.scalars(select(Role.mfa_required).where(Role.name == "nurse")).one()
            seat = current_seat(session)
            assert seat is not None
            pending = authenticate(session, seat=seat, username="nia", password=PASSWORD).pending
            assert pending is not None and pending.step == "enrol"
            enrolment = begin_sign_in_enrolment(session, seat=seat, pending=pending)
            outcome, _codes = confirm_sign_in_enrolment(
                session, seat=seat, pending=pending, code=pyotp.TOTP(enrolment.secret).now())
            assert outcome.ok
            assert second_factor_step(session, pending.user_id) == "code"
    finally:
        store.close()

    assert admin("user", "require-mfa", "--db", str(db), "--role", "nurse", "--off",
                 env=env).returncode == 0
    reset = admin("user", "reset-mfa", "--db", str(db), "nia", env=env)
    assert reset.returncode == 0, reset.stderr
    missing = admin("user", "reset-mfa", "--db", str(db), "ghost", env=env)
    assert missing.returncode == 1 and "no user 'ghost'" in missing.stderr

    store = Store.open(db, bytes.fromhex(env["MEDTRACK_DB_KEY"]))
    try:
        with store.read_session() as session:
            assert second_factor_step(session, pending.user_id) == "none"
            assert not session.scalars(
                select(Role.mfa_required).where(Role.name == "nurse")).one()
    finally:
        store.close()
