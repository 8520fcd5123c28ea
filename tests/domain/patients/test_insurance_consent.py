"""Payers, policies (sealed member ids, one live policy per rank), guarantor and consents."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from demo_users import sign_in
from registry_data import TODAY, register_tricky
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.consent import (
    ConsentInvalid,
    consents,
    record_consent,
    withdraw_consent,
)
from medtrack_desktop.domain.patients.insurance import (
    GuarantorInput,
    InsuranceInvalid,
    PolicyInput,
    add_payer,
    get_guarantor,
    list_payers,
    patients_with_member_id,
    policies,
    remove_policy,
    save_policy,
    set_guarantor,
)
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import PatientRecord, StaleRecord
from medtrack_desktop.store.engine import Store, connect_raw


@pytest.fixture
def clinic(store: Store) -> tuple[Actor, dict[str, PatientRecord]]:
    return register_tricky(store)


def policy_for(store: Store, actor: Actor) -> PolicyInput:
    with store.session() as session:
        payer = add_payer(session, actor, name="Blue Star Health", payer_id="BSH01",
                          phone="800-555-0100")
    return PolicyInput(rank="primary", company_id=payer.id, member_id="xyz-123 456",
                       group_number="G-77", copay="$25")


def test_a_policy_keeps_its_member_id_sealed_and_findable(
    tmp_path: Path, db_key: bytes, store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    patient = records["garcia"].id
    entered = policy_for(store, actor)
    with store.session() as session:
        saved = save_policy(session, actor, patient_id=patient, policy=entered)
    assert (saved.member_id, saved.copay, saved.company_name) == (
        "XYZ123456", Decimal("25.00"), "Blue Star Health")
    with store.session() as session:
        assert patients_with_member_id(session, actor, member_id="xyz 123-456") == [patient]
        assert [p.id for p in policies(session, actor, patient_id=patient)] == [saved.id]
        assert [p.name for p in list_payers(session, actor, text="star")] == ["Blue Star Health"]
    store.close()
    connection = connect_raw(tmp_path / "workstation.db", db_key)
    rows = connection.execute("SELECT * FROM patient_insurance").fetchall()
    connection.close()
    assert "XYZ123456" not in repr(rows)


def test_one_live_policy_per_rank_and_removal_frees_it(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    patient = records["garcia"].id
    entered = policy_for(store, actor)
    with store.session() as session:
        first = save_policy(session, actor, patient_id=patient, policy=entered)
    with store.session() as session, pytest.raises(InsuranceInvalid) as raised:
        save_policy(session, actor, patient_id=patient, policy=entered)
    assert "already has a primary" in raised.value.errors["rank"]
    with store.session() as session:
        remove_policy(session, actor, patient_id=patient, policy_id=first.id)
    with store.session() as session:
        again = save_policy(session, actor, patient_id=patient, policy=entered)
        assert [p.id for p in policies(session, actor, patient_id=patient)] == [again.id]


def test_policy_fields_are_checked_at_the_field(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    entered = dataclasses.replace(
        policy_for(store, actor), rank="quaternary", member_id="", copay="-3",
        subscriber_relation="spouse", effective_on=date(2026, 5, 1), expires_on=date(2026, 1, 1))
    with store.session() as session, pytest.raises(InsuranceInvalid) as raised:
        save_policy(session, actor, patient_id=records["garcia"].id, policy=entered)
    assert set(raised.value.errors) == {"rank", "member_id", "copay", "subscriber_last_name",
                                        "subscriber_date_of_birth", "expires_on"}


def test_a_policy_edited_on_a_stale_copy_is_refused(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    patient, entered = records["garcia"].id, policy_for(store, actor)
    with store.session() as session:
        saved = save_policy(session, actor, patient_id=patient, policy=entered)
    with store.session() as session:
        save_policy(session, actor, patient_id=patient, policy_id=saved.id,
                    version=saved.version, policy=dataclasses.replace(entered, plan_name="PPO"))
    with store.session() as session, pytest.raises(StaleRecord):
        save_policy(session, actor, patient_id=patient, policy_id=saved.id,
                    version=saved.version, policy=dataclasses.replace(entered, plan_name="HMO"))


def test_guarantor_self_or_another_person(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    patient = records["nguyen"].id
    with store.session() as session:
        assert get_guarantor(session, actor, patient_id=patient) is None
    with store.session() as session, pytest.raises(InsuranceInvalid) as raised:
        set_guarantor(session, actor, patient_id=patient,
                      guarantor=GuarantorInput(relation="parent", phone="12"))
    assert set(raised.value.errors) == {"last_name", "phone"}
    with store.session() as session:
        set_guarantor(session, actor, patient_id=patient, guarantor=GuarantorInput(
            relation="parent", first_name="Thi", last_name="Nguyễn", phone="(512) 555-0111"))
    with store.session() as session:
        kept = get_guarantor(session, actor, patient_id=patient)
        assert kept is not None and (kept.relation, kept.last_name, kept.phone) == (
            "parent", "Nguyễn", "(512) 555-0111")
        set_guarantor(session, actor, patient_id=patient, guarantor=GuarantorInput())
    with store.session() as session:
        self_pays = get_guarantor(session, actor, patient_id=patient)
        assert self_pays is not None and (self_pays.relation, self_pays.last_name) == (
            "self", None)


def test_consent_is_given_and_withdrawn_never_erased(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    patient = records["cher"].id
    with store.session() as session:
        given = record_consent(session, actor, patient_id=patient, kind="phi_disclosure",
                               granted_on=date(2026, 1, 5), today=TODAY,
                               disclosure_to="Dr Alvarez, cardiology")
    assert given.in_force(TODAY)
    with store.session() as session:
        withdrawn = withdraw_consent(session, actor, patient_id=patient, consent_id=given.id,
                                     withdrawn_on=date(2026, 6, 1), reason="Changed her mind",
                                     today=TODAY)
    assert not withdrawn.in_force(TODAY) and withdrawn.in_force(date(2026, 5, 31))
    with store.session() as session, pytest.raises(ConsentInvalid, match="already withdrawn"):
        withdraw_consent(session, actor, patient_id=patient, consent_id=given.id,
                         withdrawn_on=TODAY, reason="again", today=TODAY)
    with store.session() as session:
        record_consent(session, actor, patient_id=patient, kind="treatment",
                       granted_on=TODAY, today=TODAY)
    with store.session() as session:
        kinds = [(c.kind, c.withdrawn_on) for c in consents(session, actor, patient_id=patient)]
    assert kinds == [("treatment", None), ("phi_disclosure", date(2026, 6, 1))]


def test_consent_fields_are_checked(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    with store.session() as session, pytest.raises(ConsentInvalid) as raised:
        record_consent(session, actor, patient_id=records["cher"].id, kind="phi_disclosure",
                       granted_on=date(2027, 1, 1), expires_on=date(2026, 1, 1), today=TODAY)
    assert set(raised.value.errors) == {"granted_on", "expires_on", "disclosure_to"}


def test_coverage_reads_are_audited_and_writes_need_patient_write(demo_store: Store) -> None:
    frontdesk, biller = sign_in(demo_store, "frontdesk"), sign_in(demo_store, "biller")
    with demo_store.read_session() as session:
        patient = session.scalars(select(Patient.id).order_by(Patient.mrn)).first()
    assert patient is not None
    with demo_store.session() as session:
        assert all(p.member_id for p in policies(session, biller, patient_id=patient))
    with demo_store.session() as session, pytest.raises(PermissionDenied):
        record_consent(session, biller, patient_id=patient, kind="treatment", granted_on=TODAY,
                       today=TODAY)
    with demo_store.session() as session:
        record_consent(session, frontdesk, patient_id=patient, kind="treatment",
                       granted_on=TODAY, today=TODAY)
    with demo_store.read_session() as session:
        seen = session.execute(select(AuditEntry.action, AuditEntry.reason).where(
            AuditEntry.patient_id == patient).order_by(AuditEntry.seq)).all()
    assert ("patient.read", "insurance") in seen
    assert ("patient.consent", "granted treatment") in seen
