"""Payers, a patient's insurance policies (primary, secondary, tertiary) and the guarantor.

The member id is sealed like the SSN (AES-GCM under the clinic key, bound to the policy row)
with a blind index of its normalised form, so a card can be looked up without the id being
stored in clear. A policy is never hard-deleted: removing one tombstones it. Reads of a
patient's coverage are audited as PHI reads; every change as ``patient.insurance`` or
``patient.guarantor`` with the fields that changed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.field_keys import clinic_cipher
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient, writable_patient
from medtrack_desktop.domain.patients.demographics import clean_text, format_phone
from medtrack_desktop.domain.patients.models import (
    GUARANTOR_RELATIONS,
    INSURANCE_RANKS,
    SUBSCRIBER_RELATIONS,
    Guarantor,
    InsuranceCompany,
    PatientInsurance,
)
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import bind_actor, new_id, utcnow
from medtrack_desktop.store.field_crypto import FieldCipher

COPAY_MAX = Decimal("10000.00")
_MEMBER_ID = re.compile(r"^[A-Z0-9]{1,40}$")
_PAYER_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")


class InsuranceInvalid(FieldsInvalid):
    """A payer, policy or guarantor that cannot be saved as typed."""


# -- payers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payer:
    id: uuid.UUID
    name: str
    payer_id: str | None
    address_line1: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    phone: str | None


def _payer(row: InsuranceCompany) -> Payer:
    return Payer(id=row.id, name=row.name, payer_id=row.payer_id,
                 address_line1=row.address_line1, city=row.city, state=row.state,
                 postal_code=row.postal_code, phone=row.phone)


def list_payers(session: Session, actor: Actor, *, text: str = "", limit: int = 50) -> list[Payer]:
    """The clinic's payers whose name contains ``text`` (case ignored), by name."""
    require(actor, "patient.read")
    statement = select(InsuranceCompany).where(
        InsuranceCompany.clinic_id == actor.seat.clinic_id, InsuranceCompany.deleted_at.is_(None))
    if text.strip():
        pattern = "%" + text.strip().lower().replace("%", "").replace("_", "") + "%"
        statement = statement.where(func.lower(InsuranceCompany.name).like(pattern))
    rows = session.scalars(statement.order_by(InsuranceCompany.name).limit(limit))
    return [_payer(row) for row in rows]


def add_payer(
    session: Session, actor: Actor, *, name: str, payer_id: str = "", address_line1: str = "",
    city: str = "", state: str = "", postal_code: str = "", phone: str = "",
) -> Payer:
    """Add a payer the clinic bills (``payer_id``: the CMS / clearinghouse id on claims)."""
    require(actor, "patient.write")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": clean_text(name, "Payer name", 200, errors, "name"),
        "address_line1": clean_text(address_line1, "Address", 200, errors, "address_line1"),
        "city": clean_text(city, "City", 100, errors, "city"),
        "state": clean_text(state, "State", 50, errors, "state"),
        "postal_code": clean_text(postal_code, "ZIP code", 20, errors, "postal_code"),
        "payer_id": payer_id.strip() or None,
        "phone": None,
    }
    if not values["name"] and "name" not in errors:
        errors["name"] = "Payer name: required."
    if values["payer_id"] and not _PAYER_ID.match(values["payer_id"]):
        errors["payer_id"] = "Payer id: letters and digits only, at most 20."
    if phone.strip():
        try:
            values["phone"] = format_phone(phone)
        except ValueError:
            errors["phone"] = "Phone: not a valid phone number."
    if errors:
        raise InsuranceInvalid(errors)
    bind_actor(session, actor.user_id)
    row = InsuranceCompany(clinic_id=actor.seat.clinic_id, **values)
    session.add(row)
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="payer.create",
                 resource_type="insurance_company", resource_id=str(row.id))
    return _payer(row)


