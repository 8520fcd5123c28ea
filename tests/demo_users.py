"""Signing a demo user in, for tests that need an actor (the same path as the sign-in dialog),
and patients registered afresh for tests that need an empty chart (every demo patient has one)."""

from __future__ import annotations

import uuid
from datetime import date
from itertools import count

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store


def sign_in(store: Store, username: str, password: str = DEMO_PASSWORD) -> Actor:
    """The actor of a user of the database's clinic (one without two-step sign-in)."""
    with store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        outcome = authenticate(session, seat=seat, username=username, password=password)
    assert outcome.actor is not None, f"{username} could not sign in"
    return outcome.actor


_REGISTERED = count(1)


def register_patient_today(store: Store, *, last_name: str | None = None,
                           first_name: str = "Fresh", born: date = date(1961, 4, 12),
                           sex: str = "female") -> uuid.UUID:
    """A patient registered today through the service by the workstation's system actor: no
    chart yet. Without ``last_name``, one no other patient of the run has."""
    with store.read_session() as session:
        seat = current_seat(session)
    assert seat is not None
    if last_name is None:
        last_name = "Newcomer-" + _letters(next(_REGISTERED))
    return perform(store, Actor.system(seat, name="test"), register_patient,
                   today=utcnow().date(),
                   demographics=Demographics(last_name=last_name, first_name=first_name,
                                             sex=sex, date_of_birth=born)).id


def _letters(number: int) -> str:
    """1 -> "a", 26 -> "z", 27 -> "aa" (names hold no digits)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters.title()
