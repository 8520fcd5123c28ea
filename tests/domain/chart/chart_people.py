"""Who is in a chart test, and what they did: the demo clinic's staff (signed in on first use),
small clinics made through the services for the tests that build their own (once per module,
a copy per test), and the chart audit entries of one patient."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from typing import TypeVar

from demo_users import register_patient_today, sign_in
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD, DEMO_RESTRICTED_MRN
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import Store

ClinicT = TypeVar("ClinicT")


class SignedIn:
    """A demo user, signed in the first time a test asks for them (signing in hashes the
    password, slow on purpose, so a module pays only for the users it uses)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.username = name

    def __get__(self, chart: DemoChart, owner: type | None = None) -> Actor:
        actor = sign_in(chart.store, self.username)
        chart.__dict__[self.username] = actor  # from now on found before the descriptor
        return actor


@dataclass
class DemoChart:
    """One copy of the demo clinic for a test module; each test charts its own patient."""

    store: Store
    restricted: uuid.UUID  # on the physician's care team only
    free: Iterator[uuid.UUID]  # new unrestricted patients with empty charts

    physician = SignedIn()
    nurse = SignedIn()
    assistant = SignedIn()
    frontdesk = SignedIn()
    biller = SignedIn()


def open_demo_chart(store: Store, *, born_before: date | None = None) -> DemoChart:
    """The demo chart on ``store``. Every demo patient has a chart already, so the module's
    ``free`` patients are registered as a test asks for one, with an empty chart (born before
    ``born_before`` where the module records things that happened then)."""
    with store.read_session() as session:
        restricted = session.scalar(select(Patient.id).where(Patient.mrn == DEMO_RESTRICTED_MRN))
    assert restricted is not None
    born = _ADULT_BIRTHDAY
    if born_before is not None and born_before <= born:
        born = born_before - timedelta(days=365)
    free = (register_patient_today(store, born=born) for _ in count())
    return DemoChart(store=store, restricted=restricted, free=free)


_ADULT_BIRTHDAY = date(1961, 4, 12)


def add_staff(
    store: Store, staff: Mapping[str, str], *, clinic_name: str, workstation_name: str
) -> Actor:
    """A new clinic on ``store`` with these users (username -> role, the demo password), made
    through the services; the system actor, to go on making the clinic with."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name=clinic_name,
                                      workstation_name=workstation_name)
    system = Actor.system(seat, name="test")
    for username, role in staff.items():
        perform(store, system, add_user, username=username, password=DEMO_PASSWORD,
                first_name=username.title(), last_name="Staff", roles=(role,))
    return system


def chart_audit(store: Store, patient: uuid.UUID) -> list[AuditEntry]:
    """The patient's chart audit entries (``chart.*``), oldest first, readable after the
    session."""
    with store.read_session() as session:
        rows = session.scalars(select(AuditEntry).where(
            AuditEntry.patient_id == patient, AuditEntry.action.like("chart.%"))
            .order_by(AuditEntry.seq)).all()
        session.expunge_all()
        return list(rows)
