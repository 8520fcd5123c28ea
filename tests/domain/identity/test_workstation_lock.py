"""Locking and unlocking the workstation over a real encrypted demo database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import begin_enrolment, confirm_enrolment
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.identity.workstation_lock import lock, lock_settings, unlock
from medtrack_desktop.store.engine import Store


@pytest.fixture
def nurse(demo_store: Store) -> Actor:
    with demo_store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        outcome = authenticate(session, seat=seat, username="nurse", password=DEMO_PASSWORD)
    assert outcome.actor is not None
    return outcome.actor


def _entries(store: Store, action: str) -> list[tuple[str, str | None, str | None]]:
    with store.read_session() as session:
        rows = session.execute(
            select(AuditEntry.outcome, AuditEntry.reason, AuditEntry.username)
            .where(AuditEntry.action == action).order_by(AuditEntry.seq)
        )
        return [tuple(row) for row in rows]


def _try(store: Store, actor: Actor, password: str) -> bool:
    with store.session() as session:
        return unlock(session, actor, password=password)


def test_idle_minutes_default_to_five(demo_store: Store, nurse: Actor) -> None:
    with demo_store.read_session() as session:
        settings = lock_settings(session, nurse)
    assert settings.idle_minutes == 5 and not settings.code_required


def test_lock_is_audited_with_its_reason(demo_store: Store, nurse: Actor) -> None:
    with demo_store.session() as session:
        lock(session, nurse, reason="idle")
        lock(session, nurse, reason="manual")
    assert _entries(demo_store, "workstation.lock") == [
        ("success", "idle", "nurse"), ("success", "manual", "nurse"),
    ]
    with demo_store.session() as session, pytest.raises(ValueError):
        lock(session, nurse, reason="lunch")


def test_unlock_checks_the_same_users_password(demo_store: Store, nurse: Actor) -> None:
    assert not _try(demo_store, nurse, "not-the-password")
    assert _try(demo_store, nurse, DEMO_PASSWORD)
    assert _entries(demo_store, "workstation.unlock") == [
        ("failure", "wrong password", "nurse"), ("success", None, "nurse"),
    ]
    with demo_store.read_session() as session:
        user = session.get_one(User, nurse.user_id)
        assert user.failed_login_attempts == 0, "a good unlock clears the count"


def test_wrong_unlocks_count_toward_lockout(demo_store: Store, nurse: Actor) -> None:
    for _ in range(5):
        assert not _try(demo_store, nurse, "not-the-password")
    assert len(_entries(demo_store, "account.lock")) == 1
    assert not _try(demo_store, nurse, DEMO_PASSWORD), "a locked-out user cannot unlock"
    assert _entries(demo_store, "workstation.unlock")[-1] == ("failure", "account locked", "nurse")


def test_disabled_user_cannot_unlock(demo_store: Store, nurse: Actor) -> None:
    with demo_store.session() as session:
        session.get_one(User, nurse.user_id).is_active = False
    assert not _try(demo_store, nurse, DEMO_PASSWORD)
    assert _entries(demo_store, "workstation.unlock") == [
        ("failure", "account disabled", "nurse"),
    ]


def test_with_two_step_sign_in_unlock_needs_a_code_too(demo_store: Store, nurse: Actor) -> None:
    with demo_store.session() as session:
        totp = pyotp.TOTP(begin_enrolment(session, nurse).secret)
    past = datetime.now(UTC) - timedelta(minutes=3)
    with demo_store.session() as session:
        confirm_enrolment(session, nurse, code=totp.at(past), now=past)
    with demo_store.read_session() as session:
        assert lock_settings(session, nurse).code_required
    assert not _try(demo_store, nurse, DEMO_PASSWORD), "no code"
    with demo_store.session() as session:
        assert not unlock(session, nurse, password=DEMO_PASSWORD, code="000000")
    with demo_store.session() as session:
        assert not unlock(session, nurse, password="wrong", code=totp.now()), "password first"
    with demo_store.session() as session:
        assert unlock(session, nurse, password=DEMO_PASSWORD, code=totp.now())
    assert [reason for _o, reason, _u in _entries(demo_store, "workstation.unlock")] == [
        "second factor refused", "second factor refused", "wrong password", None,
    ]
    assert [reason for _o, reason, _u in _entries(demo_store, "login.mfa")] == [
        "wrong code", "authenticator code",
    ]
