"""Password policy, lockout, unlock, reset, change, disable, roles; denials audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import (
    LOGIN_FAILED_MESSAGE,
    AccountError,
    LoginOutcome,
    add_user,
    authenticate,
    change_password,
    list_users,
    reset_password,
    set_active,
    set_roles,
    unlock_user,
)
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.policy import PasswordPolicy, PasswordRejected
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store

GOOD = "Str0ng!Passw0rd"


@pytest.fixture
def seat(store: Store) -> Iterator[Seat]:
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Policy Clinic", workstation_name="D")
        system = Actor.system(seat)
        add_user(session, system, username="admin", password=GOOD, first_name="Ada",
                 last_name="Min", roles=("admin",))
        add_user(session, system, username="nurse", password=GOOD, first_name="Nia",
                 last_name="Urse", roles=("nurse",))
    yield seat


def login(store: Store, seat: Seat, username: str, password: str) -> LoginOutcome:
    with store.session() as session:
        return authenticate(session, seat=seat, username=username, password=password)


def actor_of(store: Store, seat: Seat, username: str) -> Actor:
    outcome = login(store, seat, username, GOOD)
    assert outcome.actor is not None
    return outcome.actor


def user_row(store: Store, username: str) -> User:
    with store.read_session() as session:
        return session.scalars(select(User).where(User.username == username)).one()


def actions(store: Store) -> list[tuple[str, str, str | None]]:
    with store.read_session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.reason)
            .order_by(AuditEntry.seq))
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!", "use at least 8 characters"),
        ("alllower1!", "add an upper-case letter"),
        ("ALLUPPER1!", "add a lower-case letter"),
        ("NoDigits!!", "add a digit"),
        ("NoSpecial1a", "add a special character such as ! ? # or -"),
        ("x" * 1025 + "A1!", "use at most 1024 characters"),
    ],
)
def test_policy_names_each_broken_rule(password: str, reason: str) -> None:
    assert reason in PasswordPolicy().problems(password)


def test_policy_accepts_the_seed_rule_and_can_be_raised() -> None:
    assert PasswordPolicy().problems("Abcdef1!") == []
    assert PasswordPolicy(min_length=12).problems("Abcdef1!") == ["use at least 12 characters"]
    with pytest.raises(ValueError, match="8 to 128"):
        PasswordPolicy(min_length=6)
    assert "do not include your user name" in PasswordPolicy().problems("Nurse-2026!x",
                                                                         username="nurse")


def test_add_user_refuses_a_weak_password_at_the_field(store: Store, seat: Seat) -> None:
    with store.session() as session, pytest.raises(PasswordRejected) as rejected:
        add_user(session, Actor.system(seat), username="weak", password="password",
                 first_name="W", last_name="K", roles=("nurse",))
    assert str(rejected.value).startswith("Password: ")
    assert "add a digit" in rejected.value.reasons


def test_five_wrong_passwords_lock_the_account_for_the_clinic_duration(
    store: Store, seat: Seat
) -> None:
    for _ in range(5):
        assert login(store, seat, "nurse", "Wrong!Passw0rd").message == LOGIN_FAILED_MESSAGE
    locked_until = user_row(store, "nurse").locked_until
    assert locked_until is not None
    assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15)
    refused = login(store, seat, "nurse", GOOD)
    assert refused.actor is None and refused.message == LOGIN_FAILED_MESSAGE
    assert ("account.lock", "success", "5 failed log-ins") in actions(store)
    assert actions(store)[-1] == ("login", "failure", "account locked")

    with store.session() as session:  # the lock ends by itself
        session.execute(update(User).where(User.username == "nurse")
                        .values(locked_until=utcnow() - timedelta(seconds=1)))
    assert login(store, seat, "nurse", GOOD).ok


def test_lockout_threshold_and_duration_are_per_clinic(store: Store, seat: Seat) -> None:
    with store.session() as session:
        session.execute(update(Clinic).values(lockout_threshold=2, lockout_minutes=60))
    login(store, seat, "nurse", "Wrong!Passw0rd")
    assert user_row(store, "nurse").locked_until is None
    login(store, seat, "nurse", "Wrong!Passw0rd")
    locked_until = user_row(store, "nurse").locked_until
    assert locked_until is not None and locked_until - utcnow() > timedelta(minutes=59)


def test_admin_unlocks_and_resets_which_forces_a_change(store: Store, seat: Seat) -> None:
    admin = actor_of(store, seat, "admin")
    for _ in range(5):
        login(store, seat, "nurse", "Wrong!Passw0rd")
    perform(store, admin, unlock_user, username="nurse")
    assert user_row(store, "nurse").locked_until is None
    assert login(store, seat, "nurse", GOOD).ok

    perform(store, admin, reset_password, username="nurse", new_password="Temp0rary!pass")
    outcome = login(store, seat, "nurse", "Temp0rary!pass")
    assert outcome.ok and outcome.must_change_password
    nurse = outcome.actor
    assert nurse is not None
    with pytest.raises(AccountError, match="Current password"):
        perform(store, nurse, change_password, current_password="nope",
                new_password="N3w!Password")
    with pytest.raises(AccountError, match="differ"):
        perform(store, nurse, change_password, current_password="Temp0rary!pass",
                new_password="Temp0rary!pass")
    with pytest.raises(PasswordRejected):
        perform(store, nurse, change_password, current_password="Temp0rary!pass",
                new_password="weak")
    perform(store, nurse, change_password, current_password="Temp0rary!pass",
            new_password="N3w!Password")
    again = login(store, seat, "nurse", "N3w!Password")
    assert again.ok and not again.must_change_password
    assert {"user.unlock", "user.password_reset", "user.password_change"} <= {
        action for action, _o, _r in actions(store)}


def test_password_expiry_asks_for_a_change(store: Store, seat: Seat) -> None:
    with store.session() as session:
        session.execute(update(Clinic).values(password_max_age_days=90))
        session.execute(update(User).where(User.username == "nurse").values(
            last_password_change=utcnow() - timedelta(days=91)))
    outcome = login(store, seat, "nurse", GOOD)
    assert outcome.ok and outcome.must_change_password
    assert not login(store, seat, "admin", GOOD).must_change_password


def test_disable_roles_and_list(store: Store, seat: Seat) -> None:
    admin = actor_of(store, seat, "admin")
    with pytest.raises(AccountError, match="your own account"):
        perform(store, admin, set_active, username="admin", active=False)
    perform(store, admin, set_active, username="nurse", active=False)
    assert not login(store, seat, "nurse", GOOD).ok
    perform(store, admin, set_active, username="nurse", active=True)

    info = perform(store, admin, set_roles, username="nurse",
                   roles=("nurse", "medical_assistant"))
    assert info.roles == ("medical_assistant", "nurse")
    info = perform(store, admin, set_roles, username="nurse", roles=("front_desk",))
    assert info.roles == ("front_desk",)
    assert login(store, seat, "nurse", GOOD).actor.roles == ("front_desk",)  # type: ignore[union-attr]
    with pytest.raises(AccountError, match="unknown role"):
        perform(store, admin, set_roles, username="nurse", roles=("surgeon",))
    with pytest.raises(AccountError, match="no user"):
        perform(store, admin, unlock_user, username="ghost")

    users = perform(store, admin, list_users)
    assert [(u.username, u.is_active, u.locked) for u in users] == [
        ("admin", True, False), ("nurse", True, False)]


@pytest.mark.parametrize("service, kwargs", [
    (unlock_user, {"username": "admin"}),
    (reset_password, {"username": "admin", "new_password": GOOD}),
    (set_active, {"username": "admin", "active": False}),
    (set_roles, {"username": "admin", "roles": ("nurse",)}),
    (list_users, {}),
])
def test_a_non_admin_is_denied_and_the_denial_is_audited(
    store: Store, seat: Seat, service: object, kwargs: dict[str, object]
) -> None:
    nurse = actor_of(store, seat, "nurse")
    with pytest.raises(PermissionDenied, match=r"user\.admin"):
        perform(store, nurse, service, **kwargs)  # type: ignore[arg-type]
    assert actions(store)[-1] == ("permission.denied", "denied", "user.admin")
    assert user_row(store, "admin").is_active
