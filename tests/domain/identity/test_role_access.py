"""Every guarded service, tried by every role: allowed or denied as intended.

The intended access is written out here, role by role, from what each job needs — not read
from resources/seed/permissions.toml — so a wrong edit of the matrix (or a service that checks
the wrong permission) fails this test. A denial must raise PermissionDenied, change nothing and
leave a ``permission.denied`` audit entry naming the service.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from medtrack_desktop.demo import DEMO_PASSWORD, DEMO_RESTRICTED_MRN
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.audit.queries import count_audit, export_audit_csv, search_audit
from medtrack_desktop.domain.audit.trail import chain_heads, verify_trail
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import (
    add_user,
    authenticate,
    list_users,
    reset_password,
    set_active,
    set_roles,
    unlock_user,
)
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.mfa import reset_mfa, set_role_mfa_required
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.access import (
    open_patient,
    patient_id_for_mrn,
    privacy_settings,
    set_privacy,
)
from medtrack_desktop.domain.patients.consent import record_consent
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.insurance import (
    PolicyInput,
    add_payer,
    policies,
    save_policy,
)
from medtrack_desktop.domain.patients.labels import label_facts
from medtrack_desktop.domain.patients.merge import merge_patients
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import (
    get_patient,
    import_patients,
    register_patient,
    reveal_ssn,
)
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.store.engine import Store
from medtrack_desktop.sync.conflict_review import open_conflicts

# role -> the demo user who holds only that role
USERS = {"physician": "physician", "nurse": "nurse", "medical_assistant": "assistant",
         "front_desk": "frontdesk", "biller": "biller", "admin": "admin", "patient": "patient"}
ROLES = tuple(USERS)

ADMIN_ONLY = {"admin"}
CLINICAL = {"physician", "nurse"}
STAFF_READING_RECORDS = {"physician", "nurse", "medical_assistant", "front_desk", "biller"}
REGISTERING = {"physician", "nurse", "front_desk"}


@dataclass(frozen=True)
class Case:
    """One guarded call: ``call(store, actor, role, fixture)`` and the roles meant to pass."""

    name: str
    allowed: set[str]
    call: Callable[[Store, Actor, str, dict[str, Any]], object]


TODAY = date(2026, 11, 26)
MERGING = {"front_desk"}
REASON = "Registered twice at the front desk; same person"


def _demographics(role: str) -> Demographics:
    return Demographics(last_name=f"Test {role}", first_name="Role", sex="female",
                        date_of_birth=date(1980, 5, 17))


def _duplicate(store: Store, seat: Seat, role: str) -> uuid.UUID:
    """A fresh patient for one role's attempt (made by the command line)."""
    with store.session() as session:
        return register_patient(session, Actor.system(seat), demographics=_demographics(role),
                                today=TODAY).id


def _payer(store: Store, seat: Seat) -> uuid.UUID:
    with store.session() as session:
        return add_payer(session, Actor.system(seat), name="Role Test Payer").id


def _new_patient(role: str) -> dict[str, Any]:
    return {"mrn": f"RBAC-{role}", "first_name": "Role", "last_name": f"Test {role}",
            "date_of_birth": date(1980, 5, 17), "sex": "female", "country": "US"}


