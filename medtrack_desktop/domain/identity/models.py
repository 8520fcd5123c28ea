"""ORM rows of the identity domain. They never leave ``domain/``; services return dataclasses."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from medtrack_desktop.store.base import Base, ClinicScoped, Tracked, one_of

CLINIC_TYPES = ("primary_care", "specialty", "multi_specialty", "surgery_center")
ROLE_NAMES = ("physician", "nurse", "medical_assistant", "front_desk", "biller", "admin", "patient")


class Clinic(Tracked, Base):
    """A practice (the tenant). Its own id is the ``clinic_id`` of every row it owns."""

    __tablename__ = "clinics"
    __table_args__ = (one_of("clinic_type", CLINIC_TYPES),)

    name: Mapped[str] = mapped_column(String(200))
    clinic_type: Mapped[str] = mapped_column(String(32), default="primary_care")
    npi: Mapped[str | None] = mapped_column(String(10))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(30))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    idle_lock_minutes: Mapped[int] = mapped_column(default=5)
    password_min_length: Mapped[int] = mapped_column(default=8)
    password_max_age_days: Mapped[int | None]
    lockout_threshold: Mapped[int] = mapped_column(default=5)
    lockout_minutes: Mapped[int] = mapped_column(default=15)
    baa_signed_date: Mapped[date | None]
    # Registry settings: how new MRNs look (prefix, digits before the check digit) and how long
    # records are kept after the last treatment (minors: at least until this birthday).
    mrn_prefix: Mapped[str] = mapped_column(String(8), default="")
    mrn_digits: Mapped[int] = mapped_column(default=7)
    retention_years: Mapped[int] = mapped_column(default=10)
    retention_minor_until_age: Mapped[int] = mapped_column(default=20)


class Workstation(ClinicScoped, Base):
    """A seat with its own encrypted database; one sync login per workstation (revocable)."""

    __tablename__ = "workstations"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    hostname: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]


class User(ClinicScoped, Base):
    """A person who logs in. Never deleted: disabled (``is_active``) so the audit trail holds."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("clinic_id", "username"),
        # Each workstation counts its own log-ins: the last one synced wins, never a conflict.
        {"info": {"sync_last_writer_wins": (
            "failed_login_attempts", "locked_until", "last_login_at")}},
    )

    username: Mapped[str] = mapped_column(String(150))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    npi: Mapped[str | None] = mapped_column(String(10))
    dea_number: Mapped[str | None] = mapped_column(String(20))
    license_number: Mapped[str | None] = mapped_column(String(50))
    license_state: Mapped[str | None] = mapped_column(String(2))
    password_hash: Mapped[str] = mapped_column(Text)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_password_change: Mapped[datetime | None]
    failed_login_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    # The TOTP shared secret (base32). Kept as is because the workstation database is
    # SQLCipher-encrypted at rest; it is pending (set, not yet enabled) during enrolment.
    mfa_secret: Mapped[str | None] = mapped_column(Text)
    # The newest TOTP time step accepted, so a code seen once cannot be replayed.
    mfa_last_step: Mapped[int | None]
    # Wrong second-factor codes since the last good one (the password step resets its own count).
    mfa_failed_attempts: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    hipaa_training_date: Mapped[date | None]
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT")
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Role(ClinicScoped, Base):
    """A named role of one clinic; what it may do is the permission matrix (identity issue)."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("clinic_id", "name"), one_of("name", ROLE_NAMES))

    name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
    mfa_required: Mapped[bool] = mapped_column(default=False)


class UserRole(ClinicScoped, Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="RESTRICT"), index=True
    )


class MfaRecoveryCode(ClinicScoped, Base):
    """A one-time code that stands in for the authenticator; only its Argon2 hash is kept."""

    __tablename__ = "mfa_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    code_hash: Mapped[str] = mapped_column(Text)
    used_at: Mapped[datetime | None]


class LocalSetting(Base):
    """Facts about this workstation's own database (which clinic and seat it is). Never synced."""

    __tablename__ = "local_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
