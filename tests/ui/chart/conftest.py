"""The clinical users chart tests act as, and a new patient to chart."""

from __future__ import annotations

import uuid

import pytest
from demo_users import register_patient_today, sign_in

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext


@pytest.fixture
def physician(context: AppContext) -> Actor:
    return sign_in(context.store, "physician")


@pytest.fixture
def nurse(context: AppContext) -> Actor:
    return sign_in(context.store, "nurse")


@pytest.fixture
def patient_id(context: AppContext) -> uuid.UUID:
    """A patient registered today: unrestricted, with an empty chart."""
    return register_patient_today(context.store)
