"""A small clinic for chart tests on any engine: a physician, a second physician, a nurse, a
front desk clerk and one patient, made through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from medtrack_desktop.domain.identity.accounts import add_user, authenticate
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.store.engine import Store

PASSWORD = "Chart!Passw0rd"
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)


@dataclass(frozen=True)
class ChartClinic:
    physician: Actor
    colleague: Actor
    nurse: Actor
    frontdesk: Actor
    patient_id: uuid.UUID


def make_clinic(store: Store) -> ChartClinic:
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Chart Test Clinic",
                                      workstation_name="Exam 1")
        system = Actor.system(seat, name="test")
        for username, first, last, roles in (
            ("drlee", "Ana", "Lee", ("physician",)), ("drkim", "Jin", "Kim", ("physician",)),
            ("nurse", "Pat", "Ray", ("nurse",)), ("desk", "Sam", "Fox", ("front_desk",)),
        ):
            add_user(session, system, username=username, password=PASSWORD, first_name=first,
                     last_name=last, roles=roles)
        patient = register_patient(session, system, demographics=Demographics(
            last_name="Okafor", first_name="Chidi", sex="male", date_of_birth=date(1961, 4, 9)),
            today=TODAY)
    actors = {}
    for username in ("drlee", "drkim", "nurse", "desk"):
        with store.session() as session:
            outcome = authenticate(session, seat=seat, username=username, password=PASSWORD)
        assert outcome.actor is not None
        actors[username] = outcome.actor
    return ChartClinic(physician=actors["drlee"], colleague=actors["drkim"],
                       nurse=actors["nurse"], frontdesk=actors["desk"], patient_id=patient.id)
