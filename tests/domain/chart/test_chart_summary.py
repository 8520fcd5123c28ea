"""The banner's safety facts and the summary page."""

from __future__ import annotations

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
