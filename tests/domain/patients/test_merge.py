"""Merging a duplicate: every record moves, unique keys are settled, the duplicate becomes a
tombstone pointing at the survivor, a fault anywhere leaves everything as it was, and the same
code runs on PostgreSQL."""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from demo_users import sign_in
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.audit.trail import verify_trail
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.allergies import AllergyInput, save_allergy
from medtrack_desktop.domain.chart.documents import attach_document
from medtrack_desktop.domain.chart.encounters import (
    EncounterInput,
    NoteDraft,
    add_clinical_note,
    save_note,
    start_encounter,
)
from medtrack_desktop.domain.chart.immunizations import ImmunizationInput, record_immunization
from medtrack_desktop.domain.chart.medications import MedicationInput, start_medication
from medtrack_desktop.domain.chart.problems import ProblemInput, save_problem
from medtrack_desktop.domain.chart.procedures import ProcedureInput, record_procedure
from medtrack_desktop.domain.chart.signing import (
    save_amendment,
    sign_amendment,
    sign_encounter,
    start_amendment,
)
from medtrack_desktop.domain.chart.vitals import VitalsInput, record_vitals
from medtrack_desktop.domain.identity.accounts import add_user, set_active
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import current_seat, initialize_workstation
from medtrack_desktop.domain.models import metadata
from medtrack_desktop.domain.patients.access import (
    PatientMerged,
    PatientNotFound,
    open_patient,
    open_patient_by_mrn,
    set_privacy,
)
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.merge import (
    MergeReasonError,
    MergeRefused,
    MergeResult,
    merge_candidate,
    merge_patients,
    patient_links,
)
from medtrack_desktop.domain.patients.models import (
    CareTeamMember,
    Guarantor,
    InsuranceCompany,
    Patient,
    PatientConsent,
    PatientInsurance,
    PatientMerge,
    PatientSearchTerm,
)
from medtrack_desktop.domain.patients.registry import (
    demographic_history,
    get_patient,
    register_patient,
    update_demographics,
)
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.domain.scheduling.appointments import Booking, book_appointment, set_status
from medtrack_desktop.domain.scheduling.recurrence import book_series
from medtrack_desktop.domain.scheduling.reminders import queue_reminders, set_reminder_preference
from medtrack_desktop.domain.scheduling.setup import CategoryInput, add_facility, save_category
from medtrack_desktop.domain.scheduling.waitlist import add_to_waitlist
from medtrack_desktop.store.base import bind_actor
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

TODAY = date(2026, 11, 26)
REASON = "Same person registered twice at the front desk"
STAFF = {"frontdesk": "front_desk", "nurse": "nurse", "physician": "physician",
         "admin": "admin"}


@dataclass(frozen=True)
class Duplicates:
    survivor: uuid.UUID
    survivor_mrn: str
    duplicate: uuid.UUID
    duplicate_mrn: str


