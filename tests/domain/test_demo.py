"""The demo clinic: one user per role, N realistic synthetic patients with living charts,
built atomically."""

from __future__ import annotations

import random
import re
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from demo_users import sign_in
from sqlalchemy import func, select

from medtrack_desktop.demo import DEMO_PASSWORD, DemoCancelled, create_demo_database
from medtrack_desktop.demo.charts import demo_codes
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.allergies import allergy_status
from medtrack_desktop.domain.chart.models import (
    Encounter,
    Immunization,
    Medication,
    MedicationChange,
    Problem,
    Signature,
    VitalSigns,
)
from medtrack_desktop.domain.chart.signing import verify_signatures
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.models import ROLE_NAMES, Role, User, UserRole
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import SQLITE_PLAINTEXT_HEADER, Store
from medtrack_desktop.store.errors import StoreError

TODAY = date(2026, 11, 25)
N = 200
PHONE = re.compile(r"^\(\d{3}\) \d{3}-\d{4}$")


@dataclass(frozen=True)
class Demo:
    path: Path
    key: bytes
    patients: list[Patient]
    users: list[User]
    roles: dict[str, list[str]]  # username -> role names


def luhn_valid(number: str) -> bool:
    """Independent Luhn check (not the product's own helper)."""
    if not number.isdigit():
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def age_in_years(born: date, today: date = TODAY) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_example_domain(email: str) -> bool:
    """RFC 2606 reserved names: example.com/.net/.org (and their subdomains) or *.example."""
    domain = email.rpartition("@")[2].lower()
    labels = domain.split(".")
    return labels[-1] == "example" or labels[-2:] in (
        ["example", "com"], ["example", "net"], ["example", "org"]
    )


def load(path: Path, key: bytes) -> Demo:
    store = Store.open(path, key)
    try:
        with store.read_session() as session:
            patients = list(session.scalars(select(Patient)))
            users = list(session.scalars(select(User).order_by(User.username)))
            roles: dict[str, list[str]] = {}
            for username, role in session.execute(
                select(User.username, Role.name)
                .join(UserRole, UserRole.user_id == User.id)
                .join(Role, Role.id == UserRole.role_id)
            ):
                roles.setdefault(username, []).append(role)
    finally:
        store.close()
    return Demo(path, key, patients, users, roles)