# -- policies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInput:
    """A policy as typed on the insurance card form (text as entered)."""

    rank: str
    company_id: uuid.UUID | None
    member_id: str
    group_number: str = ""
    plan_name: str = ""
    subscriber_relation: str = "self"
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: date | None = None
    copay: str = ""
    effective_on: date | None = None
    expires_on: date | None = None


@dataclass(frozen=True)
class Policy:
    id: uuid.UUID
    version: int
    rank: str
    company_id: uuid.UUID
    company_name: str
    payer_id: str | None
    plan_name: str | None
    member_id: str
    group_number: str | None
    subscriber_relation: str
    subscriber_first_name: str | None
    subscriber_last_name: str | None
    subscriber_date_of_birth: date | None
    copay: Decimal | None
    effective_on: date | None
    expires_on: date | None

    def in_force(self, today: date) -> bool:
        return (self.effective_on is None or self.effective_on <= today) and (
            self.expires_on is None or today <= self.expires_on)


def normalise_member_id(text: str) -> str:
    """A member id as compared and indexed: upper case, spaces and hyphens dropped."""
    return re.sub(r"[\s-]+", "", text).upper()


def _member_binding(policy_id: uuid.UUID) -> str:
    return f"patient_insurance.member_id:{policy_id}"


def member_id_digest(cipher: FieldCipher, member_id: str) -> str:
    return cipher.digest(normalise_member_id(member_id), purpose="member-id")


def _clean_policy(entered: PolicyInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "rank": entered.rank,
        "company_id": entered.company_id,
        "member_id": normalise_member_id(entered.member_id),
        "group_number": clean_text(entered.group_number, "Group number", 50, errors,
                                   "group_number"),
        "plan_name": clean_text(entered.plan_name, "Plan", 200, errors, "plan_name"),
        "subscriber_relation": entered.subscriber_relation,
        "subscriber_first_name": None, "subscriber_last_name": None,
        "subscriber_date_of_birth": None,
        "effective_on": entered.effective_on, "expires_on": entered.expires_on,
        "copay": None,
    }
    if entered.rank not in INSURANCE_RANKS:
        errors["rank"] = "Rank: primary, secondary or tertiary."
    if entered.company_id is None:
        errors["company_id"] = "Payer: choose the insurance company."
    if not _MEMBER_ID.match(values["member_id"]):
        errors["member_id"] = "Member id: required; letters and digits as on the card (at most 40)."
    if entered.subscriber_relation not in SUBSCRIBER_RELATIONS:
        errors["subscriber_relation"] = "Subscriber: self, spouse, child or other."
    elif entered.subscriber_relation != "self":
        values["subscriber_first_name"] = clean_text(
            entered.subscriber_first_name, "Subscriber first name", 100, errors,
            "subscriber_first_name")
        values["subscriber_last_name"] = clean_text(
            entered.subscriber_last_name, "Subscriber last name", 100, errors,
            "subscriber_last_name")
        values["subscriber_date_of_birth"] = entered.subscriber_date_of_birth
        if not values["subscriber_last_name"] and "subscriber_last_name" not in errors:
            errors["subscriber_last_name"] = "Subscriber last name: required when the " \
                "subscriber is not the patient."
        if entered.subscriber_date_of_birth is None:
            errors["subscriber_date_of_birth"] = "Subscriber date of birth: required when the " \
                "subscriber is not the patient."
    if entered.copay.strip():
        try:
            copay = Decimal(entered.copay.strip().lstrip("$").replace(",", ""))
        except InvalidOperation:
            errors["copay"] = "Copay: an amount such as 25.00."
        else:
            if not copay.is_finite() or copay < 0 or copay > COPAY_MAX \
                    or copay != copay.quantize(Decimal("0.01")):
                errors["copay"] = f"Copay: from 0.00 to {COPAY_MAX} in dollars and cents."
            else:
                values["copay"] = copay.quantize(Decimal("0.01"))
    if entered.effective_on and entered.expires_on and entered.expires_on < entered.effective_on:
        errors["expires_on"] = "Expires: on or after the effective date."
    if errors:
        raise InsuranceInvalid(errors)
    return values


