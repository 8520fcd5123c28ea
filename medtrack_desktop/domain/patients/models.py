"""Patient demographics (the core the registry issue extends) and who may open a restricted
record without breaking the glass."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from medtrack_desktop.store.base import Base, ClinicScoped, one_of

SEXES = ("female", "male", "other", "unknown")


class Patient(ClinicScoped, Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinic_id", "mrn"),
        Index("ix_patients_clinic_id_last_name_first_name", "clinic_id", "last_name", "first_name"),
        Index("ix_patients_clinic_id_date_of_birth", "clinic_id", "date_of_birth"),
        one_of("sex", SEXES),
    )

    mrn: Mapped[str] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = mapped_column(String(16))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="US")
    phone_home: Mapped[str | None] = mapped_column(String(30))
    phone_mobile: Mapped[str | None] = mapped_column(String(30))
    phone_work: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    preferred_language: Mapped[str | None] = mapped_column(String(35))
    # A privacy restriction (a VIP, a staff member, a sensitive case): only the patient's care
    # team opens the record; anyone else with ``break_glass`` gives a reason, which is audited.
    restricted: Mapped[bool] = mapped_column(default=False)


class CareTeamMember(ClinicScoped, Base):
    """A user who may open a restricted patient's record as part of the patient's care."""

    __tablename__ = "patient_care_team"
    __table_args__ = (UniqueConstraint("patient_id", "user_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
