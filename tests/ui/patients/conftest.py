"""The front-desk user and their window's workspace, which most patients-module tests act as."""

from __future__ import annotations

import pytest
from demo_users import sign_in
from pytestqt.qtbot import QtBot
from ui_support import make_workspace

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.workspace import Workspace


@pytest.fixture
def frontdesk(context: AppContext) -> Actor:
    return sign_in(context.store, "frontdesk")


@pytest.fixture
def workspace(qtbot: QtBot, context: AppContext, frontdesk: Actor) -> Workspace:
    return make_workspace(qtbot, context, frontdesk)
