"""The visit summary: facts read from a real encrypted chart, the PDF read back with pypdf —
the patient on every page, the note as typed, the signature line with its full hash, a draft
marked on every page, an amended note printing its current version with the reasons, hostile
text printed literally, and the print audited without clinical text."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from datetime import timedelta

import pytest
from chart_data import NOW, PASSWORD, TODAY, ChartClinic
from pypdf import PdfReader
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.chart.allergies import AllergyInput, save_allergy
from medtrack_desktop.domain.chart.encounters import (
    NOTE_MAX,
    EncounterInput,
    NoteDraft,
    RosEntry,
    add_clinical_note,
    encounter,
    save_note,
    start_encounter,
)
from medtrack_desktop.domain.chart.medications import MedicationInput, start_medication
from medtrack_desktop.domain.chart.problems import ProblemInput, save_problem
from medtrack_desktop.domain.chart.signing import (
    save_amendment,
    sign_amendment,
    sign_encounter,
    start_amendment,
)
from medtrack_desktop.domain.chart.visit_summary import (
    RosLine,
    VisitSummaryFacts,
    visit_summary_facts,
)
from medtrack_desktop.domain.chart.vitals import VitalsInput, record_vitals
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.printing.visit_summary import (
    CANCELLED_MARK,
    DOCUMENT_TITLE,
    DRAFT_MARK,
    visit_summary_pdf,
)
from medtrack_desktop.store.engine import Store

NOTE = NoteDraft(
    subjective="Headache for 3 days, worse in the morning.",
    objective="Alert and oriented. Neck supple.",
    assessment="Tension headache <b>& not</b> migraine &amp; no red flags",
    plan="Ibuprofen 400 mg as needed.\nReturn if worse.",
    review_of_systems={"constitutional": RosEntry("negative"),
                       "cardiovascular": RosEntry("positive", "Palpitations at night")},
)
PRINTED_AT = NOW + timedelta(hours=2)


def _visit(store: Store, clinic: ChartClinic, note: NoteDraft = NOTE) -> uuid.UUID:
    """An in-progress office visit by the physician: note, nursing note, vitals, and the
    patient's allergy, problem and medication lists."""
    physician, nurse, patient_id = clinic.physician, clinic.nurse, clinic.patient_id
    with store.session() as session:
        visit = start_encounter(session, physician, patient_id=patient_id,
                                entered=EncounterInput(encounter_type="office", starts_at=NOW,
                                                       reason="Headache",
                                                       facility="Main Street"), now=NOW)
        save_note(session, physician, encounter_id=visit.id, draft=note, version=visit.version)
        add_clinical_note(session, nurse, encounter_id=visit.id, note_type="nursing",
                          title="Intake", body="Walked in unaided.")
        record_vitals(session, nurse, patient_id=patient_id, taken_at=NOW, encounter_id=visit.id,
                      entered=VitalsInput(pulse="72", weight="80.5", bp_systolic="128",
                                          bp_diastolic="82"), confirm_warnings=True, now=NOW)
        save_allergy(session, physician, patient_id=patient_id, today=TODAY,
                     allergy=AllergyInput(allergen="Penicillin", severity="severe"))
        save_problem(session, physician, patient_id=patient_id, today=TODAY,
                     problem=ProblemInput(title="Essential hypertension"))
        start_medication(session, physician, patient_id=patient_id, today=TODAY,
                         medication=MedicationInput(name="Lisinopril", dose="10",
                                                    dose_unit="mg", route="oral",
                                                    frequency="daily"))
    return visit.id


def _sign(store: Store, clinic: ChartClinic, encounter_id: uuid.UUID) -> str:
    """Sign as author; the signature's SHA-256."""
    with store.session() as session:
        facts = visit_summary_facts(session, clinic.physician, encounter_id=encounter_id)
    with store.session() as session:
        version = encounter(session, clinic.physician, encounter_id=encounter_id).version
        outcome = sign_encounter(session, clinic.physician, encounter_id=encounter_id,
                                 version=version, password=PASSWORD, now=NOW)
    assert facts.status == "in_progress"
    assert outcome.signature is not None, outcome.refused
    return outcome.signature.content_sha256


