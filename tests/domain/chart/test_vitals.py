"""Vital signs through the chart services, on real encrypted stores (and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from chart_people import add_staff
from demo_users import register_patient_today, sign_in
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.access import ChartRecordNotFound, SignedRecordLocked
from medtrack_desktop.domain.chart.models import Encounter, VitalSigns
from medtrack_desktop.domain.chart.vital_measures import Unit, Vital
from medtrack_desktop.domain.chart.vitals import (
    FEET_INCHES,
    POUNDS_OUNCES,
    RecordedVitals,
    VitalsInput,
    VitalsInvalid,
    VitalsNeedConfirmation,
    format_vital,
    latest_vitals,
    record_vitals,
    remove_vitals,
    vital_series,
    vital_sets,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id, utcnow
from medtrack_desktop.store.engine import Store

STAFF = {"nurse": "nurse", "physician": "physician", "frontdesk": "front_desk"}


@dataclass(frozen=True)
class Clinic:
    store: Store
    nurse: Actor
    frontdesk: Actor
    adult: uuid.UUID    # born 1970
    toddler: uuid.UUID  # three years old


def open_clinic(store: Store) -> Clinic:
    """Staff and two patients, made through the services (real audit, real sign-in)."""
    add_staff(store, STAFF, clinic_name="Vitals Test Clinic", workstation_name="Exam 1")
    today = utcnow().date()
    adult, toddler = (
        register_patient_today(store, last_name=last, first_name="Pat", born=born)
        for last, born in (("Adult", date(1970, 5, 17)),
                           ("Toddler", today.replace(year=today.year - 3) - timedelta(days=30))))
    return Clinic(store, sign_in(store, "nurse"), sign_in(store, "frontdesk"), adult, toddler)


@pytest.fixture
def clinic(clinic_copy: Callable[[Callable[[Store], Clinic]], Clinic]) -> Clinic:
    return clinic_copy(open_clinic)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def any_clinic(request: pytest.FixtureRequest) -> Clinic:
    store = request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
    return open_clinic(store)


def ago(**delta: float) -> datetime:
    return utcnow() - timedelta(**delta)


def record(clinic: Clinic, patient: uuid.UUID | None = None, *, taken_at: datetime | None = None,
           **kwargs: object) -> RecordedVitals:
    options = {key: kwargs.pop(key) for key in ("encounter_id", "confirm_warnings", "now")
               if key in kwargs}
    return perform(clinic.store, clinic.nurse, record_vitals, patient_id=patient or clinic.adult,
                   taken_at=taken_at or ago(minutes=1), entered=VitalsInput(**kwargs), **options)


def count_sets(store: Store) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(VitalSigns))


def add_encounter(clinic: Clinic, patient: uuid.UUID, status: str) -> uuid.UUID:
    """An encounter row straight in the table (the encounter services are not ours)."""
    with clinic.store.session() as session:
        row = Encounter(clinic_id=clinic.nurse.seat.clinic_id, patient_id=patient,
                        provider_id=clinic.nurse.user_id, encounter_type="office",
                        status=status, starts_at=ago(hours=1), reason="Follow-up")
        session.add(row)
        session.flush()
        return row.id


def sign(clinic: Clinic, encounter_id: uuid.UUID) -> None:
    with clinic.store.session() as session:
        session.execute(update(Encounter).where(Encounter.id == encounter_id)
                        .values(status="signed", version=Encounter.version + 1))


# -- units, BMI ----------------------------------------------------------------------------------


def test_us_units_are_stored_canonical_and_bmi_is_computed(clinic: Clinic) -> None:
    saved = record(clinic, height="70", height_unit="in", weight="154.3", weight_unit="lb",
                   temperature="98.7", temperature_unit="°F", pulse="72", bp_systolic="120",
                   bp_diastolic="80", spo2="98", pain="0")
    vitals = saved.vitals
    assert vitals.height_cm == Decimal("177.8")
    assert vitals.weight_kg == Decimal("69.989")
    assert vitals.temperature_c == Decimal("37.06")
    assert vitals.bmi == Decimal("22.1")
    assert (vitals.pulse, vitals.systolic, vitals.diastolic, vitals.spo2, vitals.pain) == (
        72, 120, 80, 98, 0)
    assert saved.bmi_height is None and not vitals.bmi_from_earlier_height
    assert saved.confirmed == ()
    with clinic.store.read_session() as session:
        row = session.get(VitalSigns, vitals.id)
        assert row is not None
        assert (row.height_cm, row.weight_kg, row.bmi, row.temperature_c) == (
            Decimal("177.8"), Decimal("69.989"), Decimal("22.1"), Decimal("37.06"))
        assert row.created_by == clinic.nurse.user_id
    [listed] = perform(clinic.store, clinic.nurse, vital_sets, patient_id=clinic.adult)
    assert listed == vitals
    assert format_vital(Vital.HEIGHT, listed.height_cm, "in") == "70.0 in"
    assert format_vital(Vital.HEIGHT, listed.height_cm, FEET_INCHES) == "5 ft 10.0 in"
    assert format_vital(Vital.TEMPERATURE, listed.temperature_c, "degF") == "98.7 °F"
    assert format_vital(Vital.WEIGHT, listed.weight_kg, "lb") == "154.3 lb"
    assert format_vital(Vital.BMI, listed.bmi) == "22.1 kg/m²"
    assert format_vital(Vital.PULSE, listed.pulse) == "72 /min"
    assert format_vital(Vital.SPO2, listed.spo2) == "98 %"
    assert format_vital(Vital.PAIN, listed.pain) == "0/10"


def test_feet_inches_and_pounds_ounces_entry(clinic: Clinic) -> None:
    adult = record(clinic, height="5", height_unit=FEET_INCHES, height_inches="10").vitals
    assert adult.height_cm == Decimal("177.8")
    toddler = record(clinic, clinic.toddler, weight="30", weight_unit=POUNDS_OUNCES,
                     weight_ounces="8").vitals
    assert toddler.weight_kg == Decimal("13.835")
    assert format_vital(Vital.WEIGHT, toddler.weight_kg, POUNDS_OUNCES) == "30 lb 8.0 oz"
    with pytest.raises(VitalsInvalid) as refused:
        record(clinic, height="5", height_unit=FEET_INCHES, height_inches="12")
    assert refused.value.errors == {"height": "Inches must be less than 12."}


def test_bmi_from_an_adults_height_of_the_past_year_says_so(clinic: Clinic) -> None:
    record(clinic, taken_at=ago(days=400), height="150")
    too_old = record(clinic, weight="72.25")
    assert too_old.vitals.bmi is None and too_old.bmi_height is None
    measured = record(clinic, taken_at=ago(days=200), height="170").vitals
    weighed = record(clinic, weight="72.25")
    assert weighed.vitals.height_cm is None
    assert weighed.vitals.bmi == Decimal("25.0")
    assert weighed.vitals.bmi_from_earlier_height
    assert weighed.bmi_height is not None
    assert weighed.bmi_height.height_cm == Decimal("170.0")
    assert weighed.bmi_height.taken_at == measured.taken_at
    # A set entered late takes no height measured after it.
    back_entered = record(clinic, taken_at=ago(days=500), weight="72.25")
    assert back_entered.vitals.bmi is None and back_entered.bmi_height is None


def test_no_bmi_from_an_earlier_height_for_a_child(clinic: Clinic) -> None:
    record(clinic, clinic.toddler, taken_at=ago(days=30), height="95")
    weighed = record(clinic, clinic.toddler, weight="14")
    assert weighed.vitals.bmi is None and weighed.bmi_height is None
    both = record(clinic, clinic.toddler, height="95", weight="14")
    assert both.vitals.bmi == Decimal("15.5")


def test_an_impossible_bmi_from_an_earlier_height_is_refused_under_weight(clinic: Clinic) -> None:
    record(clinic, taken_at=ago(days=10), height="100", confirm_warnings=True)
    with pytest.raises(VitalsInvalid) as refused:
        record(clinic, weight="250", confirm_warnings=True)
    assert set(refused.value.errors) == {"weight"}
    assert "check the weight" in refused.value.errors["weight"]
    assert count_sets(clinic.store) == 1


# -- refused, warnings, confirmation ---------------------------------------------------------


def test_refused_values_get_a_message_per_field_and_nothing_is_saved(clinic: Clinic) -> None:
    with pytest.raises(VitalsInvalid) as refused:
        record(clinic, temperature="98.6", temperature_unit="degC", bp_systolic="80",
               bp_diastolic="90", spo2="12", pulse="72")
    assert refused.value.errors == {
        "temperature": "Temperature must be between 25.0 °C and 45.0 °C.",
        "bp_systolic": "Systolic BP must be higher than diastolic.",
        "spo2": "SpO2 must be between 20 % and 100 %.",
    }
    with pytest.raises(VitalsInvalid) as unreadable:
        record(clinic, pulse="seventy", weight="3,450", weight_unit="g", temperature="99",
               temperature_unit="K")
    assert set(unreadable.value.errors) == {"pulse", "weight", "temperature"}
    assert unreadable.value.errors["temperature"] == "Temperature: choose a unit."
    assert count_sets(clinic.store) == 0


def test_a_refused_value_in_us_units_is_worded_in_them(clinic: Clinic) -> None:
    with pytest.raises(VitalsInvalid) as refused:
        record(clinic, temperature="37", temperature_unit="degF")
    assert refused.value.errors == {
        "temperature": "Temperature must be between 77.0 °F and 113.0 °F."}


def test_warnings_need_confirmation_then_save(clinic: Clinic) -> None:
    entry = {"pulse": "160", "temperature": "40.2", "spo2": "97"}
    with pytest.raises(VitalsNeedConfirmation) as asked:
        record(clinic, **entry)
    assert set(asked.value.messages) == {"pulse", "temperature"}
    assert "confirm" in asked.value.messages["pulse"]
    assert "Save anyway?" in str(asked.value)
    assert count_sets(clinic.store) == 0
    saved = record(clinic, confirm_warnings=True, **entry)
    assert saved.vitals.pulse == 160
    assert {warning.kind for warning in saved.confirmed} == {Vital.PULSE, Vital.TEMPERATURE}
    # Confirming never lets a refused value through.
    with pytest.raises(VitalsInvalid):
        record(clinic, pulse="400", confirm_warnings=True)
    assert count_sets(clinic.store) == 1


def test_plausibility_follows_the_patients_age(clinic: Clinic) -> None:
    # 160/min and 35 breaths/min: unusual for an adult, ordinary for a three-year-old.
    saved = record(clinic, clinic.toddler, pulse="160", respiration="35")
    assert saved.confirmed == ()
    with pytest.raises(VitalsNeedConfirmation):
        record(clinic, pulse="160", respiration="35")


def test_an_empty_set_or_a_wrong_time_is_refused(clinic: Clinic) -> None:
    for entry in ({}, {"note": "patient refused"}, {"height": "  ", "height_unit": "in"}):
        with pytest.raises(VitalsInvalid) as refused:
            record(clinic, **entry)
        assert refused.value.errors == {"vitals": "Enter at least one measurement."}
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(VitalsInvalid) as future:
        record(clinic, taken_at=now + timedelta(minutes=6), now=now, pulse="70")
    assert future.value.errors == {"taken_at": "Taken at: cannot be in the future."}
    record(clinic, taken_at=now + timedelta(minutes=4), now=now, pulse="70")
    with pytest.raises(VitalsInvalid) as unborn:
        record(clinic, taken_at=datetime(1970, 5, 16, 12, tzinfo=UTC), pulse="70")
    assert unborn.value.errors == {
        "taken_at": "Taken at: cannot be before the patient's date of birth."}
    with pytest.raises(ValueError, match="timezone-aware"):
        record(clinic, taken_at=datetime(2026, 1, 1, 12), pulse="70")  # noqa: DTZ001
    assert count_sets(clinic.store) == 1


# -- signed and cancelled encounters ----------------------------------------------------------


def test_a_signed_encounter_takes_no_vitals_and_keeps_its_own(any_clinic: Clinic) -> None:
    clinic = any_clinic
    visit = add_encounter(clinic, clinic.adult, "in_progress")
    kept = record(clinic, encounter_id=visit, pulse="70").vitals
    assert kept.encounter_id == visit
    sign(clinic, visit)

    with pytest.raises(SignedRecordLocked):
        record(clinic, encounter_id=visit, pulse="71")
    with pytest.raises(SignedRecordLocked):
        perform(clinic.store, clinic.nurse, remove_vitals, patient_id=clinic.adult,
                vitals_id=kept.id, version=kept.version)
    # The database refuses it too, for a writer that skips the service.
    with pytest.raises(DBAPIError, match="signed"), clinic.store.engine.begin() as connection:
        connection.execute(update(VitalSigns).where(VitalSigns.id == kept.id)
                           .values(pulse=99))
    with pytest.raises(DBAPIError, match="signed"), clinic.store.engine.begin() as connection:
        connection.execute(insert(VitalSigns).values(
            id=new_id(), clinic_id=clinic.nurse.seat.clinic_id, patient_id=clinic.adult,
            encounter_id=visit, taken_at=utcnow(), pulse=80, created_at=utcnow(),
            updated_at=utcnow(), version=1))
    [still] = perform(clinic.store, clinic.nurse, vital_sets, patient_id=clinic.adult)
    assert still.pulse == 70 and still.version == kept.version


def test_a_cancelled_or_foreign_encounter_takes_no_vitals(clinic: Clinic) -> None:
    cancelled = add_encounter(clinic, clinic.adult, "cancelled")
    with pytest.raises(VitalsInvalid) as refused:
        record(clinic, encounter_id=cancelled, pulse="70")
    assert set(refused.value.errors) == {"encounter_id"}
    someone_elses = add_encounter(clinic, clinic.toddler, "draft")
    with pytest.raises(ChartRecordNotFound):
        record(clinic, encounter_id=someone_elses, pulse="70")
    with pytest.raises(ChartRecordNotFound):
        record(clinic, encounter_id=new_id(), pulse="70")
    assert count_sets(clinic.store) == 0


# -- removing -------------------------------------------------------------------------------


def test_removing_a_set_leaves_a_tombstone_and_checks_the_version(clinic: Clinic) -> None:
    first = record(clinic, taken_at=ago(hours=2), weight="70").vitals
    second = record(clinic, weight="90").vitals
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.nurse, remove_vitals, patient_id=clinic.adult,
                vitals_id=second.id, version=second.version + 1)
    perform(clinic.store, clinic.nurse, remove_vitals, patient_id=clinic.adult,
            vitals_id=second.id, version=second.version)
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.nurse, remove_vitals, patient_id=clinic.adult,
                vitals_id=second.id, version=second.version + 1)
    assert perform(clinic.store, clinic.nurse, latest_vitals, patient_id=clinic.adult) == first
    assert [value for _at, value in perform(clinic.store, clinic.nurse, vital_series,
                                            patient_id=clinic.adult, kind="weight")] == [
        Decimal("70.000")]
    with clinic.store.read_session() as session:
        row = session.get(VitalSigns, second.id)
        assert row is not None and row.deleted_at is not None
        assert row.weight_kg == Decimal("90.000")


# -- reading: pages, latest, series --------------------------------------------------------


@pytest.fixture
def long_history(clinic: Clinic) -> list[tuple[datetime, uuid.UUID]]:
    """3,000 sets (pairs taken at the same moment), written straight into the table."""
    start = datetime(2015, 1, 1, 8, tzinfo=UTC)
    rows = [{"id": new_id(), "clinic_id": clinic.nurse.seat.clinic_id,
             "patient_id": clinic.adult, "taken_at": start + timedelta(days=i // 2),
             "weight_kg": Decimal(60000 + i) / 1000, "pulse": 60 + i % 40 if i % 3 else None,
             "created_at": utcnow(), "updated_at": utcnow(), "version": 1}
            for i in range(3000)]
    with clinic.store.session() as session:
        session.execute(insert(VitalSigns), rows)
    return sorted(((row["taken_at"], row["id"]) for row in rows), reverse=True)


def test_pages_of_a_long_history_neither_skip_nor_repeat(
    clinic: Clinic, long_history: list[tuple[datetime, uuid.UUID]]
) -> None:
    seen: list[tuple[datetime, uuid.UUID]] = []
    before = None
    while True:
        page = perform(clinic.store, clinic.nurse, vital_sets, patient_id=clinic.adult,
                       limit=71, before=before)  # odd: pages end inside a pair
        assert len(page) <= 71
        seen.extend(found.cursor for found in page)
        if len(page) < 71:
            break
        before = page[-1].cursor
    assert seen == long_history
    latest = perform(clinic.store, clinic.nurse, latest_vitals, patient_id=clinic.adult)
    assert latest is not None and latest.cursor == long_history[0]


def test_a_series_is_one_query_of_one_column_oldest_first(
    clinic: Clinic, long_history: list[tuple[datetime, uuid.UUID]]
) -> None:
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(clinic.store.engine, "before_cursor_execute", seen)
    try:
        pulses = perform(clinic.store, clinic.nurse, vital_series, patient_id=clinic.adult,
                         kind=Vital.PULSE)
    finally:
        event.remove(clinic.store.engine, "before_cursor_execute", seen)
    [query] = [text for text in statements if "vital_signs" in text]
    selected = query.split("FROM")[0]
    assert "pulse" in selected and "taken_at" in selected
    assert not any(other in selected for other in ("weight", "note", "systolic", "height"))
    assert len(pulses) == 2000  # a third of the sets have no pulse
    assert [at for at, _value in pulses] == sorted(at for at, _value in pulses)
    assert all(isinstance(value, Decimal) for _at, value in pulses)
    weights = perform(clinic.store, clinic.nurse, vital_series, patient_id=clinic.adult,
                      kind="weight")
    assert weights[0][1] == Decimal("60.000") and len(weights) == 3000


# -- permissions and audit ---------------------------------------------------------------


def test_front_desk_may_not_read_or_write_vitals(clinic: Clinic) -> None:
    with pytest.raises(PermissionDenied):
        perform(clinic.store, clinic.frontdesk, record_vitals, patient_id=clinic.adult,
                taken_at=ago(minutes=1), entered=VitalsInput(pulse="70"))
    for service in (vital_sets, latest_vitals):
        with pytest.raises(PermissionDenied):
            perform(clinic.store, clinic.frontdesk, service, patient_id=clinic.adult)
    with pytest.raises(PermissionDenied):
        perform(clinic.store, clinic.frontdesk, vital_series, patient_id=clinic.adult,
                kind="pulse")
    assert count_sets(clinic.store) == 0
    with clinic.store.read_session() as session:
        denied = session.scalars(select(AuditEntry.reason).where(
            AuditEntry.action == "permission.denied",
            AuditEntry.user_id == clinic.frontdesk.user_id)).all()
    assert denied == ["chart.read"] * 4


def entries(store: Store, patient: uuid.UUID) -> list[AuditEntry]:
    with store.read_session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.patient_id == patient)
                                    .order_by(AuditEntry.seq)))


def test_audit_names_measures_and_confirmations_never_values(clinic: Clinic) -> None:
    saved = record(clinic, height="181.3", weight="97.654", pulse="151", confirm_warnings=True,
                   note="Smells of alcohol")
    perform(clinic.store, clinic.nurse, vital_sets, patient_id=clinic.adult)
    perform(clinic.store, clinic.nurse, vital_series, patient_id=clinic.adult, kind="weight")
    write, listed, series = (entry for entry in entries(clinic.store, clinic.adult)
                             if entry.action.startswith("chart."))
    assert (write.action, write.resource_type, write.resource_id) == (
        "chart.write", "vital_signs", str(saved.vitals.id))
    assert write.user_id == clinic.nurse.user_id
    assert write.changes == {"fields": ["height", "weight", "pulse"], "bmi": "this set",
                             "confirmed": ["pulse"]}
    assert (listed.action, listed.reason, listed.changes) == ("chart.read", "list",
                                                              {"count": 1})
    assert (series.reason, series.changes) == ("series", {"kind": "weight", "count": 1})
    everything = json.dumps([(e.reason, e.changes) for e in entries(clinic.store, clinic.adult)])
    for value in ("181.3", "97.654", "151", "29.7", "alcohol"):
        assert value not in everything


def test_a_refused_or_unconfirmed_set_leaves_no_audit_entry(clinic: Clinic) -> None:
    before = len(entries(clinic.store, clinic.adult))
    with pytest.raises(VitalsNeedConfirmation):
        record(clinic, pulse="151")
    with pytest.raises(VitalsInvalid):
        record(clinic, pulse="500")
    assert len(entries(clinic.store, clinic.adult)) == before


def test_units_offered_match_the_module(clinic: Clinic) -> None:
    """Every entry unit a measure offers is accepted by its code and its symbol."""
    saved = record(clinic, head_circumference="22.0", head_circumference_unit=Unit.IN.value,
                   waist_circumference="90", temperature="37.0", temperature_unit="°C",
                   weight="72000", weight_unit="g")
    assert saved.vitals.head_circumference_cm == Decimal("55.9")
    assert saved.vitals.waist_circumference_cm == Decimal("90.0")
    assert saved.vitals.weight_kg == Decimal("72.000")
