"""The banner's safety facts and the summary page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from chart_data import NOW, TODAY, ChartClinic

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.allergies import (
    AllergyInput,
    record_no_known_allergies,
    save_allergy,
)
from medtrack_desktop.domain.chart.encounters import EncounterInput, start_encounter
from medtrack_desktop.domain.chart.medications import MedicationInput, start_medication
from medtrack_desktop.domain.chart.problems import ProblemInput, save_problem
from medtrack_desktop.domain.chart.summary import banner_facts, chart_summary
from medtrack_desktop.domain.chart.vitals import VitalsInput, record_vitals
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.appointments import Booking, book_appointment, set_status
from medtrack_desktop.domain.scheduling.setup import CategoryInput, add_facility, save_category
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store


def test_the_banner_tells_not_recorded_from_no_known_allergies(
    chart_store: Store, clinic: ChartClinic
) -> None:
    def banner_text() -> tuple[str, tuple[str, ...]]:
        facts = perform(chart_store, clinic.nurse, banner_facts, patient_id=clinic.patient_id)
        return facts.allergy_text, facts.alerts

    assert banner_text() == ("Allergies not recorded", ())
    perform(chart_store, clinic.nurse, record_no_known_allergies, patient_id=clinic.patient_id)
    assert banner_text() == ("No known allergies", ())
    perform(chart_store, clinic.nurse, save_allergy, patient_id=clinic.patient_id, today=TODAY,
            allergy=AllergyInput(allergen="Penicillin", reaction="Anaphylaxis",
                                 severity="severe"))
    assert banner_text() == ("Allergies: Penicillin (severe)", ("Severe allergy: Penicillin",))


def test_the_summary_lists_what_is_current(chart_store: Store, clinic: ChartClinic) -> None:
    doctor, patient = clinic.physician, clinic.patient_id
    perform(chart_store, doctor, save_problem, patient_id=patient, today=TODAY,
            problem=ProblemInput(code="E11.9"))
    perform(chart_store, doctor, save_problem, patient_id=patient, today=TODAY,
            problem=ProblemInput(title="Old ankle sprain", status="resolved",
                                 onset_on=TODAY.replace(year=2020),
                                 resolved_on=TODAY.replace(year=2021)))
    perform(chart_store, doctor, start_medication, patient_id=patient, today=TODAY,
            medication=MedicationInput(name="Metformin", dose="500", dose_unit="mg",
                                       route="oral", frequency="twice daily"))
    perform(chart_store, clinic.nurse, record_vitals, patient_id=patient, taken_at=NOW,
            now=NOW, entered=VitalsInput(pulse="72", weight="80", height="180"))
    perform(chart_store, doctor, start_encounter, patient_id=patient, now=NOW,
            entered=EncounterInput(encounter_type="office", starts_at=NOW, reason="Diabetes"))
    summary = perform(chart_store, doctor, chart_summary, patient_id=patient)
    assert [(p.code, p.status) for p in summary.problems] == [("E11.9", "active")]
    assert [m.text for m in summary.medications] == ["Metformin 500 mg oral twice daily"]
    assert summary.last_vitals is not None and summary.last_vitals.bmi == Decimal("24.7")
    assert [e.reason for e in summary.recent_encounters] == ["Diabetes"]
    assert summary.upcoming == ()


def test_the_summary_lists_the_next_appointments(chart_store: Store,
                                                 clinic: ChartClinic) -> None:
    system = Actor.system(clinic.physician.seat, name="test")
    facility = perform(chart_store, system, add_facility, name="Main")
    category = perform(chart_store, system, save_category,
                       category=CategoryInput(name="Follow-up"))
    soon = utcnow().replace(microsecond=0, second=0) + timedelta(days=3)
    for days, status in ((0, "scheduled"), (7, "confirmed"), (-30, "scheduled")):
        booked = perform(chart_store, clinic.frontdesk, book_appointment, booking=Booking(
            patient_id=clinic.patient_id, provider_id=clinic.physician.user_id,
            facility_id=facility, category_id=category,
            starts_at=soon + timedelta(days=days)))
        if status == "confirmed":
            perform(chart_store, clinic.frontdesk, set_status, appointment_id=booked.id,
                    version=booked.version, status=status)
    summary = perform(chart_store, clinic.nurse, chart_summary, patient_id=clinic.patient_id)
    assert summary.upcoming is not None
    assert [(a.starts_at, a.category, a.provider_name, a.status) for a in summary.upcoming] == [
        (soon, "Follow-up", "Ana Lee", "scheduled"),
        (soon + timedelta(days=7), "Follow-up", "Ana Lee", "confirmed")]