def _facts(store: Store, clinic: ChartClinic, encounter_id: uuid.UUID) -> VisitSummaryFacts:
    with store.session() as session:
        return visit_summary_facts(session, clinic.physician, encounter_id=encounter_id,
                                   now=PRINTED_AT)


def _pages(pdf: bytes) -> list[str]:
    """Each page's text, whitespace runs made one space (wrapped lines read as one)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _footers_ok(pages: list[str], facts: VisitSummaryFacts) -> None:
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
        assert f"{facts.patient_name} · MRN {facts.mrn}" in text
        assert "Printed 2026-11-26 11:30 CST" in text


def test_a_signed_visit_prints_the_note_and_the_signature_with_its_full_hash(
    chart_store: Store, clinic: ChartClinic
) -> None:
    encounter_id = _visit(chart_store, clinic)
    sha256 = _sign(chart_store, clinic, encounter_id)
    facts = _facts(chart_store, clinic, encounter_id)
    assert (facts.signed, facts.amended, facts.printed_version) == (True, False, 0)
    assert facts.patient_name == "Okafor, Chidi"
    assert [line.system for line in facts.review_of_systems] == ["Constitutional",
                                                                 "Cardiovascular"]
    assert facts.vitals[0].values == (("Blood pressure", "128/82 mmHg"),
                                      ("Weight", "80.50 kg (177.5 lb)"), ("Pulse", "72 /min"))

    pdf = visit_summary_pdf(facts)
    pages = _pages(pdf)
    text = " ".join(pages)
    _footers_ok(pages, facts)
    assert "Okafor, Chidi" in pages[0] and "Chart Test Clinic" in pages[0]
    assert "2026-11-26 09:30 CST" in pages[0]  # 15:30 UTC in the clinic's time zone
    for line in ("Headache for 3 days, worse in the morning.", "Ibuprofen 400 mg as needed.",
                 "Return if worse.", "Palpitations at night", "Walked in unaided.",
                 "128/82 mmHg", "Allergies: Penicillin (severe)", "Essential hypertension",
                 "Lisinopril 10 mg oral daily"):
        assert line in text
    assert "Tension headache <b>& not</b> migraine &amp; no red flags" in text  # literally
    assert "Eyes" not in text  # only the systems reviewed
    assert (f"Electronically signed by Ana Lee (author of this note) on 2026-11-26 09:30 CST "
            f"— SHA-256 {sha256}") in pages[-1]
    assert DRAFT_MARK not in text and "Amended" not in text
    # the same facts print the same bytes; the metadata carries no PHI
    assert visit_summary_pdf(facts) == pdf
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None and metadata.title == DOCUMENT_TITLE
    assert "Okafor" not in repr(dict(metadata))


def test_an_unsigned_draft_says_so_on_every_page(chart_store: Store,
                                                 clinic: ChartClinic) -> None:
    encounter_id = _visit(chart_store, clinic)
    facts = _facts(chart_store, clinic, encounter_id)
    assert not facts.signed and facts.signed_versions == ()
    pages = _pages(visit_summary_pdf(facts))
    _footers_ok(pages, facts)
    assert all(DRAFT_MARK in page for page in pages)
    assert "This note has not been signed" in pages[0]
    assert "Electronically signed" not in " ".join(pages)

    cancelled = dataclasses.replace(facts, status="cancelled", cancelled_reason="Patient left")
    pages = _pages(visit_summary_pdf(cancelled))
    assert all(CANCELLED_MARK in page for page in pages)
    assert "This encounter was cancelled: Patient left" in pages[0]


def test_an_amended_note_prints_its_current_version_and_every_signature(
    chart_store: Store, clinic: ChartClinic
) -> None:
    encounter_id = _visit(chart_store, clinic)
    original = _sign(chart_store, clinic, encounter_id)
    with chart_store.session() as session:
        draft = start_amendment(session, clinic.physician, encounter_id=encounter_id,
                                reason="Dose <corrected> & clarified")
        version = save_amendment(session, clinic.physician, amendment_id=draft.amendment_id,
                                 draft=dataclasses.replace(NOTE, plan="Ibuprofen 200 mg."),
                                 version=draft.version)
        signed = sign_amendment(session, clinic.physician, amendment_id=draft.amendment_id,
                                version=version, password=PASSWORD,
                                now=NOW + timedelta(hours=1))
        assert signed.signature is not None
    facts = _facts(chart_store, clinic, encounter_id)
    assert (facts.amended, facts.printed_version) == (True, 1)
    assert facts.amendment_reasons == ((1, "Dose <corrected> & clarified"),)

    text = " ".join(_pages(visit_summary_pdf(facts)))
    assert "Ibuprofen 200 mg." in text and "Ibuprofen 400 mg" not in text
    assert "Amended — this prints amendment 1" in text
    assert "Amendment 1: Dose <corrected> & clarified" in text
    assert f"on 2026-11-26 09:30 CST — SHA-256 {original}" in text
    assert (f"on 2026-11-26 10:30 CST — SHA-256 {signed.signature.content_sha256}") in text


def test_a_twenty_page_note_flows_on_with_the_patient_on_every_page(
    chart_store: Store, clinic: ChartClinic
) -> None:
    lines = [f"Line {n:04d}: the patient describes the course of the complaint in detail."
             for n in range(1300)]
    long_note = "\n".join(lines)
    assert len(long_note) <= NOTE_MAX
    encounter_id = _visit(chart_store, clinic, dataclasses.replace(NOTE, subjective=long_note))
    _sign(chart_store, clinic, encounter_id)
    facts = _facts(chart_store, clinic, encounter_id)
    pages = _pages(visit_summary_pdf(facts))
    assert len(pages) >= 20
    _footers_ok(pages, facts)
    text = " ".join(pages)
    assert all(line in text for line in (lines[0], lines[650], lines[-1]))
    assert "SHA-256" in pages[-1]


def test_hostile_text_prints_literally_without_crashing(chart_store: Store,
                                                        clinic: ChartClinic) -> None:
    encounter_id = _visit(chart_store, clinic)
    facts = _facts(chart_store, clinic, encounter_id)
    hostile = dataclasses.replace(
        facts,
        patient_name="O'Brien <script>, Siobhán & \u202eevil\u202c",
        sections=(("Subjective", "<b>&</b> <font size=90>big</font> &lt; \u202edesrever"
                                 "\u202c \U0001f600 ]]> <br/>"),
                  ("Objective", "x" * 50_000), ("Assessment", ""), ("Plan", "\x00\x07 ok")),
        review_of_systems=(RosLine("Eyes", "Positive", "<i>blurred</i> & " + "y " * 2000),),
    )
    pages = _pages(visit_summary_pdf(hostile))
    text = " ".join(pages)
    assert "<b>&</b> <font size=90>big</font> &lt; desrever" in text
    assert "\u202e" not in text and "\x00" not in text
    assert "\ufffd ]]> <br/>" in text  # the emoji the font lacks shows as U+FFFD, not nothing
    assert "<i>blurred</i> &" in text
    assert "O'Brien <script>, Siobhán & evil" in pages[0]
    assert sum(page.count("x") for page in pages) >= 50_000
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))


def test_the_print_is_audited_without_clinical_text_and_needs_chart_read(
    chart_store: Store, clinic: ChartClinic
) -> None:
    encounter_id = _visit(chart_store, clinic)
    with chart_store.session() as session:
        nurse_facts = visit_summary_facts(session, clinic.nurse, encounter_id=encounter_id)
    assert nurse_facts.sections[0][1] == NOTE.subjective
    with pytest.raises(PermissionDenied), chart_store.session() as session:
        visit_summary_facts(session, clinic.frontdesk, encounter_id=encounter_id)
    with chart_store.read_session() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "chart.print")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.user_id, entry.resource_type, entry.resource_id, entry.patient_id,
            entry.reason) == (clinic.nurse.user_id, "encounter", str(encounter_id),
                              clinic.patient_id, "visit summary")
    assert entry.changes == {"version": 0, "signed": False}
    assert not re.search(r"Headache|Ibuprofen|Palpitations", repr(entry.changes))
