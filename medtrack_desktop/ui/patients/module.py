"""Declares the patients module to the shell (for everyone who reads patient records)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.patients.page import PatientsPage

    return PatientsPage(context, actor, workspace)


PATIENTS = ModuleSpec(
    key="patients", title="Patients", icon="patients.svg", shortcut="Ctrl+2",
    permission="patient.read", create=_create,
)
