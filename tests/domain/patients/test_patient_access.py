"""Opening a record: restricted records, care team, break the glass, the patient's own record."""

from __future__ import annotations

import uuid

import pytest
from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import (
    BreakGlassReasonError,
    PatientNotFound,
    RestrictedRecord,
    open_patient,
    set_privacy,
)
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import Store

REASON = "Patient collapsed in waiting room; need allergies and medications"



def patient_ids(store: Store) -> list[uuid.UUID]:
    with store.read_session() as session:
        portal = session.scalar(select(User.patient_id).where(User.username == "patient"))
        others = session.scalars(select(Patient.id).where(Patient.id != portal)
                                 .order_by(Patient.mrn).limit(2)).all()
    assert portal is not None
    return [portal, *others]


def entries(store: Store, action: str) -> list[AuditEntry]:
    with store.read_session() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.seq)).all()
        session.expunge_all()
        return list(rows)


@pytest.fixture
def restricted(demo_store: Store) -> uuid.UUID:
    """A restricted record whose care team is the demo physician."""
    _portal, target, _other = patient_ids(demo_store)
    kept = perform(demo_store, sign_in(demo_store, "admin"), set_privacy, patient_id=target,
                   restricted=True, care_team=("Physician ",))
    assert kept == ("physician",)
    return target


def test_an_unrestricted_record_opens_for_staff_and_the_read_is_audited(
    demo_store: Store,
) -> None:
    _portal, target, _other = patient_ids(demo_store)
    for username in ("physician", "nurse", "assistant", "frontdesk", "biller"):
        header = perform(demo_store, sign_in(demo_store, username), open_patient,
                         patient_id=target)
        assert header.id == target and header.access == "staff" and not header.restricted
    opened = entries(demo_store, "patient.open")
    assert [(e.username, e.patient_id, e.reason) for e in opened] == [
        (name, target, "staff")
        for name in ("physician", "nurse", "assistant", "frontdesk", "biller")
    ]


def test_the_care_team_opens_a_restricted_record_directly(
    demo_store: Store, restricted: uuid.UUID
) -> None:
    header = perform(demo_store, sign_in(demo_store, "physician"), open_patient,
                     patient_id=restricted)
    assert header.restricted and header.access == "care_team"
    assert entries(demo_store, "break_glass") == []


def test_others_must_break_the_glass_with_a_reason(
    demo_store: Store, restricted: uuid.UUID
) -> None:
    nurse = sign_in(demo_store, "nurse")
    with pytest.raises(RestrictedRecord) as refused:
        perform(demo_store, nurse, open_patient, patient_id=restricted)
    assert refused.value.can_break_glass and "give the reason" in str(refused.value)
    for short in ("", "   ", "because"):
        with pytest.raises(BreakGlassReasonError, match="at least 10"):
            perform(demo_store, nurse, open_patient, patient_id=restricted,
                    break_glass_reason=short)
    with pytest.raises(BreakGlassReasonError, match="under 500"):
        perform(demo_store, nurse, open_patient, patient_id=restricted,
                break_glass_reason="x" * 501)

    header = perform(demo_store, nurse, open_patient, patient_id=restricted,
                     break_glass_reason=f"  {REASON}\n")
    assert header.access == "break_glass"
    [glass] = entries(demo_store, "break_glass")
    assert (glass.username, glass.patient_id, glass.reason) == ("nurse", restricted, REASON)
    assert entries(demo_store, "patient.open")[-1].reason == f"break_glass: {REASON}"
    [denial] = entries(demo_store, "permission.denied")
    assert (denial.username, denial.patient_id, denial.reason) == ("nurse", restricted,
                                                                     "break_glass")


def test_without_break_glass_a_restricted_record_stays_closed(
    demo_store: Store, restricted: uuid.UUID
) -> None:
    for username in ("assistant", "frontdesk", "biller"):
        with pytest.raises(RestrictedRecord) as refused:
            perform(demo_store, sign_in(demo_store, username), open_patient,
                    patient_id=restricted, break_glass_reason=REASON)
        assert not refused.value.can_break_glass
        assert "care team" in str(refused.value)
    assert entries(demo_store, "break_glass") == []
    assert len(entries(demo_store, "permission.denied")) == 3


def test_a_patient_user_opens_only_their_own_record(demo_store: Store) -> None:
    portal, other, _third = patient_ids(demo_store)
    patient = sign_in(demo_store, "patient")
    assert perform(demo_store, patient, open_patient, patient_id=portal).access == "self"
    with pytest.raises(PermissionDenied) as refused:
        perform(demo_store, patient, open_patient, patient_id=other)
    assert refused.value.permission == "patient.read"
    admin = sign_in(demo_store, "admin")  # administers users, reads no charts
    with pytest.raises(PermissionDenied):
        perform(demo_store, admin, open_patient, patient_id=other)


def test_unknown_patient_and_privacy_administration(
    demo_store: Store, restricted: uuid.UUID
) -> None:
    physician = sign_in(demo_store, "physician")
    with pytest.raises(PatientNotFound):
        perform(demo_store, physician, open_patient, patient_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        perform(demo_store, physician, set_privacy, patient_id=restricted, restricted=False)
    admin = sign_in(demo_store, "admin")
    with pytest.raises(ValueError, match="no user ghost"):
        perform(demo_store, admin, set_privacy, patient_id=restricted, restricted=True,
                care_team=("ghost",))
    assert perform(demo_store, admin, set_privacy, patient_id=restricted, restricted=True,
                   care_team=("nurse",)) == ("nurse",)
    with pytest.raises(RestrictedRecord):
        perform(demo_store, physician, open_patient, patient_id=restricted)
    assert perform(demo_store, sign_in(demo_store, "nurse"), open_patient,
                   patient_id=restricted).access == "care_team"
    changes = [e.changes for e in entries(demo_store, "patient.privacy")]
    assert changes[-1] == {"restricted": {"old": True, "new": True}, "care_team": ["nurse"]}
