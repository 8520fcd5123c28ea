"""Second factor at log-in: TOTP (RFC 6238, via pyotp) and one-time recovery codes.

The sign-in dialog runs the password step first (``accounts.authenticate``). When the user or
one of their roles needs MFA, a good password gives a ``PendingSignIn`` (no actor yet) whose
step says what comes next:

- ``"code"``: ask for a code, ``complete_sign_in`` (a TOTP code or a recovery code);
- ``"enrol"``: a role requires MFA and the user has none yet: ``begin_sign_in_enrolment`` (QR
  code and manual key), then ``confirm_sign_in_enrolment`` with a code from the new
  authenticator — that code is the second factor of this log-in, and the recovery codes it
  returns are shown once.

A signed-in user sets MFA up for themselves with ``begin_enrolment``/``confirm_enrolment``.

The TOTP secret sits in ``users.mfa_secret`` as is (the database is SQLCipher-encrypted at rest);
recovery codes are kept only as Argon2 hashes. Wrong codes are counted apart from wrong passwords
(a good password resets its own count) and lock the account at the clinic's threshold.
"""

from __future__ import annotations

import hmac
import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.accounts import (
    AccountError,
    LoginOutcome,
    PendingSignIn,
    _user,
    admit,
    count_failure,
    mfa_required,
    second_factor_step,
)
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.models import ROLE_NAMES, MfaRecoveryCode, Role, User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.store.base import bind_actor, utcnow

if TYPE_CHECKING:
    import segno

ISSUER = "MedTrack"
RECOVERY_CODE_COUNT = 10
# Unambiguous characters only (no 0/o, 1/l/i): codes are read off paper and typed.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10  # 31**10 ~ 2**49, shown as two groups of five
# Recovery codes are random (~49 bits), not chosen by people: their hash need not be as slow as a
# password's to resist guessing, and up to ten are tried at one log-in (budget < 500 ms).
_recovery_hasher = PasswordHasher(time_cost=1, memory_cost=19 * 1024, parallelism=1)
TOTP_WINDOW = 1  # one 30-second step either side, for clock drift (pyotp's valid_window=1)

class MfaError(AccountError):
    """An MFA request cannot be done; the message is safe to show."""


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment screen shows: the QR code, and the key for typing in by hand."""

    secret: str
    provisioning_uri: str

    @property
    def manual_key(self) -> str:
        """The secret in groups of four, as authenticator apps expect it typed."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))

    @property
    def qr_svg(self) -> str:
        """The QR code as a standalone SVG document (made when asked for)."""
        return qr_svg(self.provisioning_uri)

    def qr_png(self, *, scale: int = 6) -> bytes:
        """The QR code as PNG (for ``QPixmap.loadFromData``, which needs no QtSvg)."""
        return qr_png(self.provisioning_uri, scale=scale)


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    required: bool
    recovery_codes_left: int


# -- helpers ------------------------------------------------------------------------------------