@pytest.fixture(scope="module")
def demo200(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    path = tmp_path_factory.mktemp("demo200") / "demo.db"
    key = secrets.token_bytes(32)
    progress: list[tuple[int, int]] = []
    summary = create_demo_database(
        path, key, patients=N, today=TODAY, progress=lambda d, t: progress.append((d, t))
    )
    assert summary.patients == N
    assert progress[-1] == (N, N)
    return load(path, key)


def test_demo_has_exactly_n_patients(demo200: Demo) -> None:
    assert len(demo200.patients) == N


@pytest.mark.parametrize("count", [0, 7])
def test_demo_patient_count_for_other_sizes(tmp_path: Path, db_key: bytes, count: int) -> None:
    summary = create_demo_database(tmp_path / "small.db", db_key, patients=count, today=TODAY)
    demo = load(tmp_path / "small.db", db_key)
    assert summary.patients == len(demo.patients) == count


def test_one_user_per_role_and_the_patient_user_is_linked_to_a_patient(demo200: Demo) -> None:
    assert len(demo200.users) == 7
    assert all(len(roles) == 1 for roles in demo200.roles.values())
    by_role = {roles[0]: username for username, roles in demo200.roles.items()}
    assert set(by_role) == set(ROLE_NAMES)

    users = {user.username: user for user in demo200.users}
    portal = users[by_role["patient"]]
    patient_ids = {patient.id for patient in demo200.patients}
    assert portal.patient_id in patient_ids
    linked = next(p for p in demo200.patients if p.id == portal.patient_id)
    assert age_in_years(linked.date_of_birth) >= 18
    others = [user for user in demo200.users if user.username != portal.username]
    assert all(user.patient_id is None for user in others)


def test_every_demo_user_logs_in_with_the_documented_password(demo200: Demo) -> None:
    store = Store.open(demo200.path, demo200.key)
    try:
        with store.session() as session:
            seat = current_seat(session)
            assert seat is not None
            outcomes = {
                user.username: authenticate(
                    session, seat=seat, username=user.username, password=DEMO_PASSWORD
                )
                for user in demo200.users
            }
    finally:
        store.close()
    assert {name: outcome.ok for name, outcome in outcomes.items()} == {
        user.username: True for user in demo200.users
    }


def test_names_are_varied(demo200: Demo) -> None:
    names = [
        name
        for patient in demo200.patients
        for name in (patient.first_name, patient.middle_name, patient.last_name)
        if name
    ]
    assert any(not name.isascii() for name in names), "accented names"
    assert any("'" in name for name in names), "apostrophes"
    assert any("-" in name for name in names), "hyphens"
    assert len({p.last_name for p in demo200.patients}) >= 40
    assert len({p.first_name for p in demo200.patients}) >= 40


def test_ages_span_zero_to_one_hundred(demo200: Demo) -> None:
    births = [patient.date_of_birth for patient in demo200.patients]
    assert max(births) <= TODAY
    ages = [age_in_years(born) for born in births]
    assert min(ages) < 2
    assert 98 <= max(ages) <= 100
    # Spread, not two clusters: every decade has patients.
    assert {age // 10 for age in ages} >= set(range(10))


def test_mrns_are_unique_and_luhn_valid(demo200: Demo) -> None:
    mrns = [patient.mrn for patient in demo200.patients]
    assert len(set(mrns)) == N
    assert [mrn for mrn in mrns if not luhn_valid(mrn)] == []
    assert not luhn_valid(mrns[0][:-1] + str((int(mrns[0][-1]) + 1) % 10))  # the check works


def test_emails_use_only_reserved_example_domains(demo200: Demo) -> None:
    emails = [p.email for p in demo200.patients if p.email] + [
        u.email for u in demo200.users if u.email
    ]
    assert len(emails) >= 50
    assert [email for email in emails if not is_example_domain(email)] == []
    assert all(re.fullmatch(r"[^@\s]+@[^@\s]+", email) for email in emails)


def test_patients_have_addresses_and_well_formed_phones(demo200: Demo) -> None:
    for patient in demo200.patients:
        assert patient.address_line1 and patient.city and patient.state and patient.postal_code
        for phone in (patient.phone_home, patient.phone_mobile):
            assert phone is None or PHONE.match(phone), phone
    adults = [p for p in demo200.patients if age_in_years(p.date_of_birth) >= 18]
    assert all(p.phone_home or p.phone_mobile for p in adults)


def test_demo_database_is_encrypted(demo200: Demo) -> None:
    raw = demo200.path.read_bytes()
    assert not raw.startswith(SQLITE_PLAINTEXT_HEADER)
    assert demo200.patients[0].last_name.encode() not in raw


# -- atomic build -------------------------------------------------------------------------------


def test_cancelling_before_the_patients_leaves_no_files(tmp_path: Path, db_key: bytes) -> None:
    target = tmp_path / "demo.db"
    with pytest.raises(DemoCancelled):
        create_demo_database(target, db_key, patients=50, today=TODAY, cancelled=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_cancelling_after_a_committed_batch_leaves_no_files(
    tmp_path: Path, db_key: bytes
) -> None:
    target = tmp_path / "demo.db"
    asked: list[int] = []
    progress: list[int] = []

    def cancel_on_second_batch() -> bool:
        asked.append(1)
        return len(asked) >= 2

    with pytest.raises(DemoCancelled):
        create_demo_database(
            target, db_key, patients=1001, today=TODAY,
            progress=lambda done, _total: progress.append(done), cancelled=cancel_on_second_batch,
        )
    assert progress == [1000]  # one batch was committed before the cancel
    assert list(tmp_path.iterdir()) == []


def test_building_over_an_existing_path_is_refused(tmp_path: Path, db_key: bytes) -> None:
    target = tmp_path / "demo.db"
    target.write_bytes(b"somebody's database")
    with pytest.raises(StoreError, match="exists already"):
        create_demo_database(target, db_key, patients=5, today=TODAY)
    assert target.read_bytes() == b"somebody's database"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]


def test_a_negative_patient_count_is_refused(tmp_path: Path, db_key: bytes) -> None:
    with pytest.raises(StoreError, match="negative"):
        create_demo_database(tmp_path / "demo.db", db_key, patients=-1, today=TODAY)
    assert list(tmp_path.iterdir()) == []


def test_a_one_patient_demo_still_has_a_user_per_role(tmp_path: Path) -> None:
    """With a single (young) patient the portal user links to that patient."""
    key = secrets.token_bytes(32)
    path = tmp_path / "tiny.db"
    create_demo_database(path, key, patients=1, today=TODAY)
    demo = load(path, key)
    assert len(demo.patients) == 1
    assert sorted(role for roles in demo.roles.values() for role in roles) == sorted(ROLE_NAMES)
    portal = next(user for user in demo.users if demo.roles[user.username] == ["patient"])
    assert portal.patient_id == demo.patients[0].id


def test_the_demo_has_a_restricted_record_to_try_break_the_glass(demo_store: Store) -> None:
    from medtrack_desktop.demo import DEMO_RESTRICTED_MRN
    from medtrack_desktop.domain.calls import perform
    from medtrack_desktop.domain.patients.access import RestrictedRecord, open_patient_by_mrn

    def actor(username: str):
        with demo_store.session() as session:
            seat = current_seat(session)
            assert seat is not None
            outcome = authenticate(session, seat=seat, username=username,
                                   password=DEMO_PASSWORD)
        assert outcome.actor is not None
        return outcome.actor

    opened = perform(demo_store, actor("physician"), open_patient_by_mrn, mrn=DEMO_RESTRICTED_MRN)
    assert opened.restricted and opened.access == "care_team"
    with pytest.raises(RestrictedRecord) as nurse:
        perform(demo_store, actor("nurse"), open_patient_by_mrn, mrn=DEMO_RESTRICTED_MRN)
    assert nurse.value.can_break_glass
    with pytest.raises(RestrictedRecord) as front_desk:
        perform(demo_store, actor("frontdesk"), open_patient_by_mrn, mrn=DEMO_RESTRICTED_MRN)
    assert not front_desk.value.can_break_glass


# -- charts -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo200_store(demo200: Demo) -> Iterator[Store]:
    """The 200-patient demo opened (shared by the chart checks; they only read, and verify)."""
    store = Store.open(demo200.path, demo200.key)
    yield store
    store.close()


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_every_patient_has_a_chart_of_1_to_15_visits(demo200: Demo, demo200_store: Store) -> None:
    with demo200_store.read_session() as session:
        per_patient = dict(session.execute(select(Encounter.patient_id, func.count())
                                           .group_by(Encounter.patient_id)).all())
        rows = session.execute(select(Encounter.status, Encounter.starts_at, Encounter.reason,
                                      Encounter.subjective, Encounter.plan,
                                      Encounter.review_of_systems, Encounter.cancelled_reason))
        encounters = rows.all()
    assert set(per_patient) == {patient.id for patient in demo200.patients}
    assert all(1 <= count <= 15 for count in per_patient.values())
    statuses = Counter(row.status for row in encounters)
    assert statuses["signed"] > 0.9 * len(encounters)
    assert statuses["cancelled"] > 0 and statuses["draft"] + statuses["in_progress"] > 0
    for row in encounters:
        assert row.starts_at.date() <= TODAY
        if row.status in ("draft", "in_progress"):  # open notes are the last days' visits
            assert (TODAY - row.starts_at.date()).days <= 5
        if row.status == "signed":
            assert row.reason and row.subjective and row.plan and row.review_of_systems
        assert (row.status == "cancelled") == bool(row.cancelled_reason)


def test_signed_visits_have_one_signature_each_and_they_verify(demo200_store: Store) -> None:
    physician = sign_in(demo200_store, "physician")
    with demo200_store.read_session() as session:
        signed = set(session.scalars(select(Encounter.id).where(Encounter.status == "signed")))
        signatures = session.execute(select(Signature.record_id, Signature.signer_id,
                                            Signature.meaning)).all()
    assert Counter(row.record_id for row in signatures) == Counter(signed)  # one each
    assert {(row.signer_id, row.meaning) for row in signatures} == {
        (physician.user_id, "authorship")}
    for encounter_id in random.Random(7).sample(sorted(signed), 40):
        checks = perform(demo200_store, physician, verify_signatures, encounter_id=encounter_id)
        assert len(checks) == 1 and checks[0].valid, encounter_id


def test_allergies_are_no_known_listed_or_not_recorded_about_a_third_each(
    demo200: Demo, demo200_store: Store,
) -> None:
    physician = sign_in(demo200_store, "physician")  # on the restricted record's care team
    states = Counter(
        perform(demo200_store, physician, allergy_status, patient_id=patient.id).state
        for patient in demo200.patients)
    assert set(states) == {"not_recorded", "no_known_allergies", "allergies"}
    assert all(0.2 * N < count < 0.47 * N for count in states.values()), states


def test_problem_codes_are_real_icd10_cm_codes_with_their_titles(demo200_store: Store) -> None:
    from medtrack_desktop.domain.chart import icd10

    used = dict(demo_codes())
    for code, title in used.items():
        found = icd10.get_code(code)
        assert found is not None and found.billable, code
        assert found.description == title, code
    with demo200_store.read_session() as session:
        problems = session.execute(select(Problem.code_system, Problem.code, Problem.title,
                                          Problem.status)).all()
    assert {row.code_system for row in problems} == {"ICD-10-CM"}
    assert all(used.get(row.code) == row.title for row in problems)
    codes = {row.code for row in problems}
    assert {"I10", "E11.9", "E78.5", "E03.9"} <= codes
    assert {"chronic", "active", "resolved"} <= {row.status for row in problems}


def test_conditions_are_treated_and_every_medication_has_its_history(
    demo200_store: Store,
) -> None:
    with demo200_store.read_session() as session:
        medications = list(session.scalars(select(Medication)))
        history = session.execute(select(MedicationChange.medication_id, MedicationChange.change,
                                         MedicationChange.changed_at,
                                         MedicationChange.after)).all()
        diabetic = set(session.scalars(select(Problem.patient_id).where(Problem.code == "E11.9")))
    changes: dict[uuid.UUID, list[Any]] = {}
    for row in sorted(history, key=lambda row: row.changed_at):
        changes.setdefault(row.medication_id, []).append(row)
    for medication in medications:
        story = changes[medication.id]
        assert story[0].change == "started"
        assert story[-1].after["status"] == medication.status
        assert (story[-1].change == medication.status) or medication.status == "active"
        if medication.status == "discontinued":
            assert medication.status_reason and medication.end_on
        if medication.end_on is not None:
            assert medication.start_on is not None and medication.end_on >= medication.start_on
    metformin = {m.patient_id for m in medications if m.name == "Metformin"}
    assert diabetic and diabetic <= metformin
    assert {"started", "changed", "discontinued", "completed"} <= {row.change for row in history}


def test_vitals_are_plausible_for_the_age_with_bmi_computed(
    demo200: Demo, demo200_store: Store,
) -> None:
    from medtrack_desktop.domain.chart.vital_measures import bmi, check_set
    from medtrack_desktop.domain.chart.vitals import COLUMNS

    born = {patient.id: patient.date_of_birth for patient in demo200.patients}
    with demo200_store.read_session() as session:
        sets = list(session.scalars(select(VitalSigns)))
    assert len(sets) > N
    for row in sets:
        values = {kind: getattr(row, column.key) for kind, column in COLUMNS.items()}
        verdicts = check_set(values, age_years=age_on(born[row.patient_id], row.taken_at.date()))
        assert [v for v in verdicts if not v.ok] == [], row.id
        assert row.bmi == bmi(row.weight_kg, row.height_cm)


def test_immunizations_are_cvx_coded_and_fit_the_age(demo200: Demo, demo200_store: Store) -> None:
    from medtrack_desktop.domain.chart.immunizations import find_vaccine

    born = {patient.id: patient.date_of_birth for patient in demo200.patients}
    with demo200_store.read_session() as session:
        given = list(session.scalars(select(Immunization)))
    assert len(given) > N
    for row in given:
        vaccine = find_vaccine(row.cvx_code)
        assert vaccine is not None and vaccine.name == row.vaccine
        assert born[row.patient_id] <= row.administered_on <= TODAY
        age = age_on(born[row.patient_id], row.administered_on)
        if row.cvx_code in ("116", "08", "110"):  # rotavirus, birth hepatitis B, Pediarix
            assert age < 1
        if row.cvx_code == "187":  # shingles
            assert age >= 50
        assert (row.administered_by_id is None) != (row.administered_by is None)


def test_a_chart_is_the_same_story_for_the_same_seed() -> None:
    from medtrack_desktop.demo.chart_story import ChartRows, PatientChart, Staff

    staff = Staff(clinic_id=uuid.uuid4(), physician=uuid.uuid4(), physician_name="Dr",
                  nurse=uuid.uuid4(), assistant=uuid.uuid4())

    def story(seed: str) -> list[tuple[Any, ...]]:
        rows = ChartRows()
        PatientChart(rows, staff, uuid.uuid4(), date(1961, 3, 9), "female", today=TODAY,
                     zone=ZoneInfo("America/Chicago"), rng=random.Random(seed)).build()
        return [(row["starts_at"], row["reason"], row["subjective"], row["plan"])
                for row in rows.encounters]

    assert story("2026:chart:1") == story("2026:chart:1")
    assert story("2026:chart:1") != story("2026:chart:2")
