"""The modules that exist, in navigation order. A module appears only if the user may use it."""

from __future__ import annotations

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.admin.module import ADMIN
from medtrack_desktop.ui.calendar.module import CALENDAR
from medtrack_desktop.ui.chart.module import CHART
from medtrack_desktop.ui.front_desk.module import FRONT_DESK
from medtrack_desktop.ui.home.module import HOME
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.patients.module import PATIENTS
from medtrack_desktop.ui.sync_conflicts.module import CONFLICTS

ALL_MODULES: tuple[ModuleSpec, ...] = (HOME, PATIENTS, CHART, CALENDAR, FRONT_DESK, CONFLICTS,
                                        ADMIN)


def modules_for(actor: Actor) -> list[ModuleSpec]:
    return [spec for spec in ALL_MODULES if spec.available_to(actor)]
