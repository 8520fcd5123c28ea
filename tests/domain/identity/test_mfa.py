"""TOTP MFA: enrolment, codes at right and wrong times, replay, recovery codes, role
requirement, admin reset, lockout, denials audited."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import (
    add_user,
    authenticate,
    mfa_required,
    second_factor_step,
)
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.mfa import (
    SIGN_IN_CODE_REFUSED,
    SIGN_IN_EXPIRED,
    Enrolment,
    MfaError,
    begin_enrolment,
    begin_sign_in_enrolment,
    complete_sign_in,
    confirm_enrolment,
    confirm_sign_in_enrolment,
    mfa_status,
    reset_mfa,
    set_role_mfa_required,
    verify_second_factor,
)
from medtrack_desktop.domain.identity.models import MfaRecoveryCode, User
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.engine import Store

GOOD = "Str0ng!Passw0rd"
# 5 s into the current 30 s TOTP step: near the wall clock, because log-in (which knows no
# injected time) must see a lock set from T0 as still running.
T0 = datetime.fromtimestamp(time.time() // 30 * 30 + 5, tz=UTC)


@pytest.fixture
def seat(store: Store) -> Iterator[Seat]:
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="MFA Clinic", workstation_name="E")
        system = Actor.system(seat)
        for username, role in (("admin", "admin"), ("nurse", "nurse"), ("drlee", "physician")):
            add_user(session, system, username=username, password=GOOD, first_name=username,
                     last_name="Test", roles=(role,))
    yield seat


def actor_of(store: Store, seat: Seat, username: str) -> Actor:
    with store.session() as session:
        outcome = authenticate(session, seat=seat, username=username, password=GOOD)
    assert outcome.actor is not None
    return outcome.actor


def enrol(store: Store, actor: Actor, *, at: datetime = T0) -> tuple[pyotp.TOTP, list[str]]:
    with store.session() as session:
        enrolment = begin_enrolment(session, actor)
    totp = pyotp.TOTP(enrolment.secret)
    with store.session() as session:
        codes = confirm_enrolment(session, actor, code=totp.at(at), now=at)
    return totp, codes


def verify(store: Store, seat: Seat, user_id: uuid.UUID | None, code: str,
           at: datetime) -> bool:
    assert user_id is not None
    with store.session() as session:
        return verify_second_factor(session, seat=seat, user_id=user_id, code=code, now=at)


def mfa_audit(store: Store) -> list[tuple[str, str | None]]:
    with store.read_session() as session:
        rows = session.execute(select(AuditEntry.outcome, AuditEntry.reason)
                               .where(AuditEntry.action == "login.mfa")
                               .order_by(AuditEntry.seq))
        return [tuple(row) for row in rows]


def test_enrolment_shows_a_qr_code_and_is_not_active_until_confirmed(
    store: Store, seat: Seat
) -> None:
    drlee = actor_of(store, seat, "drlee")
    with store.session() as session:
        enrolment = begin_enrolment(session, drlee)
    assert isinstance(enrolment, Enrolment)
    uri = urlparse(enrolment.provisioning_uri)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert unquote(uri.path) == "/MedTrack:drlee"
    query = parse_qs(uri.query)
    assert query["issuer"] == ["MedTrack"] and query["secret"] == [enrolment.secret]
    assert "<svg" in enrolment.qr_svg and "</svg>" in enrolment.qr_svg
    assert enrolment.qr_png().startswith(b"\x89PNG\r\n\x1a\n")
    assert enrolment.manual_key.replace(" ", "") == enrolment.secret

    with store.read_session() as session:
        assert not mfa_required(session, drlee.user_id)  # type: ignore[arg-type]
        assert second_factor_step(session, drlee.user_id) == "none"  # type: ignore[arg-type]
        row = session.get_one(User, drlee.user_id)
        assert row.mfa_secret == enrolment.secret and not row.mfa_enabled
    totp = pyotp.TOTP(enrolment.secret)
    assert not verify(store, seat, drlee.user_id, totp.at(T0), T0), "pending is not active"

    with store.session() as session, pytest.raises(MfaError, match="does not match"):
        confirm_enrolment(session, drlee, code=totp.at(T0 - timedelta(minutes=5)), now=T0)
    with store.session() as session:
        codes = confirm_enrolment(session, drlee, code=totp.at(T0), now=T0)
    assert len(codes) == 10 and len(set(codes)) == 10
    with store.read_session() as session:
        assert mfa_required(session, drlee.user_id)  # type: ignore[arg-type]
        assert second_factor_step(session, drlee.user_id) == "code"  # type: ignore[arg-type]
        hashes = session.scalars(select(MfaRecoveryCode.code_hash)).all()
        assert mfa_status(session, drlee).recovery_codes_left == 10
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not {c.replace("-", "") for c in codes} & {h for h in hashes}
    with store.session() as session, pytest.raises(MfaError, match="already set up"):
        begin_enrolment(session, drlee)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(0), True),
        (timedelta(seconds=-30), True),   # one step of drift either way
        (timedelta(seconds=30), True),
        (timedelta(seconds=-90), False),
        (timedelta(seconds=90), False),
        (timedelta(minutes=-5), False),
        (timedelta(minutes=5), False),
    ],
)
def test_codes_from_the_right_time_pass_and_from_the_wrong_time_fail(
    store: Store, seat: Seat, offset: timedelta, accepted: bool
) -> None:
    nurse = actor_of(store, seat, "nurse")
    totp, _codes = enrol(store, nurse, at=T0 - timedelta(minutes=10))
    assert verify(store, seat, nurse.user_id, totp.at(T0 + offset), T0) is accepted
    assert mfa_audit(store)[-1] == (("success", "authenticator code") if accepted
                                    else ("failure", "wrong code"))


def test_a_code_is_refused_the_second_time(store: Store, seat: Seat) -> None:
    nurse = actor_of(store, seat, "nurse")
    totp, _codes = enrol(store, nurse, at=T0 - timedelta(minutes=10))
    code = totp.at(T0)
    assert verify(store, seat, nurse.user_id, code, T0)
    assert not verify(store, seat, nurse.user_id, code, T0 + timedelta(seconds=10))
    assert mfa_audit(store)[-1] == ("failure", "code reused")
    # An older step than one already used is no good either; the next one is.
    assert not verify(store, seat, nurse.user_id, totp.at(T0 - timedelta(seconds=30)), T0)
    assert verify(store, seat, nurse.user_id, totp.at(T0 + timedelta(seconds=30)),
                  T0 + timedelta(seconds=30))
    # The code typed to confirm enrolment cannot be replayed at log-in.
    drlee = actor_of(store, seat, "drlee")
    totp_lee, _ = enrol(store, drlee, at=T0)
    assert not verify(store, seat, drlee.user_id, totp_lee.at(T0), T0)


def test_recovery_codes_work_once_each(store: Store, seat: Seat) -> None:
    nurse = actor_of(store, seat, "nurse")
    _totp, codes = enrol(store, nurse)
    later = T0 + timedelta(hours=1)
    assert verify(store, seat, nurse.user_id, codes[0], later)
    assert not verify(store, seat, nurse.user_id, codes[0], later), "single use"
    assert verify(store, seat, nurse.user_id, f"  {codes[1].upper()} ", later), "forgiving typing"
    assert not verify(store, seat, nurse.user_id, "aaaaa-aaaaa", later)
    with store.read_session() as session:
        assert mfa_status(session, nurse).recovery_codes_left == 8
    assert mfa_audit(store) == [("success", "recovery code"), ("failure", "wrong code"),
                                ("success", "recovery code"), ("failure", "wrong code")]


def test_re_confirming_replaces_the_recovery_codes(store: Store, seat: Seat) -> None:
    nurse = actor_of(store, seat, "nurse")
    _totp, old_codes = enrol(store, nurse)
    with store.session() as session:
        reset_mfa(session, actor_of(store, seat, "admin"), username="nurse")
    totp, new_codes = enrol(store, nurse, at=T0 + timedelta(minutes=1))
    later = T0 + timedelta(hours=1)
    assert not verify(store, seat, nurse.user_id, old_codes[0], later)
    assert verify(store, seat, nurse.user_id, new_codes[0], later)
    assert verify(store, seat, nurse.user_id, totp.at(later), later)


def test_role_requirement_asks_for_enrolment_then_a_code(store: Store, seat: Seat) -> None:
    admin = actor_of(store, seat, "admin")
    nurse = actor_of(store, seat, "nurse")
    with store.read_session() as session:
        assert second_factor_step(session, nurse.user_id) == "none"  # type: ignore[arg-type]
    perform(store, admin, set_role_mfa_required, role="nurse", required=True)
    with store.read_session() as session:
        assert mfa_required(session, nurse.user_id)  # type: ignore[arg-type]
        assert mfa_required(session, nurse.user_id)  # type: ignore[arg-type]
        assert second_factor_step(session, nurse.user_id) == "enrol"  # type: ignore[arg-type]
        assert second_factor_step(session, admin.user_id) == "none"  # type: ignore[arg-type]
    enrol(store, nurse)
    with store.read_session() as session:
        assert second_factor_step(session, nurse.user_id) == "code"  # type: ignore[arg-type]
    perform(store, admin, set_role_mfa_required, role="nurse", required=False)
    with store.read_session() as session:
        assert second_factor_step(session, nurse.user_id) == "code", "enabled stays enabled"
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "role.mfa_required").order_by(AuditEntry.seq)).all()[-1]
    assert entry.changes == {"role": "nurse", "mfa_required": {"old": True, "new": False}}
    with store.session() as session, pytest.raises(MfaError, match="unknown role"):
        set_role_mfa_required(session, admin, role="wizard", required=True)


def test_admin_reset_clears_the_secret_and_codes(store: Store, seat: Seat) -> None:
    nurse = actor_of(store, seat, "nurse")
    totp, codes = enrol(store, nurse)
    perform(store, actor_of(store, seat, "admin"), reset_mfa, username="nurse")
    with store.read_session() as session:
        row = session.get_one(User, nurse.user_id)
        assert (row.mfa_enabled, row.mfa_secret, row.mfa_last_step) == (False, None, None)
        live = session.scalars(select(MfaRecoveryCode).where(
            MfaRecoveryCode.deleted_at.is_(None))).all()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.mfa_reset")
                                ).one()
        assert second_factor_step(session, nurse.user_id) == "none"  # type: ignore[arg-type]
    assert live == []
    assert entry.changes == {"mfa_enabled": {"old": True, "new": False},
                             "recovery_codes_revoked": 10}
    later = T0 + timedelta(hours=1)
    assert not verify(store, seat, nurse.user_id, totp.at(later), later)
    assert not verify(store, seat, nurse.user_id, codes[0], later)
    assert mfa_audit(store)[-1] == ("failure", "mfa not enrolled")


def test_non_admins_are_denied_and_the_denial_is_audited(store: Store, seat: Seat) -> None:
    nurse = actor_of(store, seat, "nurse")
    enrol(store, actor_of(store, seat, "drlee"))
    with pytest.raises(PermissionDenied):
        perform(store, nurse, reset_mfa, username="drlee")
    with pytest.raises(PermissionDenied):
        perform(store, nurse, set_role_mfa_required, role="nurse", required=True)
    with store.read_session() as session:
        denials = session.execute(
            select(AuditEntry.username, AuditEntry.reason, AuditEntry.changes)
            .where(AuditEntry.action == "permission.denied").order_by(AuditEntry.seq)).all()
        assert session.scalars(select(User.mfa_enabled).where(User.username == "drlee")).one()
    assert [tuple(row) for row in denials] == [
        ("nurse", "user.admin", {"service": "reset_mfa"}),
        ("nurse", "user.admin", {"service": "set_role_mfa_required"}),
    ]


def test_wrong_codes_lock_the_account(store: Store, seat: Seat) -> None:
    nurse = actor_of(store, seat, "nurse")
    totp, _codes = enrol(store, nurse, at=T0 - timedelta(minutes=10))
    for _ in range(5):
        assert not verify(store, seat, nurse.user_id, "000000", T0)
    assert not verify(store, seat, nurse.user_id, totp.at(T0), T0), "locked"
    assert mfa_audit(store)[-1] == ("failure", "account locked")
    with store.session() as session:
        assert not authenticate(session, seat=seat, username="nurse", password=GOOD).ok
        reasons = session.scalars(select(AuditEntry.reason)
                                  .where(AuditEntry.action == "account.lock")).all()
    assert reasons == ["5 wrong second-factor codes"]


def test_the_command_line_actor_cannot_enrol(store: Store, seat: Seat) -> None:
    with store.session() as session, pytest.raises(MfaError, match="signed-in user"):
        begin_enrolment(session, Actor.system(seat))
    with store.session() as session, pytest.raises(MfaError, match="no authenticator key"):
        confirm_enrolment(session, actor_of(store, seat, "nurse"), code="123456", now=T0)
    with store.session() as session, pytest.raises(ValueError, match="naive"):
        verify_second_factor(session, seat=seat, user_id=uuid.uuid4(), code="123456",
                             now=datetime(2026, 1, 1))  # noqa: DTZ001


# -- the sign-in itself: a good password waits for its second factor -----------------------------


def login_reasons(store: Store) -> list[tuple[str, str, str | None]]:
    with store.read_session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.reason)
            .where(AuditEntry.action.in_(("login", "login.password")))
            .order_by(AuditEntry.seq)).all()
    return [tuple(row) for row in rows]


def test_a_good_password_alone_does_not_let_an_enrolled_user_in(store: Store, seat: Seat) -> None:
    drlee = actor_of(store, seat, "drlee")
    totp, _codes = enrol(store, drlee, at=T0 - timedelta(minutes=2))
    with store.session() as session:
        outcome = authenticate(session, seat=seat, username="drlee", password=GOOD)
    assert outcome.actor is None and not outcome.ok and outcome.message is None
    assert outcome.pending is not None and outcome.pending.step == "code"
    pending = outcome.pending
    assert login_reasons(store)[-1] == ("login.password", "success", "second factor: code")

    with store.session() as session:
        refused = complete_sign_in(session, seat=seat, pending=pending, code="000000", now=T0)
    assert not refused.ok and refused.message == SIGN_IN_CODE_REFUSED
    assert refused.pending == pending, "the dialog may ask again"

    with store.session() as session:
        admitted = complete_sign_in(session, seat=seat, pending=pending, code=totp.at(T0), now=T0)
    assert admitted.actor is not None and admitted.actor.username == "drlee"
    assert "rx.prescribe" in admitted.actor.permissions
    assert login_reasons(store)[-1] == ("login", "success", "password + second factor")


def test_a_pending_sign_in_expires_and_cannot_cross_clinics(store: Store, seat: Seat) -> None:
    drlee = actor_of(store, seat, "drlee")
    totp, _codes = enrol(store, drlee, at=T0 - timedelta(minutes=2))
    with store.session() as session:
        pending = authenticate(session, seat=seat, username="drlee", password=GOOD).pending
    assert pending is not None
    late = pending.password_at + timedelta(minutes=6)
    with store.session() as session:
        expired = complete_sign_in(session, seat=seat, pending=pending, code=totp.at(late),
                                   now=late)
    assert not expired.ok and expired.message == SIGN_IN_EXPIRED and expired.pending is None
    elsewhere = replace(seat, clinic_id=uuid.uuid4())
    with store.session() as session:
        foreign = complete_sign_in(session, seat=elsewhere, pending=pending,
                                   code=totp.at(pending.password_at),
                                   now=pending.password_at)
    assert not foreign.ok
    with store.session() as session, pytest.raises(MfaError, match="took too long"):
        begin_sign_in_enrolment(session, seat=seat, pending=pending)  # step is "code", not enrol


def test_a_role_requirement_enrols_the_user_during_sign_in(store: Store, seat: Seat) -> None:
    admin = actor_of(store, seat, "admin")
    perform(store, admin, set_role_mfa_required, role="nurse", required=True)
    with store.session() as session:
        outcome = authenticate(session, seat=seat, username="nurse", password=GOOD)
    pending = outcome.pending
    assert outcome.actor is None and pending is not None and pending.step == "enrol"
    with store.session() as session:
        enrolment = begin_sign_in_enrolment(session, seat=seat, pending=pending, now=T0)
    totp = pyotp.TOTP(enrolment.secret)
    with store.session() as session, pytest.raises(MfaError, match="does not match"):
        confirm_sign_in_enrolment(session, seat=seat, pending=pending, code="123456", now=T0)
    with store.session() as session:
        admitted, codes = confirm_sign_in_enrolment(session, seat=seat, pending=pending,
                                                    code=totp.at(T0), now=T0)
    assert admitted.actor is not None and admitted.actor.username == "nurse"
    assert len(codes) == 10 and len(set(codes)) == 10
    assert login_reasons(store)[-1] == ("login", "success", "password + new authenticator")
    with store.session() as session, pytest.raises(MfaError):
        begin_sign_in_enrolment(session, seat=seat, pending=pending, now=T0)  # now "code"
    with store.session() as session:
        again = authenticate(session, seat=seat, username="nurse", password=GOOD)
    assert again.pending is not None and again.pending.step == "code"
