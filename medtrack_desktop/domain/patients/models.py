"""ORM rows of the patient registry: demographics, insurance, guarantor, consent, the history of
demographic changes, merges, and the local search index. They never leave ``domain/``."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from medtrack_desktop.store.base import Base, ClinicScoped, one_of

SEXES = ("female", "male", "other", "unknown")
GENDER_IDENTITIES = (
    "female", "male", "transgender_female", "transgender_male", "non_binary", "other",
    "not_disclosed",
)
RACES = (
    "american_indian_alaska_native", "asian", "black_african_american",
    "native_hawaiian_pacific_islander", "white", "multiple", "other", "declined",
)
ETHNICITIES = ("hispanic_latino", "not_hispanic_latino", "declined")
MARITAL_STATUSES = (
    "single", "married", "domestic_partner", "divorced", "separated", "widowed", "unknown",
)
INSURANCE_RANKS = ("primary", "secondary", "tertiary")
SUBSCRIBER_RELATIONS = ("self", "spouse", "child", "other")
GUARANTOR_RELATIONS = ("self", "parent", "spouse", "legal_guardian", "other")
CONSENT_KINDS = ("treatment", "phi_disclosure")
SEARCH_FIELDS = ("last", "first", "middle", "preferred", "phone", "mrn", "full")

# Search terms compare byte by byte on both engines (the prefix ranges rely on it); SQLite's
# default collation already does, PostgreSQL needs "C" whatever the database's locale.
SearchTerm = String(64).with_variant(String(64, collation="C"), "postgresql")


class Patient(ClinicScoped, Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinic_id", "mrn"),
        Index("ix_patients_clinic_id_last_name_first_name", "clinic_id", "last_name", "first_name"),
        Index("ix_patients_clinic_id_date_of_birth", "clinic_id", "date_of_birth"),
        Index("ix_patients_clinic_id_created_at", "clinic_id", "created_at"),
        Index("ix_patients_clinic_id_ssn_digest", "clinic_id", "ssn_digest"),
        Index("ix_patients_clinic_id_ssn_last4_digest", "clinic_id", "ssn_last4_digest"),
        one_of("sex", SEXES),
        one_of("gender_identity", GENDER_IDENTITIES),
        one_of("race", RACES),
        one_of("ethnicity", ETHNICITIES),
        one_of("marital_status", MARITAL_STATUSES),
    )

    mrn: Mapped[str] = mapped_column(String(32))
    # A patient known by one name only keeps it as the last name; ``first_name`` is then "".
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = mapped_column(String(16))
    gender_identity: Mapped[str | None] = mapped_column(String(32))
    race: Mapped[str | None] = mapped_column(String(40))
    ethnicity: Mapped[str | None] = mapped_column(String(32))
    marital_status: Mapped[str | None] = mapped_column(String(32))
    # Field-level encryption (DESIGN §4): AES-GCM under the clinic key, bound to this row; the
    # digests are keyed HMACs (a blind index) of the 9 digits and of the last 4.
    ssn_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    ssn_digest: Mapped[str | None] = mapped_column(String(64))
    ssn_last4_digest: Mapped[str | None] = mapped_column(String(64))
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
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(30))
    emergency_contact_relation: Mapped[str | None] = mapped_column(String(40))
    employer_name: Mapped[str | None] = mapped_column(String(200))
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    deceased: Mapped[bool] = mapped_column(default=False)
    deceased_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # The last day the patient was treated here (the chart keeps it); retention counts from it.
    last_treatment_on: Mapped[date | None]
    # A privacy restriction (a VIP, a staff member, a sensitive case): only the patient's care
    # team opens the record; anyone else with ``break_glass`` gives a reason, which is audited.
    restricted: Mapped[bool] = mapped_column(default=False)
    # Set (with ``deleted_at``) when this record was merged into another: the survivor.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT")
    )


class CareTeamMember(ClinicScoped, Base):
    """A user who may open a restricted patient's record as part of the patient's care."""

    __tablename__ = "patient_care_team"
    __table_args__ = (UniqueConstraint("patient_id", "user_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class InsuranceCompany(ClinicScoped, Base):
    """A payer the clinic bills (the CMS/clearinghouse payer id goes on claims)."""

    __tablename__ = "insurance_companies"
    __table_args__ = (Index("ix_insurance_companies_clinic_id_name", "clinic_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    payer_id: Mapped[str | None] = mapped_column(String(20))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(30))


class PatientInsurance(ClinicScoped, Base):
    """A patient's policy at a rank (one live policy per rank). The member id is encrypted like
    the SSN, with a blind index for exact look-up."""

    __tablename__ = "patient_insurance"
    __table_args__ = (
        Index("uq_patient_insurance_live_rank", "patient_id", "rank", unique=True,
              sqlite_where=text("deleted_at IS NULL"),
              postgresql_where=text("deleted_at IS NULL")),
        Index("ix_patient_insurance_clinic_id_member_id_digest", "clinic_id", "member_id_digest"),
        one_of("rank", INSURANCE_RANKS),
        one_of("subscriber_relation", SUBSCRIBER_RELATIONS),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("insurance_companies.id", ondelete="RESTRICT")
    )
    rank: Mapped[str] = mapped_column(String(16))
    plan_name: Mapped[str | None] = mapped_column(String(200))
    member_id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    member_id_digest: Mapped[str] = mapped_column(String(64))
    group_number: Mapped[str | None] = mapped_column(String(50))
    subscriber_relation: Mapped[str] = mapped_column(String(16), default="self")
    subscriber_first_name: Mapped[str | None] = mapped_column(String(100))
    subscriber_last_name: Mapped[str | None] = mapped_column(String(100))
    subscriber_date_of_birth: Mapped[date | None]
    copay: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    effective_on: Mapped[date | None]
    expires_on: Mapped[date | None]


class Guarantor(ClinicScoped, Base):
    """Who pays the patient's balance (statements go to them): the patient, or another person."""

    __tablename__ = "patient_guarantors"
    __table_args__ = (
        UniqueConstraint("patient_id"),
        one_of("relation", GUARANTOR_RELATIONS),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    relation: Mapped[str] = mapped_column(String(20), default="self")
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None]
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(30))


