"""Running one service call as one unit of work, with permission denials audited.

A denial raised inside a service rolls its transaction back, so its audit entry is written in a
unit of work of its own, then the denial goes on to the caller (which shows it plainly).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.store.engine import Store

P = ParamSpec("P")
R = TypeVar("R")


def perform(
    store: Store,
    actor: Actor,
    service: Callable[Concatenate[Session, Actor, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``service(session, actor, …)`` in one transaction; a denial is audited, then re-raised."""
    try:
        with store.session() as session:
            return service(session, actor, *args, **kwargs)
    except PermissionDenied as denied:
        with store.session() as session:
            trail.record(
                session,
                seat=actor.seat,
                actor=actor,
                action="permission.denied",
                outcome="denied",
                patient_id=denied.patient_id,
                resource_type="patient" if denied.patient_id else None,
                resource_id=str(denied.patient_id) if denied.patient_id else None,
                reason=denied.permission,
                changes={"service": getattr(service, "__name__", "service")},
            )
        raise
