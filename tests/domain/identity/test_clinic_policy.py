"""The clinic's security settings: changed by an administrator, audited, and in force at once."""

from __future__ import annotations

import pytest
from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import (
    LOGIN_FAILED_MESSAGE,
    add_user,
    authenticate,
)
from medtrack_desktop.domain.identity.clinic_policy import security_policy, set_security_policy
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.policy import PasswordRejected
from medtrack_desktop.domain.identity.workstation_lock import lock_settings
from medtrack_desktop.store.engine import Store


def test_defaults_follow_the_seed_documents(demo_store: Store) -> None:
    policy = perform(demo_store, sign_in(demo_store, "admin"), security_policy)
    assert (policy.password_min_length, policy.password_max_age_days, policy.lockout_threshold,
            policy.lockout_minutes, policy.idle_lock_minutes) == (8, None, 5, 15, 5)


def test_changed_settings_are_audited_and_in_force(demo_store: Store) -> None:
    admin_actor = sign_in(demo_store, "admin")
    policy = perform(demo_store, admin_actor, set_security_policy, changes={
        "password_min_length": 14, "lockout_threshold": 3, "idle_lock_minutes": 2,
        "password_max_age_days": 90})
    assert (policy.password_min_length, policy.lockout_threshold, policy.idle_lock_minutes,
            policy.password_max_age_days) == (14, 3, 2, 90)
    with demo_store.read_session() as session:
        changes = session.scalars(select(AuditEntry.changes).where(
            AuditEntry.action == "clinic.security_policy")).one()
    assert changes["lockout_threshold"] == {"old": 5, "new": 3}
    assert changes["password_min_length"] == {"old": 8, "new": 14}

    with demo_store.read_session() as session:
        assert lock_settings(session, sign_in(demo_store, "nurse")).idle_minutes == 2
    with demo_store.session() as session, pytest.raises(PasswordRejected, match="14"):
        add_user(session, admin_actor, username="short", password="Sh0rt!Pass12",
                 first_name="S", last_name="P", roles=("nurse",))
    with demo_store.session() as session:
        seat = admin_actor.seat
        for _ in range(3):
            assert authenticate(session, seat=seat, username="nurse",
                                password="wrong").message == LOGIN_FAILED_MESSAGE
        assert not authenticate(session, seat=seat, username="nurse",
                                password=DEMO_PASSWORD).ok, "locked after 3"


def test_out_of_range_values_and_non_admins_are_refused(demo_store: Store) -> None:
    admin_actor = sign_in(demo_store, "admin")
    for changes, message in (
        ({"password_min_length": 6}, "password_min_length: must be from 8 to 128"),
        ({"lockout_threshold": 0}, "lockout_threshold: must be from 3 to 20"),
        ({"idle_lock_minutes": None}, "idle_lock_minutes: a value is needed"),
        ({"colour": 1}, "colour: not a security setting"),
    ):
        with pytest.raises(ValueError, match=message):
            perform(demo_store, admin_actor, set_security_policy, changes=changes)
    with pytest.raises(PermissionDenied):
        perform(demo_store, sign_in(demo_store, "physician"), set_security_policy,
                changes={"idle_lock_minutes": 30})
