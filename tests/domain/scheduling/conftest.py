"""Scheduling tests share one clinic made once per run and copied for each test (making its
users hashes passwords, slow on purpose)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from schedule_data import ScheduleClinic, make_schedule_clinic

from medtrack_desktop.store.engine import Store


@pytest.fixture
def clinic(clinic_copy: Callable[[Callable[[Store], Any]], Any]) -> ScheduleClinic:
    return clinic_copy(make_schedule_clinic)