def _moment(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("naive datetime: MedTrack uses timezone-aware times only")
    return now


def _qr(uri: str) -> segno.QRCode:
    import segno  # only to enrol: its writers (xml, urllib) cost every start ~60 ms

    return segno.make(uri, error="m", micro=False)


def qr_svg(uri: str, *, scale: int = 4) -> str:
    """A standalone SVG document of the QR code of ``uri``."""
    buffer = io.BytesIO()
    _qr(uri).save(buffer, kind="svg", scale=scale, xmldecl=False, svgclass=None,
                  lineclass=None)
    return buffer.getvalue().decode("utf-8")


def qr_png(uri: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _qr(uri).save(buffer, kind="png", scale=scale)
    return buffer.getvalue()


def _own_user(session: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise MfaError("Only a signed-in user can set up their own second factor.")
    return session.get_one(User, actor.user_id)


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The TOTP time step ``code`` belongs to, within the drift window; None if none matches.

    This is pyotp's ``verify(valid_window=1)`` but it says *which* step matched, so that step
    can be refused the second time (RFC 6238 §5.2).
    """
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _canonical_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_matches(code_hash: str, candidate: str) -> bool:
    try:
        return _recovery_hasher.verify(code_hash, candidate)
    except (VerificationError, InvalidHashError):
        return False


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _live_codes(session: Session, user_id: uuid.UUID) -> list[MfaRecoveryCode]:
    return list(session.scalars(
        select(MfaRecoveryCode).where(
            MfaRecoveryCode.user_id == user_id,
            MfaRecoveryCode.deleted_at.is_(None),
            MfaRecoveryCode.used_at.is_(None),
        ).order_by(MfaRecoveryCode.id)
    ))


def _revoke_codes(session: Session, user_id: uuid.UUID, at: datetime) -> int:
    """Tombstone every recovery code of the user (kept for the record, never valid again)."""
    rows = session.scalars(select(MfaRecoveryCode).where(
        MfaRecoveryCode.user_id == user_id, MfaRecoveryCode.deleted_at.is_(None)
    )).all()
    for row in rows:
        row.deleted_at = at
    return len(rows)


# -- enrolment (the user themselves) -------------------------------------------------------------


def begin_enrolment(session: Session, actor: Actor) -> Enrolment:
    """Make a new TOTP secret for the acting user; it stays pending until confirmed.

    A user whose MFA is already on is refused: replacing the secret would silently disable the
    authenticator in use. An administrator resets MFA first (lost phone, new device).
    """
    return _begin(session, actor.seat, _own_user(session, actor), actor)


def confirm_enrolment(
    session: Session, actor: Actor, *, code: str, now: datetime | None = None
) -> list[str]:
    """Turn MFA on once the new authenticator shows a valid code; return the recovery codes.

    The plain codes exist only in the returned list (show once, ask the user to keep them);
    any earlier recovery codes stop working.
    """
    return _confirm(session, actor.seat, _own_user(session, actor), actor, code, _moment(now))


def _begin(session: Session, seat: Seat, user: User, actor: Actor | None) -> Enrolment:
    if user.mfa_enabled:
        raise MfaError("Two-step sign-in is already set up; an administrator can reset it.")
    bind_actor(session, user.id)
    user.mfa_secret = pyotp.random_base32()
    user.mfa_last_step = None
    trail.record(session, seat=seat, actor=actor, username=user.username,
                 action="user.mfa_enrol_start", resource_type="user", resource_id=str(user.id))
    uri = pyotp.TOTP(user.mfa_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret=user.mfa_secret, provisioning_uri=uri)


def _confirm(
    session: Session, seat: Seat, user: User, actor: Actor | None, code: str, at: datetime
) -> list[str]:
    if user.mfa_enabled:
        raise MfaError("Two-step sign-in is already set up.")
    if user.mfa_secret is None:
        raise MfaError("Start the set-up first: no authenticator key is pending.")
    step = _matching_step(user.mfa_secret, code, at)
    if step is None:
        raise MfaError("Code: it does not match; check the authenticator app's clock and retry.")
    bind_actor(session, user.id)
    user.mfa_enabled = True
    user.mfa_last_step = step
    user.mfa_failed_attempts = 0
    _revoke_codes(session, user.id, at)
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for plain in codes:
        session.add(MfaRecoveryCode(clinic_id=user.clinic_id, user_id=user.id,
                                    code_hash=_recovery_hasher.hash(_canonical_recovery(plain))))
    session.flush()
    trail.record(session, seat=seat, actor=actor, username=user.username,
                 action="user.mfa_enable", resource_type="user", resource_id=str(user.id),
                 changes={"recovery_codes": RECOVERY_CODE_COUNT})
    return codes


def mfa_status(session: Session, actor: Actor) -> MfaStatus:
    """The acting user's own MFA state (for their account settings)."""
    user = _own_user(session, actor)
    return MfaStatus(enabled=user.mfa_enabled, required=mfa_required(session, user.id),
                     recovery_codes_left=len(_live_codes(session, user.id)))


# -- log-in ---------------------------------------------------------------------------------------


def verify_second_factor(
    session: Session, *, seat: Seat, user_id: uuid.UUID, code: str, now: datetime | None = None
) -> bool:
    """Check a TOTP code (or an unused recovery code, then used up) for a user at log-in.

    Audited either way as ``login.mfa``. Returns instead of raising, so the audit entry and the
    failure count commit with the caller's unit of work (as ``authenticate`` does).
    """
    at = _moment(now)
    user = session.get(User, user_id)
    if user is None or user.clinic_id != seat.clinic_id:
        trail.record(session, seat=seat, actor=None, action="login.mfa", outcome="failure",
                     resource_type="user", resource_id=str(user_id), reason="unknown user")
        return False

    def audit(outcome: str, reason: str, changes: dict[str, int] | None = None) -> None:
        trail.record(session, seat=seat, actor=None, username=user.username, action="login.mfa",
                     outcome=outcome, resource_type="user", resource_id=str(user.id),
                     reason=reason, changes=changes)

    if not user.is_active:
        audit("failure", "account disabled")
        return False
    if user.locked_until is not None and user.locked_until > at:
        audit("failure", "account locked")
        return False
    if not user.mfa_enabled or user.mfa_secret is None:
        audit("failure", "mfa not enrolled")
        return False

    bind_actor(session, user.id)
    step = _matching_step(user.mfa_secret, code, at)
    if step is not None:
        if user.mfa_last_step is not None and step <= user.mfa_last_step:
            audit("failure", "code reused")
            return False
        user.mfa_last_step = step
        user.mfa_failed_attempts = 0
        audit("success", "authenticator code")
        return True

    candidate = _canonical_recovery(code)
    if len(candidate) == _RECOVERY_LENGTH:
        live = _live_codes(session, user.id)
        for row in live:
            if _recovery_matches(row.code_hash, candidate):
                row.used_at = at
                user.mfa_failed_attempts = 0
                audit("success", "recovery code", {"recovery_codes_left": len(live) - 1})
                return True

    audit("failure", "wrong code")
    count_failure(session, seat, user, counter="mfa_failed_attempts",
                  what="wrong second-factor codes", at=at)
    return False


# -- completing a sign-in that waits for its second factor ----------------------------------------

SIGN_IN_CODE_REFUSED = "The code is not correct, or the account is locked."
SIGN_IN_EXPIRED = "The sign-in took too long. Enter your user name and password again."


def _pending_user(
    session: Session, seat: Seat, pending: PendingSignIn, step: str, at: datetime
) -> User | None:
    """The user of a pending sign-in if it may still go on at ``step`` (checked again here, not
    trusted from the dialog): not expired, same clinic, active, and the step still the one due."""
    user = session.get(User, pending.user_id)
    if (pending.expired(at) or user is None or user.clinic_id != seat.clinic_id
            or not user.is_active or second_factor_step(session, user.id) != step):
        return None
    return user


def complete_sign_in(
    session: Session, *, seat: Seat, pending: PendingSignIn, code: str,
    now: datetime | None = None,
) -> LoginOutcome:
    """The second step of a sign-in: a TOTP or recovery code. A refusal keeps ``pending`` so the
    dialog can ask again (the wrong codes count toward the lockout)."""
    at = _moment(now)
    if _pending_user(session, seat, pending, "code", at) is None:
        return LoginOutcome(None, SIGN_IN_EXPIRED)
    if not verify_second_factor(session, seat=seat, user_id=pending.user_id, code=code, now=at):
        return LoginOutcome(None, SIGN_IN_CODE_REFUSED, pending=pending)
    return admit(session, seat=seat, user_id=pending.user_id, method="password + second factor",
                 now=at)


def begin_sign_in_enrolment(
    session: Session, *, seat: Seat, pending: PendingSignIn, now: datetime | None = None
) -> Enrolment:
    """A role requires MFA of a user who has none: make their authenticator key at sign-in."""
    user = _pending_user(session, seat, pending, "enrol", _moment(now))
    if user is None:
        raise MfaError(SIGN_IN_EXPIRED)
    return _begin(session, seat, user, None)


def confirm_sign_in_enrolment(
    session: Session, *, seat: Seat, pending: PendingSignIn, code: str,
    now: datetime | None = None,
) -> tuple[LoginOutcome, list[str]]:
    """Turn MFA on with the new authenticator's first code, which also completes the sign-in;
    returns the outcome and the recovery codes to show once."""
    at = _moment(now)
    user = _pending_user(session, seat, pending, "enrol", at)
    if user is None:
        raise MfaError(SIGN_IN_EXPIRED)
    codes = _confirm(session, seat, user, None, code, at)
    outcome = admit(session, seat=seat, user_id=user.id, method="password + new authenticator",
                    now=at)
    return outcome, codes


# -- administration ------------------------------------------------------------------------------


def set_role_mfa_required(session: Session, actor: Actor, *, role: str, required: bool) -> None:
    """Require (or stop requiring) MFA of everyone holding ``role`` in the actor's clinic."""
    require(actor, "user.admin")
    row = session.scalar(select(Role).where(Role.clinic_id == actor.seat.clinic_id,
                                            Role.name == role))
    if row is None:
        raise MfaError(f"Role: unknown role {role!r} (one of {', '.join(ROLE_NAMES)}).")
    before = row.mfa_required
    bind_actor(session, actor.user_id)
    row.mfa_required = required
    trail.record(session, seat=actor.seat, actor=actor, action="role.mfa_required",
                 resource_type="role", resource_id=str(row.id),
                 changes={"role": role, "mfa_required": {"old": before, "new": required}})


def roles_requiring_mfa(session: Session, actor: Actor) -> dict[str, bool]:
    """Role name -> whether everyone holding it must use two-step sign-in (actor's clinic)."""
    require(actor, "user.admin")
    rows = session.execute(select(Role.name, Role.mfa_required).where(
        Role.clinic_id == actor.seat.clinic_id, Role.deleted_at.is_(None)))
    return {name: required for name, required in rows}


def reset_mfa(
    session: Session, actor: Actor, *, username: str, now: datetime | None = None
) -> None:
    """Turn a user's MFA off and forget the secret and recovery codes (lost or new phone).

    If a role still requires MFA, the user enrols again at their next log-in.
    """
    require(actor, "user.admin")
    user = _user(session, actor, username)
    bind_actor(session, actor.user_id)
    was_enabled = user.mfa_enabled
    user.mfa_enabled = False
    user.mfa_secret = None
    user.mfa_last_step = None
    user.mfa_failed_attempts = 0
    revoked = _revoke_codes(session, user.id, _moment(now))
    trail.record(session, seat=actor.seat, actor=actor, action="user.mfa_reset",
                 resource_type="user", resource_id=str(user.id),
                 changes={"mfa_enabled": {"old": was_enabled, "new": False},
                          "recovery_codes_revoked": revoked})
