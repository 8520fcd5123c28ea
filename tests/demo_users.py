"""Signing a demo user in, for tests that need an actor (the same path as the sign-in dialog)."""

from __future__ import annotations

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.engine import Store


def sign_in(store: Store, username: str, password: str = DEMO_PASSWORD) -> Actor:
    """The actor of a user of the database's clinic (one without two-step sign-in)."""
    with store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        outcome = authenticate(session, seat=seat, username=username, password=password)
    assert outcome.actor is not None, f"{username} could not sign in"
    return outcome.actor
