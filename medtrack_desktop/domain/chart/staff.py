"""Who acted on a chart entry: a clinic user, or a typed name for someone outside the clinic
(the prescriber of a medication, who gave a vaccine, who performed a procedure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.patients.demographics import clean_text


def staff_or_name(
    session: Session, clinic_id: uuid.UUID, *, user_id: uuid.UUID | None, name: str,
    label: str, field: str, errors: dict[str, str],
) -> tuple[uuid.UUID | None, str | None]:
    """Who acted: a staff user of the clinic (by id), or a typed name for someone outside it
    (never both); a problem goes into ``errors[field]``."""
    typed = clean_text(name, label, 200, errors, field)
    if user_id is None:
        return None, typed
    if typed:
        errors[field] = f"{label}: choose a clinic user or type a name, not both."
    elif not session.scalar(select(exists().where(
            User.id == user_id, User.clinic_id == clinic_id, User.patient_id.is_(None)))):
        errors[field] = f"{label}: not a user of this clinic."
    return user_id, None


def staff_names(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Display names of these users, in one query (the lists show them by name)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.first_name, User.last_name)
                           .where(User.id.in_(wanted)))
    return {row.id: f"{row.first_name} {row.last_name}".strip() for row in rows}
