"""Appointment figures for a period, per provider and in all, as in the seed report: total,
upcoming, completed, scheduled, cancelled and no-show (one grouped query; no patient data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.scheduling.models import Appointment
from medtrack_desktop.store.base import utcnow

_WAITING = ("scheduled", "confirmed")


@dataclass
class AppointmentCounts:
    total: int = 0
    upcoming: int = 0  # scheduled or confirmed, not yet begun
    completed: int = 0
    scheduled: int = 0  # scheduled or confirmed, whenever
    cancelled: int = 0
    no_show: int = 0

    def add(self, other: AppointmentCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class AppointmentMetrics:
    first_day: date
    last_day: date
    overall: AppointmentCounts = field(default_factory=AppointmentCounts)
    by_provider: dict[uuid.UUID, AppointmentCounts] = field(default_factory=dict)


def appointment_metrics(session: Session, actor: Actor, *, first_day: date, last_day: date,
                        provider_id: uuid.UUID | None = None,
                        now: datetime | None = None) -> AppointmentMetrics:
    """Counts of the appointments that start between two clinic days (inclusive)."""
    require(actor, "schedule.read")
    zone = ZoneInfo(actor.seat.clinic_timezone)
    starts = datetime.combine(first_day, time(), zone)
    ends = datetime.combine(last_day + timedelta(days=1), time(), zone)
    moment = now or utcnow()
    upcoming = func.sum(case((Appointment.status.in_(_WAITING)
                              & (Appointment.starts_at > moment), 1), else_=0))
    statement = (
        select(Appointment.provider_id, Appointment.status, func.count(), upcoming)
        .where(Appointment.clinic_id == actor.seat.clinic_id, Appointment.deleted_at.is_(None),
               Appointment.starts_at >= starts, Appointment.starts_at < ends)
        .group_by(Appointment.provider_id, Appointment.status))
    if provider_id is not None:
        statement = statement.where(Appointment.provider_id == provider_id)
    metrics = AppointmentMetrics(first_day, last_day)
    for provider, status, count, later in session.execute(statement):
        counts = metrics.by_provider.setdefault(provider, AppointmentCounts())
        counts.total += count
        counts.upcoming += later or 0
        if status in _WAITING:
            counts.scheduled += count
        elif status in ("completed", "cancelled", "no_show"):
            setattr(counts, status, getattr(counts, status) + count)
    for counts in metrics.by_provider.values():
        metrics.overall.add(counts)
    return metrics
