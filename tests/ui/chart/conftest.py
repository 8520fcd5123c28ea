"""The clinical users chart tests act as, and a demo patient to chart."""

from __future__ import annotations

import uuid

import pytest
from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.ui.context import AppContext


@pytest.fixture
def physician(context: AppContext) -> Actor:
    return sign_in(context.store, "physician")


@pytest.fixture
def nurse(context: AppContext) -> Actor:
    return sign_in(context.store, "nurse")


@pytest.fixture
def patient_id(context: AppContext) -> uuid.UUID:
    """An unrestricted demo patient."""
    with context.store.read_session() as session:
        found = session.scalars(select(Patient.id).where(Patient.restricted.is_(False))
                                .order_by(Patient.mrn)).first()
    assert found is not None
    return found