def _policy(row: PatientInsurance, company: InsuranceCompany, cipher: FieldCipher) -> Policy:
    return Policy(
        id=row.id, version=row.version, rank=row.rank, company_id=company.id,
        company_name=company.name, payer_id=company.payer_id, plan_name=row.plan_name,
        member_id=cipher.open(row.member_id_cipher, bound_to=_member_binding(row.id)),
        group_number=row.group_number, subscriber_relation=row.subscriber_relation,
        subscriber_first_name=row.subscriber_first_name,
        subscriber_last_name=row.subscriber_last_name,
        subscriber_date_of_birth=row.subscriber_date_of_birth, copay=row.copay,
        effective_on=row.effective_on, expires_on=row.expires_on,
    )


def policies(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> list[Policy]:
    """The patient's live policies, primary first (a PHI read)."""
    patient = readable_patient(session, actor, patient_id)
    cipher = clinic_cipher(session, patient.clinic_id)
    rows = session.execute(
        select(PatientInsurance, InsuranceCompany)
        .join(InsuranceCompany, InsuranceCompany.id == PatientInsurance.company_id)
        .where(PatientInsurance.patient_id == patient_id, PatientInsurance.deleted_at.is_(None))
    ).all()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 reason="insurance")
    found = [_policy(row, company, cipher) for row, company in rows]
    return sorted(found, key=lambda policy: INSURANCE_RANKS.index(policy.rank))


def save_policy(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, policy: PolicyInput,
    policy_id: uuid.UUID | None = None, version: int | None = None,
) -> Policy:
    """Add a policy, or change the one ``policy_id`` opened at ``version``."""
    patient = writable_patient(session, actor, patient_id)
    values = _clean_policy(policy)
    company = session.get(InsuranceCompany, values["company_id"])
    if company is None or company.clinic_id != patient.clinic_id or company.deleted_at:
        raise InsuranceInvalid({"company_id": "Payer: choose the insurance company."})
    holder = session.scalar(select(PatientInsurance.id).where(
        PatientInsurance.patient_id == patient_id, PatientInsurance.rank == values["rank"],
        PatientInsurance.deleted_at.is_(None)))
    if holder is not None and holder != policy_id:
        raise InsuranceInvalid({"rank": f"Rank: the patient already has a {values['rank']} "
                                        "policy; change that one or choose another rank."})
    cipher = clinic_cipher(session, patient.clinic_id)
    bind_actor(session, actor.user_id)
    member_id = values.pop("member_id")
    if policy_id is None:
        row = PatientInsurance(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id)
        session.add(row)
        changed = sorted(name for name, value in values.items() if value is not None)
    else:
        found = session.get(PatientInsurance, policy_id)
        if found is None or found.patient_id != patient_id or found.deleted_at is not None:
            raise InsuranceInvalid({"rank": "This policy was removed; reload the patient."})
        if found.version != version:
            raise StaleRecord()
        row = found
        changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    old_member = (cipher.open(row.member_id_cipher, bound_to=_member_binding(row.id))
                  if row.member_id_cipher else None)
    if old_member != member_id:
        row.member_id_cipher = cipher.seal(member_id, bound_to=_member_binding(row.id))
        row.member_id_digest = member_id_digest(cipher, member_id)
        changed.append("member_id")
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.insurance",
                 resource_type="patient_insurance", resource_id=str(row.id),
                 patient_id=patient_id, changes={"fields": changed})
    return _policy(row, company, cipher)


