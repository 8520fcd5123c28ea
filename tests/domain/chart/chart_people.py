"""Who is in a chart test, and what they did: the demo clinic's staff (signed in on first use)
and the chart audit entries of one patient."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_RESTRICTED_MRN
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import Store


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
    free: Iterator[uuid.UUID]  # unrestricted patients nobody in the module used yet

    physician = SignedIn()
    nurse = SignedIn()
    assistant = SignedIn()
    frontdesk = SignedIn()
    biller = SignedIn()


def open_demo_chart(store: Store, *, born_before: date | None = None) -> DemoChart:
    """The demo chart on ``store``; ``born_before`` keeps only patients born before that day
    (the module records things that happened then)."""
    with store.read_session() as session:
        patients = select(Patient.id).order_by(Patient.mrn)
        if born_before is not None:
            patients = patients.where(Patient.date_of_birth < born_before)
        ids = session.scalars(patients).all()
        restricted = session.scalar(select(Patient.id).where(Patient.mrn == DEMO_RESTRICTED_MRN))
    assert restricted is not None
    return DemoChart(store=store, restricted=restricted,
                     free=iter([i for i in ids if i != restricted]))


def chart_audit(store: Store, patient: uuid.UUID) -> list[AuditEntry]:
    """The patient's chart audit entries (``chart.*``), oldest first, readable after the
    session."""
    with store.read_session() as session:
        rows = session.scalars(select(AuditEntry).where(
            AuditEntry.patient_id == patient, AuditEntry.action.like("chart.%"))
            .order_by(AuditEntry.seq)).all()
        session.expunge_all()
        return list(rows)