def open_clinic(store: Store) -> Duplicates:
    """A clinic with staff and two records of one person, registered through the services."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Merge Test Clinic",
                                      workstation_name="Front 1")
    system = Actor.system(seat, name="test")
    for username, role in STAFF.items():
        perform(store, system, add_user, username=username, password=DEMO_PASSWORD,
                first_name=username.title(), last_name="Staff", roles=(role,))
    records = [
        perform(store, system, register_patient, today=TODAY, demographics=Demographics(
            last_name="Keller", first_name=first, sex="female", date_of_birth=date(1980, 5, 17),
            phone_mobile=phone))
        for first, phone in (("Anna", "(512) 555-0101"), ("Ana", "(737) 555-0199"))
    ]
    return Duplicates(records[0].id, records[0].mrn, records[1].id, records[1].mrn)


def add_policy(session: Session, patient_id: uuid.UUID, rank: str) -> PatientInsurance:
    company = InsuranceCompany(clinic_id=_clinic(session), name=f"Payer {rank}", payer_id="60054")
    session.add(company)
    session.flush()
    # The member id is sealed by the insurance services; its bytes do not matter here.
    policy = PatientInsurance(clinic_id=company.clinic_id, patient_id=patient_id,
                              company_id=company.id, rank=rank, member_id_cipher=b"sealed",
                              member_id_digest=f"digest-{rank}-{patient_id}",
                              copay=Decimal("25.00"))
    session.add(policy)
    session.flush()
    return policy


def _clinic(session: Session) -> uuid.UUID:
    return session.scalars(select(Clinic.id)).one()


def fill_record(store: Store, patient_id: uuid.UUID, *, portal: str | None = "portal",
                care_team: tuple[str, ...] = ("physician", "nurse"), hour: int = 9) -> None:
    """A row in every table that points at a patient, written the way the app writes it."""
    system = system_actor(store)
    perform(store, system, set_privacy, patient_id=patient_id, restricted=False,
            care_team=care_team)
    record = perform(store, system, get_patient, patient_id=patient_id)
    perform(store, system, update_demographics, patient_id=patient_id, version=record.version,
            today=TODAY, demographics=dataclasses.replace(record.demographics,
                                                          email="keller@example.org"))
    with store.session() as session:
        bind_actor(session, None)
        add_policy(session, patient_id, "primary")
        add_policy(session, patient_id, "secondary")
        session.add(Guarantor(clinic_id=_clinic(session), patient_id=patient_id,
                              relation="parent", last_name="Keller"))
        for kind in ("treatment", "phi_disclosure"):
            session.add(PatientConsent(clinic_id=_clinic(session), patient_id=patient_id,
                                       kind=kind, granted_on=date(2024, 1, 2)))
    if portal:
        perform(store, system, add_user, username=portal, password=DEMO_PASSWORD,
                first_name="Ana", last_name="Keller", roles=("patient",), patient_id=patient_id)
    fill_chart(store, patient_id)
    fill_schedule(store, patient_id, hour=hour)


def fill_schedule(store: Store, patient_id: uuid.UUID, *, hour: int) -> None:
    """An appointment with the physician at ``hour``, confirmed (a status history), a weekly
    series, a place on the waitlist, a reminder preference and queued reminders."""
    admin, desk = sign_in(store, "admin"), sign_in(store, "frontdesk")
    facility = perform(store, admin, add_facility, name=f"Site {hour}")
    category = perform(store, admin, save_category,
                       category=CategoryInput(name=f"Visit {hour}"))
    physician = sign_in(store, "physician").user_id
    booked = perform(store, desk, book_appointment, booking=Booking(
        patient_id=patient_id, provider_id=physician, facility_id=facility,
        category_id=category, starts_at=datetime(2026, 12, 1, hour, tzinfo=UTC)))
    perform(store, desk, set_status, appointment_id=booked.id, version=booked.version,
            status="confirmed")
    perform(store, desk, book_series, rule="FREQ=WEEKLY;COUNT=2", booking=Booking(
        patient_id=patient_id, provider_id=physician, facility_id=facility,
        category_id=category, starts_at=datetime(2026, 12, 2, hour, tzinfo=UTC)))
    perform(store, desk, add_to_waitlist, patient_id=patient_id, provider_id=physician,
            earliest_day=date(2026, 12, 1), latest_day=date(2026, 12, 20))
    perform(store, desk, set_reminder_preference, patient_id=patient_id, email=True,
            sms=False, opted_out=False)
    perform(store, desk, queue_reminders, now=datetime(2026, 11, 29, tzinfo=UTC))


def fill_chart(store: Store, patient_id: uuid.UUID) -> None:
    """A chart with a row in every chart table: a visit with a nursing note, vitals and a
    document, signed, then amended and the amendment signed; lists and history."""
    physician, nurse = sign_in(store, "physician"), sign_in(store, "nurse")
    when = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

    def call(actor: Actor, service: Callable[..., Any], **arguments: Any) -> Any:
        return perform(store, actor, service, patient_id=patient_id, **arguments)

    visit = call(physician, start_encounter, entered=EncounterInput(
        encounter_type="office", starts_at=when, reason="Cough"), now=when)
    version = perform(store, physician, save_note, encounter_id=visit.id, version=visit.version,
                      draft=NoteDraft(subjective="Dry cough for a week.", plan="Fluids."))
    perform(store, nurse, add_clinical_note, encounter_id=visit.id, note_type="nursing",
            title="Intake", body="Afebrile.")
    call(nurse, record_vitals, taken_at=when, entered=VitalsInput(pulse="72"),
         encounter_id=visit.id)
    call(nurse, attach_document, title="Referral letter", category="referral",
         file_name="referral.txt", data=b"Dear colleague,\n", encounter_id=visit.id)
    perform(store, physician, sign_encounter, encounter_id=visit.id, version=version,
            password=DEMO_PASSWORD)
    draft = perform(store, physician, start_amendment, encounter_id=visit.id,
                    reason="Plan completed")
    version = perform(store, physician, save_amendment, amendment_id=draft.amendment_id,
                      version=draft.version,
                      draft=NoteDraft(subjective="Dry cough for a week.", plan="Fluids, rest."))
    perform(store, physician, sign_amendment, amendment_id=draft.amendment_id, version=version,
            password=DEMO_PASSWORD)
    call(physician, save_problem, problem=ProblemInput(code="J45.909"), today=TODAY)
    call(physician, save_allergy, allergy=AllergyInput(allergen="Penicillin"), today=TODAY)
    call(physician, start_medication, today=TODAY,
         medication=MedicationInput(name="Albuterol", dose="2", dose_unit="puffs"))
    call(nurse, record_immunization, today=TODAY,
         immunization=ImmunizationInput(cvx_code="150", administered_on=TODAY))
    call(physician, record_procedure, today=TODAY,
         procedure=ProcedureInput(code="94010", description="Spirometry",
                                  performed_on=TODAY))


def system_actor(store: Store) -> Actor:
    with store.read_session() as session:
        seat = current_seat(session)
    assert seat is not None
    return Actor.system(seat, name="test")


def rows_of(store: Store, patient_id: uuid.UUID) -> dict[str, set[uuid.UUID]]:
    """Every moved-table row that points at the patient, by table."""
    found: dict[str, set[uuid.UUID]] = {}
    with store.read_session() as session:
        for link in patient_links():
            ids = set(session.scalars(select(link.table.c.id).where(link.column == patient_id)))
            if ids:
                found.setdefault(link.table.name, set()).update(ids)
    return found


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    with store.read_session() as session:
        return {table.name: sorted((tuple(row) for row in session.execute(select(table))),
                                   key=repr) for table in metadata.sorted_tables}


def merge(store: Store, actor: Actor, dupes: Duplicates, **kwargs: Any) -> MergeResult:
    arguments = {"survivor_id": dupes.survivor, "merged_id": dupes.duplicate, "reason": REASON}
    return perform(store, actor, merge_patients, **(arguments | kwargs))


@pytest.fixture(scope="module")
def clinic_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, Duplicates]:
    """The clinic, its staff and the filled duplicate, built once (passwords are slow to hash)."""
    key = secrets.token_bytes(32)
    path = tmp_path_factory.mktemp("merge-clinic") / "clinic.db"
    built = Store.open(path, key, create=True)
    upgrade(built.engine)
    found = open_clinic(built)
    fill_record(built, found.duplicate)
    built.close()
    return path, key, found


@pytest.fixture
def store(tmp_path: Path, clinic_template: tuple[Path, bytes, Duplicates]) -> Iterator[Store]:
    """A private copy of the template clinic (in place of the empty database of conftest)."""
    source, key, _found = clinic_template
    shutil.copyfile(source, tmp_path / "clinic.db")
    opened = Store.open(tmp_path / "clinic.db", key)
    yield opened
    opened.close()


@pytest.fixture
def dupes(clinic_template: tuple[Path, bytes, Duplicates]) -> Duplicates:
    return clinic_template[2]


# -- the whole move ---------------------------------------------------------------------------


def test_the_fixture_fills_every_table_that_points_at_a_patient(
    store: Store, dupes: Duplicates
) -> None:
    assert set(rows_of(store, dupes.duplicate)) == {link.table.name for link in patient_links()}, (
        "a new table points at patients: give the duplicate a row of it in fill_record()")


def test_every_record_moves_and_the_duplicate_becomes_a_tombstone(
    store: Store, dupes: Duplicates
) -> None:
    before = rows_of(store, dupes.duplicate)
    survivor_before = rows_of(store, dupes.survivor)
    frontdesk = sign_in(store, "frontdesk")

    result = merge(store, frontdesk, dupes)

    assert rows_of(store, dupes.duplicate) == {}
    after = rows_of(store, dupes.survivor)
    history = after.pop("patient_history")  # plus the survivor's "merged from" row
    assert len(history - before["patient_history"] - survivor_before.get("patient_history",
                                                                           set())) == 1
    assert after == {table: ids | survivor_before.get(table, set())
                     for table, ids in before.items() if table != "patient_history"}
    assert dict(result.moved) == {table: len(ids) for table, ids in before.items()}
    assert (result.tombstoned, result.skipped, result.revived) == ({}, {}, {})
    assert (result.survivor_mrn, result.merged_mrn) == (dupes.survivor_mrn, dupes.duplicate_mrn)

    with store.read_session() as session:
        record = session.scalars(select(PatientMerge)).one()
        assert (record.survivor_id, record.merged_id, record.reason) == (
            dupes.survivor, dupes.duplicate, REASON)
        assert {table: set(map(uuid.UUID, ids)) for table, ids in record.moved.items()
                if table not in ("tombstoned", "skipped", "revived")} == before
        tombstone = session.get_one(Patient, dupes.duplicate)
        assert tombstone.merged_into_id == dupes.survivor and tombstone.deleted_at is not None
        assert session.scalar(select(func.count()).select_from(PatientSearchTerm)
                              .where(PatientSearchTerm.patient_id == dupes.duplicate)) == 0
        moved_policy = session.scalars(select(PatientInsurance)).first()
        assert moved_policy is not None and moved_policy.version == 2
        assert moved_policy.updated_by == frontdesk.user_id
        portal = session.scalars(select(User).where(User.username == "portal")).one()
        assert portal.patient_id == dupes.survivor
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.merge")
                                .order_by(AuditEntry.seq)).all()
        assert [entry.patient_id for entry in audit] == [dupes.survivor, dupes.duplicate]
        assert all(entry.reason == REASON and entry.changes is not None
                   and entry.changes["moved"] == result.moved for entry in audit)
        assert all(check.intact for check in verify_trail(session, system_actor(store)))

    with pytest.raises(PatientMerged) as merged:
        perform(store, frontdesk, open_patient_by_mrn, mrn=dupes.duplicate_mrn)
    assert merged.value.survivor_id == dupes.survivor
    assert dupes.survivor_mrn in str(merged.value)
    with pytest.raises(PatientMerged):
        perform(store, frontdesk, open_patient, patient_id=dupes.duplicate)
    found = perform(store, frontdesk, search_patients, query="keller", today=TODAY)
    assert [match.id for match in found] == [dupes.survivor]
    assert perform(store, frontdesk, search_patients, query="737 555 0199", today=TODAY) == []
    entries = perform(store, system_actor(store), demographic_history,
                      patient_id=dupes.survivor)
    assert entries[0].field == "merge"
    assert entries[0].new_value == f"merged from MRN {dupes.duplicate_mrn}"
    assert {entry.new_value for entry in entries} >= {"keller@example.org"}


def test_records_merged_earlier_into_the_duplicate_point_at_the_new_survivor(
    store: Store, dupes: Duplicates
) -> None:
    frontdesk = sign_in(store, "frontdesk")
    third = perform(store, frontdesk, register_patient, today=TODAY, demographics=Demographics(
        last_name="Keler", first_name="Anna", sex="female", date_of_birth=date(1980, 5, 17)))
    perform(store, frontdesk, merge_patients, survivor_id=dupes.duplicate, merged_id=third.id,
            reason=REASON)
    result = merge(store, frontdesk, dupes)
    assert result.moved["patients"] == 1
    with pytest.raises(PatientMerged) as merged:
        perform(store, frontdesk, open_patient, patient_id=third.id)
    assert merged.value.survivor_id == dupes.survivor


# -- atomic -----------------------------------------------------------------------------------


class Fault(RuntimeError):
    """The database failing in the middle of a merge."""


@contextmanager
def fault_at(store: Store, statement_start: str) -> Iterator[list[str]]:
    """Raise when a statement starting with ``statement_start`` is sent; yields those sent."""
    sent: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)
        if statement.startswith(statement_start):
            raise Fault(statement_start)

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", before)


@pytest.mark.parametrize("statement_start", [
    "UPDATE patient_consents",  # the first table moved
    "UPDATE patient_insurance",  # some tables moved, others not yet
    "UPDATE users",
    "UPDATE patient_care_team",  # the last table moved
    "UPDATE patients",  # every row moved; the tombstone not yet written
    "INSERT INTO patient_merges",
    "DELETE FROM patient_search_terms",
    "INSERT INTO audit_log",  # all done but the audit entries
])
def test_a_fault_anywhere_in_the_merge_leaves_everything_as_it_was(
    store: Store, dupes: Duplicates, statement_start: str
) -> None:
    frontdesk = sign_in(store, "frontdesk")
    before = snapshot(store)
    with fault_at(store, statement_start) as sent, pytest.raises(Fault):
        merge(store, frontdesk, dupes)
    if statement_start != "UPDATE patient_consents":
        assert any(s.startswith("UPDATE") for s in sent[:-1]), "the fault came mid-merge"
    assert snapshot(store) == before
    with store.read_session() as session:
        assert session.scalar(select(func.count()).select_from(PatientMerge)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "patient.merge")) == 0
    assert merge(store, frontdesk, dupes).moved, "the same merge goes through afterwards"


# -- unique keys ------------------------------------------------------------------------------


def live_care_team(store: Store, patient_id: uuid.UUID) -> set[str]:
    with store.read_session() as session:
        return set(session.scalars(
            select(User.username).join(CareTeamMember, CareTeamMember.user_id == User.id)
            .where(CareTeamMember.patient_id == patient_id, CareTeamMember.deleted_at.is_(None))))


def test_care_teams_unite_without_duplicate_members(store: Store, dupes: Duplicates) -> None:
    system = system_actor(store)
    perform(store, system, set_privacy, patient_id=dupes.survivor, restricted=False,
            care_team=("physician", "nurse", "frontdesk"))
    perform(store, system, set_privacy, patient_id=dupes.survivor, restricted=False,
            care_team=("physician", "frontdesk"))  # the nurse left the survivor's team
    result = merge(store, sign_in(store, "frontdesk"), dupes)
    assert live_care_team(store, dupes.survivor) == {"physician", "nurse", "frontdesk"}
    assert result.skipped == {"patient_care_team": 2}  # both already on the survivor's team
    assert result.revived == {"patient_care_team": 1}  # the nurse, removed there, is back
    assert "patient_care_team" not in result.moved
    assert rows_of(store, dupes.duplicate) == {
        "patient_care_team": rows_of(store, dupes.duplicate)["patient_care_team"]}


def test_the_survivor_keeps_its_guarantor_and_its_policy_at_a_rank(
    store: Store, dupes: Duplicates
) -> None:
    with store.session() as session:
        kept_policy = add_policy(session, dupes.survivor, "primary").id
        session.add(Guarantor(clinic_id=_clinic(session), patient_id=dupes.survivor,
                              relation="self"))
    result = merge(store, sign_in(store, "frontdesk"), dupes)
    assert result.tombstoned == {"patient_guarantors": 1, "patient_insurance": 1}
    assert result.moved["patient_insurance"] == 2  # the replaced primary is kept, tombstoned
    with store.read_session() as session:
        policies = session.scalars(select(PatientInsurance)
                                   .where(PatientInsurance.patient_id == dupes.survivor)).all()
        live = {(p.rank, p.id == kept_policy) for p in policies if p.deleted_at is None}
        assert live == {("primary", True), ("secondary", False)}
        assert len(policies) == 3
        guarantors = {g.patient_id: g for g in session.scalars(select(Guarantor))}
        assert guarantors[dupes.survivor].relation == "self"
        assert guarantors[dupes.survivor].deleted_at is None
        left = guarantors[dupes.duplicate]  # stays with the tombstone, tombstoned
        assert left.relation == "parent" and left.deleted_at is not None
        record = session.scalars(select(PatientMerge)).one()
        assert record.moved["tombstoned"]["patient_guarantors"] == [str(left.id)]


def test_two_active_portal_logins_are_refused_until_one_is_disabled(
    store: Store, dupes: Duplicates
) -> None:
    system = system_actor(store)
    perform(store, system, add_user, username="portal2", password=DEMO_PASSWORD,
            first_name="Anna", last_name="Keller", roles=("patient",),
            patient_id=dupes.survivor)
    frontdesk = sign_in(store, "frontdesk")
    before = snapshot(store)
    with pytest.raises(MergeRefused, match=r"active patient portal login \(portal2, portal\)"):
        merge(store, frontdesk, dupes)
    assert snapshot(store) == before
    perform(store, sign_in(store, "admin"), set_active, username="portal2", active=False)
    assert merge(store, frontdesk, dupes).moved["users"] == 1
    with store.read_session() as session:
        assert set(session.scalars(select(User.username)
                                   .where(User.patient_id == dupes.survivor))) == {
            "portal", "portal2"}


# -- privacy, permission, refusals ------------------------------------------------------------


def test_a_restricted_record_is_merged_only_by_its_care_team_and_privacy_wins(
    store: Store, dupes: Duplicates
) -> None:
    system = system_actor(store)
    perform(store, system, set_privacy, patient_id=dupes.duplicate, restricted=True,
            care_team=("physician",))
    frontdesk = sign_in(store, "frontdesk")
    with pytest.raises(PermissionDenied, match=f"MRN {dupes.duplicate_mrn} is a restricted"):
        merge(store, frontdesk, dupes)
    with store.read_session() as session:
        denied = session.scalars(select(AuditEntry)
                                 .where(AuditEntry.action == "permission.denied")).one()
        assert denied.patient_id == dupes.duplicate and denied.reason == "patient.merge"

    perform(store, system, set_privacy, patient_id=dupes.duplicate, restricted=True,
            care_team=("physician", "frontdesk"))
    result = merge(store, frontdesk, dupes)
    assert result.restricted
    assert live_care_team(store, dupes.survivor) == {"physician", "frontdesk"}
    with store.read_session() as session:
        assert session.get_one(Patient, dupes.survivor).restricted
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "patient.merge")).first()
        assert entry is not None and entry.changes is not None
        assert entry.changes["restricted"] == {"old": False, "new": True}


def test_a_nurse_may_not_merge(store: Store, dupes: Duplicates) -> None:
    nurse = sign_in(store, "nurse")
    before = rows_of(store, dupes.duplicate)
    with pytest.raises(PermissionDenied):
        merge(store, nurse, dupes)
    with pytest.raises(PermissionDenied):
        perform(store, nurse, merge_candidate, patient_id=dupes.duplicate)
    assert rows_of(store, dupes.duplicate) == before
    with store.read_session() as session:
        services = session.scalars(select(AuditEntry.changes)
                                   .where(AuditEntry.action == "permission.denied")).all()
    assert [entry["service"] for entry in services if entry] == ["merge_patients",
                                                                "merge_candidate"]


def test_impossible_merges_are_refused_and_change_nothing(
    store: Store, dupes: Duplicates
) -> None:
    frontdesk = sign_in(store, "frontdesk")
    with store.session() as session:  # a record of another clinic in the same database
        other = Clinic(name="Elsewhere")
        session.add(other)
        session.flush()
        stranger = Patient(clinic_id=other.id, mrn="X1", first_name="Ann", last_name="Keller",
                           date_of_birth=date(1980, 5, 17), sex="female")
        session.add(stranger)
        session.flush()
        stranger_id = stranger.id
    before = snapshot(store)
    with pytest.raises(MergeRefused, match="two different records"):
        merge(store, frontdesk, dupes, merged_id=dupes.survivor)
    with pytest.raises(MergeReasonError, match=r"^Reason: "):
        merge(store, frontdesk, dupes, reason="  dup   ")
    for unknown in (uuid.uuid4(), stranger_id):
        with pytest.raises(PatientNotFound):
            merge(store, frontdesk, dupes, merged_id=unknown)
    assert snapshot(store) == before

    merge(store, frontdesk, dupes)
    with pytest.raises(PatientMerged, match=f"merged into MRN {dupes.survivor_mrn}"):
        merge(store, frontdesk, dupes)


def test_the_comparison_shows_each_record_and_what_would_move(
    store: Store, dupes: Duplicates
) -> None:
    frontdesk = sign_in(store, "frontdesk")
    candidate = perform(store, frontdesk, merge_candidate, patient_id=dupes.duplicate)
    assert candidate.record.mrn == dupes.duplicate_mrn
    assert candidate.portal_logins == ("portal",)
    assert dict(candidate.linked) == {table: len(ids) for table, ids
                                      in rows_of(store, dupes.duplicate).items()}
    with store.read_session() as session:
        read = session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.read")
                               .where(AuditEntry.username == "frontdesk")).one()
    assert read.patient_id == dupes.duplicate


def test_the_schema_keeps_what_the_merge_relies_on() -> None:
    """Each moved row has an id and a tombstone, and a partial unique key covers live rows."""
    for link in patient_links():
        assert {"id", "deleted_at"} <= set(link.table.c.keys()), link.table.name
        for index in link.table.indexes:
            for dialect in ("sqlite", "postgresql"):
                where = index.dialect_kwargs.get(f"{dialect}_where")
                assert where is None or str(where) == "deleted_at IS NULL", index.name


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_same_merge_runs_on_postgresql(pg_store: Store) -> None:
    dupes = open_clinic(pg_store)
    fill_record(pg_store, dupes.duplicate)
    fill_record(pg_store, dupes.survivor, portal=None, care_team=("physician",), hour=10)
    frontdesk = sign_in(pg_store, "frontdesk")
    before = snapshot(pg_store)
    with fault_at(pg_store, "UPDATE users"), pytest.raises(Fault):
        merge(pg_store, frontdesk, dupes)
    assert snapshot(pg_store) == before

    moving = rows_of(pg_store, dupes.duplicate)
    result = merge(pg_store, frontdesk, dupes)
    # one allergy review, guarantor and policy per rank: the survivor's own stay in force
    assert result.tombstoned == {"allergy_reviews": 1, "patient_guarantors": 1,
                                 "patient_insurance": 2, "reminder_preferences": 1}
    assert result.skipped == {"patient_care_team": 1}
    kept = ("allergy_reviews", "patient_guarantors", "patient_care_team",
            "reminder_preferences")
    assert result.moved == {table: len(ids) for table, ids in moving.items()
                            if table not in kept} | {"patient_care_team": 1}
    left = rows_of(pg_store, dupes.duplicate)
    assert set(left) == set(kept)
    assert live_care_team(pg_store, dupes.survivor) == {"physician", "nurse"}
    with pytest.raises(PatientMerged):
        perform(pg_store, frontdesk, open_patient_by_mrn, mrn=dupes.duplicate_mrn)
    assert [m.id for m in perform(pg_store, frontdesk, search_patients, query="keller",
                                  today=TODAY)] == [dupes.survivor]
    with pg_store.read_session() as session:
        assert session.execute(text("SELECT count(*) FROM patient_merges")).scalar() == 1
        assert all(check.intact for check in verify_trail(session, system_actor(pg_store)))