def remove_policy(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, policy_id: uuid.UUID
) -> None:
    """Take a policy off the patient (kept as a tombstone)."""
    writable_patient(session, actor, patient_id)
    row = session.get(PatientInsurance, policy_id)
    if row is None or row.patient_id != patient_id or row.deleted_at is not None:
        return
    bind_actor(session, actor.user_id)
    row.deleted_at = utcnow()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.insurance",
                 resource_type="patient_insurance", resource_id=str(policy_id),
                 patient_id=patient_id, reason="removed")


def patients_with_member_id(session: Session, actor: Actor, *, member_id: str) -> list[uuid.UUID]:
    """Patients holding a live policy with this member id (blind-index look-up)."""
    require(actor, "patient.read")
    digest = member_id_digest(clinic_cipher(session, actor.seat.clinic_id), member_id)
    return list(session.scalars(select(PatientInsurance.patient_id).where(
        PatientInsurance.clinic_id == actor.seat.clinic_id,
        PatientInsurance.member_id_digest == digest,
        PatientInsurance.deleted_at.is_(None)).distinct()))


# -- guarantor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuarantorInput:
    """Who pays: ``relation`` "self" needs nothing else; anyone else needs a name."""

    relation: str = "self"
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""


@dataclass(frozen=True)
class GuarantorDetails:
    id: uuid.UUID
    version: int
    relation: str
    first_name: str | None
    last_name: str | None
    date_of_birth: date | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    phone: str | None


_GUARANTOR_TEXT = {
    "first_name": ("First name", 100), "last_name": ("Last name", 100),
    "address_line1": ("Address", 200), "address_line2": ("Address line 2", 200),
    "city": ("City", 100), "state": ("State", 50), "postal_code": ("ZIP code", 20),
}


def _guarantor(row: Guarantor) -> GuarantorDetails:
    return GuarantorDetails(
        id=row.id, version=row.version, relation=row.relation, first_name=row.first_name,
        last_name=row.last_name, date_of_birth=row.date_of_birth,
        address_line1=row.address_line1, address_line2=row.address_line2, city=row.city,
        state=row.state, postal_code=row.postal_code, phone=row.phone,
    )


def get_guarantor(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> GuarantorDetails | None:
    """The patient's guarantor (None: not recorded; the patient pays)."""
    readable_patient(session, actor, patient_id)
    row = session.scalar(select(Guarantor).where(Guarantor.patient_id == patient_id,
                                                 Guarantor.deleted_at.is_(None)))
    trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 reason="guarantor")
    return None if row is None else _guarantor(row)


def set_guarantor(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, guarantor: GuarantorInput
) -> GuarantorDetails:
    """Record who pays the patient's balance (replacing the previous guarantor)."""
    patient = writable_patient(session, actor, patient_id)
    errors: dict[str, str] = {}
    if guarantor.relation not in GUARANTOR_RELATIONS:
        errors["relation"] = "Relation: not one of the listed choices."
    values: dict[str, Any] = {name: None for name in _GUARANTOR_TEXT}
    values |= {"relation": guarantor.relation, "date_of_birth": None, "phone": None}
    if guarantor.relation != "self":
        for name, (label, limit) in _GUARANTOR_TEXT.items():
            values[name] = clean_text(getattr(guarantor, name), label, limit, errors, name)
        if not values["last_name"] and "last_name" not in errors:
            errors["last_name"] = "Last name: required for a guarantor other than the patient."
        values["date_of_birth"] = guarantor.date_of_birth
        if guarantor.phone.strip():
            try:
                values["phone"] = format_phone(guarantor.phone)
            except ValueError:
                errors["phone"] = "Phone: not a valid phone number, e.g. (512) 555-0147."
    if errors:
        raise InsuranceInvalid(errors)
    bind_actor(session, actor.user_id)
    row = session.scalar(select(Guarantor).where(Guarantor.patient_id == patient_id))
    if row is None:
        row = Guarantor(clinic_id=patient.clinic_id, patient_id=patient_id)
        session.add(row)
    row.deleted_at = None
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.guarantor",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 changes={"fields": changed})
    return _guarantor(row)
