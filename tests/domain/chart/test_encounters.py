"""Encounters: opening, the autosaved note, clinical notes, cancelling, the timeline, and who
may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from chart_data import NOW, ChartClinic
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.chart.encounters import (
    EncounterInput,
    EncounterInvalid,
    NoteDraft,
    RosEntry,
    add_clinical_note,
    cancel_encounter,
    encounter,
    encounters,
    providers,
    save_note,
    start_encounter,
)
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.engine import Store

VISIT = EncounterInput(encounter_type="office", starts_at=NOW, reason="Cough for two weeks")


def test_a_note_goes_from_draft_to_in_progress_and_reads_back(
    chart_store: Store, clinic: ChartClinic
) -> None:
    with chart_store.session() as session:
        visit = start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                entered=VISIT, now=NOW)
    assert (visit.status, visit.provider_name, visit.editable) == ("draft", "Ana Lee", True)
    draft = NoteDraft(subjective="Dry cough.\n\nNo fever.", assessment="Viral bronchitis",
                      review_of_systems={"respiratory": RosEntry("positive", "cough"),
                                         "cardiovascular": RosEntry("negative")})
    with chart_store.session() as session:
        version = save_note(session, clinic.physician, encounter_id=visit.id, draft=draft,
                            version=visit.version)
    with chart_store.session() as session:
        same = save_note(session, clinic.physician, encounter_id=visit.id, draft=draft,
                         version=version)
        read = encounter(session, clinic.physician, encounter_id=visit.id)
    assert same == version, "an unchanged note writes nothing"
    assert read.status == "in_progress"
    assert read.note.subjective == "Dry cough.\n\nNo fever.", "line breaks are kept"
    assert read.note.review_of_systems == {"respiratory": RosEntry("positive", "cough"),
                                           "cardiovascular": RosEntry("negative", "")}


def test_a_stale_editor_cannot_overwrite_a_newer_note(
    chart_store: Store, clinic: ChartClinic
) -> None:
    with chart_store.session() as session:
        visit = start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                entered=VISIT, now=NOW)
    with chart_store.session() as session:
        save_note(session, clinic.physician, encounter_id=visit.id,
                  draft=NoteDraft(subjective="first"), version=visit.version)
    with pytest.raises(StaleRecord), chart_store.session() as session:
        save_note(session, clinic.nurse, encounter_id=visit.id,
                  draft=NoteDraft(subjective="second"), version=visit.version)
    with chart_store.session() as session:
        assert encounter(session, clinic.physician,
                         encounter_id=visit.id).note.subjective == "first"


@pytest.mark.parametrize(("draft", "field"), [
    (NoteDraft(subjective="x" * 100_001), "subjective"),
    (NoteDraft(plan="take \x00 twice"), "plan"),
    (NoteDraft(objective="\u202eevil"), "objective"),
    (NoteDraft(review_of_systems={"spleen": RosEntry("negative")}), "ros.spleen"),
    (NoteDraft(review_of_systems={"eyes": RosEntry("maybe")}), "ros.eyes"),
])
def test_a_bad_note_is_refused_section_by_section_and_nothing_is_saved(
    chart_store: Store, clinic: ChartClinic, draft: NoteDraft, field: str
) -> None:
    with chart_store.session() as session:
        visit = start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                entered=VISIT, now=NOW)
    with pytest.raises(EncounterInvalid) as refused, chart_store.session() as session:
        save_note(session, clinic.physician, encounter_id=visit.id, draft=draft,
                  version=visit.version)
    assert field in refused.value.errors
    with chart_store.session() as session:
        assert encounter(session, clinic.physician, encounter_id=visit.id).status == "draft"


def test_the_header_is_checked_field_by_field(chart_store: Store, clinic: ChartClinic) -> None:
    bad = EncounterInput(encounter_type="party", starts_at=NOW + timedelta(days=800),
                         reason="  ")
    with pytest.raises(EncounterInvalid) as refused, chart_store.session() as session:
        start_encounter(session, clinic.physician, patient_id=clinic.patient_id, entered=bad,
                        now=NOW)
    assert set(refused.value.errors) == {"encounter_type", "starts_at", "reason"}


def test_who_may_read_and_write_the_chart(chart_store: Store, clinic: ChartClinic) -> None:
    with pytest.raises(PermissionDenied), chart_store.session() as session:
        start_encounter(session, clinic.frontdesk, patient_id=clinic.patient_id, entered=VISIT,
                        now=NOW)
    with chart_store.session() as session:  # a nurse documents (the provider is a physician)
        visit = start_encounter(session, clinic.nurse, patient_id=clinic.patient_id,
                                entered=EncounterInput(
                                    encounter_type="office", starts_at=NOW, reason="BP check",
                                    provider_id=clinic.physician.user_id), now=NOW)
    with pytest.raises(PermissionDenied), chart_store.session() as session:
        encounters(session, clinic.frontdesk, patient_id=clinic.patient_id)
    assert visit.provider_name == "Ana Lee"


def test_clinical_notes_cancelling_and_the_timeline(
    chart_store: Store, clinic: ChartClinic
) -> None:
    ids = []
    for days in (30, 20, 10):
        with chart_store.session() as session:
            ids.append(start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                       entered=EncounterInput(
                                           encounter_type="follow_up",
                                           starts_at=NOW - timedelta(days=days),
                                           reason=f"Review {days}"), now=NOW).id)
    with chart_store.session() as session:
        add_clinical_note(session, clinic.nurse, encounter_id=ids[2], note_type="telephone",
                          title="Call back", body="Results discussed.")
        cancelled = cancel_encounter(session, clinic.physician, encounter_id=ids[0],
                                     reason="Opened in error", version=1)
    with pytest.raises(EncounterInvalid), chart_store.session() as session:
        add_clinical_note(session, clinic.nurse, encounter_id=ids[0], note_type="nursing",
                          title="Late", body="")
    with chart_store.session() as session:
        newest_two = encounters(session, clinic.physician, patient_id=clinic.patient_id,
                                limit=2)
        rest = encounters(session, clinic.physician, patient_id=clinic.patient_id,
                          before=newest_two[-1].cursor)
        detail = encounter(session, clinic.physician, encounter_id=ids[2])
    assert [e.id for e in newest_two + rest] == ids[::-1]
    assert cancelled.status == "cancelled" and rest[0].status == "cancelled"
    assert [(n.note_type, n.title) for n in detail.clinical_notes] == [("telephone", "Call back")]


def test_timeline_pages_keep_visits_that_start_at_the_same_moment(
    chart_store: Store, clinic: ChartClinic
) -> None:
    """A page that ends among visits booked at the same minute: the next page starts with the
    rest of them, none skipped or shown twice."""
    with chart_store.session() as session:
        ids = [start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                               entered=EncounterInput(encounter_type="office", starts_at=NOW,
                                                      reason=f"Same minute {n}"), now=NOW).id
               for n in range(5)]
    pages: list[list[object]] = []
    cursor = None
    while not pages or len(pages[-1]) == 2:
        with chart_store.session() as session:
            page = encounters(session, clinic.physician, patient_id=clinic.patient_id, limit=2,
                              before=cursor)
        pages.append([e.id for e in page])
        cursor = page[-1].cursor if page else None
    assert [len(page) for page in pages] == [2, 2, 1]
    shown = [visit for page in pages for visit in page]
    assert sorted(shown) == sorted(ids)


def test_reads_and_writes_are_audited_without_the_clinical_text(
    chart_store: Store, clinic: ChartClinic
) -> None:
    with chart_store.session() as session:
        visit = start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                entered=VISIT, now=NOW)
        save_note(session, clinic.physician, encounter_id=visit.id,
                  draft=NoteDraft(subjective="Secret symptom"), version=visit.version)
        encounter(session, clinic.physician, encounter_id=visit.id)
    with chart_store.read_session() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.patient_id == clinic.patient_id,
            AuditEntry.action.like("chart.%"))).all()
    assert [e.action for e in entries] == ["chart.write", "chart.write", "chart.read"]
    assert entries[1].changes == {"fields": ["subjective"]}
    assert all("Secret" not in repr(e.changes) + repr(e.reason) for e in entries)


def test_an_encounter_is_for_one_of_the_clinics_signing_providers(
    chart_store: Store, clinic: ChartClinic
) -> None:
    with chart_store.session() as session:
        listed = providers(session, clinic.nurse)
    assert [p.name for p in listed] == ["Jin Kim", "Ana Lee"], "physicians, not the nurse"
    with pytest.raises(EncounterInvalid) as refused, chart_store.session() as session:
        start_encounter(session, clinic.physician, patient_id=clinic.patient_id, now=NOW,
                        entered=EncounterInput(encounter_type="office", starts_at=NOW,
                                               reason="x", provider_id=clinic.nurse.user_id))
    assert "provider_id" in refused.value.errors