class PatientConsent(ClinicScoped, Base):
    """A consent the patient gave (to treatment, to a disclosure of PHI), and its withdrawal.
    Never edited away: a withdrawal sets ``withdrawn_on``; a new consent is a new row."""

    __tablename__ = "patient_consents"
    __table_args__ = (one_of("kind", CONSENT_KINDS),)

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    granted_on: Mapped[date]
    expires_on: Mapped[date | None]
    disclosure_to: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class DemographicChange(ClinicScoped, Base):
    """One field of a patient changed: old → new (who and when are ``created_by/at``).
    Encrypted fields and the photo are recorded as changed, never with their values."""

    __tablename__ = "patient_history"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class PatientMerge(ClinicScoped, Base):
    """A duplicate merged into its survivor: what moved, table by table, and why."""

    __tablename__ = "patient_merges"

    survivor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    merged_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PatientSearchTerm(Base):
    """The local search index: one normalised word (or phone digits) of a patient, so a typed
    prefix is a range scan of this table; field ``full`` holds a last and a first name together
    ("garcia maria", "maria garcia") so two common names meet in one scan. Keyed by field first:
    one field's matches come out in term order, last names before first names. Derived from
    ``patients`` and rebuilt from it; not a record of its own (no tracking columns, never
    synced)."""

    __tablename__ = "patient_search_terms"
    __table_args__ = (
        PrimaryKeyConstraint("clinic_id", "field", "term", "patient_id"),
        Index("ix_patient_search_terms_patient_id_term", "patient_id", "term"),
        one_of("field", SEARCH_FIELDS),
        # made from the patients on each workstation (never synced): see sync.tables
        {"sqlite_with_rowid": False, "info": {"derived_from_synced": True}},
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    term: Mapped[str] = mapped_column(SearchTerm)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    field: Mapped[str] = mapped_column(String(10))