CASES = (
    Case("list_users", ADMIN_ONLY, lambda s, a, _r, _f: perform(s, a, list_users)),
    Case("add_user", ADMIN_ONLY, lambda s, a, r, _f: perform(
        s, a, add_user, username=f"new-{r}", password="Str0ng!Passw0rd", first_name="New",
        last_name="User", roles=("nurse",))),
    Case("reset_password", ADMIN_ONLY, lambda s, a, _r, _f: perform(
        s, a, reset_password, username="assistant", new_password="Temp0rary!Pass")),
    Case("unlock_user", ADMIN_ONLY,
         lambda s, a, _r, _f: perform(s, a, unlock_user, username="assistant")),
    Case("set_active", ADMIN_ONLY,
         lambda s, a, _r, _f: perform(s, a, set_active, username="assistant", active=True)),
    Case("set_roles", ADMIN_ONLY, lambda s, a, _r, _f: perform(
        s, a, set_roles, username="assistant", roles=("medical_assistant",))),
    Case("set_role_mfa_required", ADMIN_ONLY, lambda s, a, _r, _f: perform(
        s, a, set_role_mfa_required, role="biller", required=False)),
    Case("reset_mfa", ADMIN_ONLY,
         lambda s, a, _r, _f: perform(s, a, reset_mfa, username="assistant")),
    Case("search_audit", ADMIN_ONLY, lambda s, a, _r, _f: perform(s, a, search_audit)),
    Case("count_audit", ADMIN_ONLY, lambda s, a, _r, _f: perform(
        s, a, count_audit, action="break_glass", start=datetime(2026, 1, 1, tzinfo=UTC))),
    Case("export_audit_csv", ADMIN_ONLY,
         lambda s, a, _r, _f: perform(s, a, export_audit_csv, out=io.StringIO())),
    Case("verify_trail", ADMIN_ONLY, lambda s, a, _r, _f: perform(s, a, verify_trail)),
    Case("chain_heads", ADMIN_ONLY, lambda s, a, _r, _f: perform(s, a, chain_heads)),
    Case("set_privacy", ADMIN_ONLY, lambda s, a, _r, f: perform(
        s, a, set_privacy, patient_id=f["other"], restricted=False)),
    Case("import_patients", REGISTERING, lambda s, a, r, _f: perform(
        s, a, import_patients, records=[_new_patient(r)])),
    Case("patient_id_for_mrn", STAFF_READING_RECORDS | {"patient", "admin"},
         lambda s, a, _r, _f: perform(s, a, patient_id_for_mrn, mrn=DEMO_RESTRICTED_MRN)),
    Case("open_patient (another patient's record)", STAFF_READING_RECORDS,
         lambda s, a, _r, f: perform(s, a, open_patient, patient_id=f["other"])),
    Case("open_patient (the portal user's own record)", STAFF_READING_RECORDS | {"patient"},
         lambda s, a, _r, f: perform(s, a, open_patient, patient_id=f["own"])),
    Case("open_patient (restricted, with a reason)", CLINICAL, lambda s, a, _r, f: perform(
        s, a, open_patient, patient_id=f["restricted"],
        break_glass_reason="Emergency: patient unresponsive in the waiting room")),
    Case("search_patients", STAFF_READING_RECORDS,
         lambda s, a, _r, _f: perform(s, a, search_patients, query="garcia", today=TODAY)),
    Case("register_patient", REGISTERING, lambda s, a, r, _f: perform(
        s, a, register_patient, demographics=_demographics(r), today=TODAY)),
    Case("get_patient (another patient's record)", STAFF_READING_RECORDS,
         lambda s, a, _r, f: perform(s, a, get_patient, patient_id=f["other"])),
    Case("get_patient (the portal user's own record)", STAFF_READING_RECORDS | {"patient"},
         lambda s, a, _r, f: perform(s, a, get_patient, patient_id=f["own"])),
    Case("reveal_ssn", REGISTERING,
         lambda s, a, _r, f: perform(s, a, reveal_ssn, patient_id=f["other"])),
    Case("policies", STAFF_READING_RECORDS,
         lambda s, a, _r, f: perform(s, a, policies, patient_id=f["other"])),
    Case("save_policy", REGISTERING, lambda s, a, r, _f: perform(
        s, a, save_policy, patient_id=_duplicate(s, a.seat, r), policy=PolicyInput(
            rank="primary", company_id=_payer(s, a.seat), member_id="ROLE1"))),
    Case("record_consent", REGISTERING, lambda s, a, _r, f: perform(
        s, a, record_consent, patient_id=f["other"], kind="treatment", granted_on=TODAY,
        today=TODAY)),
    Case("privacy_settings", ADMIN_ONLY,
         lambda s, a, _r, f: perform(s, a, privacy_settings, patient_id=f["other"])),
    Case("label_facts", STAFF_READING_RECORDS,
         lambda s, a, _r, f: perform(s, a, label_facts, patient_ids=[f["other"]])),
    Case("merge_patients", MERGING, lambda s, a, r, f: perform(
        s, a, merge_patients, survivor_id=f["other"], merged_id=_duplicate(s, a.seat, r),
        reason=REASON)),
    # the conflict review screen: the roles that own the clinic's records, and the admin
    Case("open_conflicts", {"physician", "nurse", "front_desk", "admin"},
         lambda s, a, _r, _f: perform(s, a, open_conflicts)),
)


@pytest.fixture
def world(demo_store: Store) -> tuple[dict[str, Actor], dict[str, Any]]:
    """An actor per role, and three records: another patient, the portal user's own, and a
    restricted one with nobody on its care team."""
    actors = {}
    with demo_store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        for role, username in USERS.items():
            outcome = authenticate(session, seat=seat, username=username,
                                   password=DEMO_PASSWORD)
            assert outcome.actor is not None and outcome.actor.roles == (role,)
            actors[role] = outcome.actor
        own = session.scalar(select(User.patient_id).where(User.username == "patient"))
        other, restricted = session.scalars(
            select(Patient.id).where(Patient.id != own).order_by(Patient.mrn).limit(2)).all()
    perform(demo_store, actors["admin"], set_privacy, patient_id=restricted, restricted=True)
    return actors, {"own": own, "other": other, "restricted": restricted}


def _denials(store: Store) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "permission.denied")) or 0


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_role_against_a_guarded_service(
    demo_store: Store, world: tuple[dict[str, Actor], dict[str, Any]], case: Case
) -> None:
    actors, records = world
    assert case.allowed <= set(ROLES)
    outcome: dict[str, str] = {}
    for role in ROLES:
        denials_before = _denials(demo_store)
        try:
            case.call(demo_store, actors[role], role, records)
        except PermissionDenied:
            outcome[role] = "denied"
            assert _denials(demo_store) == denials_before + 1, f"{role}: denial not audited"
        else:
            outcome[role] = "allowed"
            assert _denials(demo_store) == denials_before, f"{role}: allowed yet audited denied"
    expected = {role: "allowed" if role in case.allowed else "denied" for role in ROLES}
    assert outcome == expected


def test_the_command_line_administrator_passes_every_check(
    demo_store: Store, world: tuple[dict[str, Actor], dict[str, Any]]
) -> None:
    """medtrack-admin runs as the system actor: whoever holds the database key holds all."""
    _actors, records = world
    system = Actor.system(_actors["admin"].seat)
    for case in CASES:
        case.call(demo_store, system, f"system-{uuid.uuid4().hex[:6]}", records)
