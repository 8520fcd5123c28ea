"""Service calls from views: each one ``perform`` (one unit of work, a denial audited) on the
task runner, its result delivered only if the widget still exists (the user may have signed
out) and, for a patient's view, only if that patient is still the one shown; and what the user
reads when a call fails."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientNotFound
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.tasks import Job, Task, while_shown


def service_job(store: Store, actor: Actor, service: Callable[..., Any], **kwargs: Any) -> Job:
    """``service(session, actor, **kwargs)`` as one unit of work, for the task runner."""
    return lambda _progress, _cancelled: perform(store, actor, service, **kwargs)


def error_text(error: Exception, *, doing: str) -> str:
    """The message a person reads: the service's own when it was written for people."""
    if isinstance(error, PatientNotFound | StaleRecord):
        return str(error)
    return plain_message(error, doing=doing)


def invalid_fields(error: Exception) -> dict[str, str] | None:
    """The messages by field of a validation refusal (the services' ``…Invalid.errors``)."""
    errors = getattr(error, "errors", None)
    return errors if isinstance(error, ValueError) and isinstance(errors, dict) else None


class ServiceCaller:
    """Starts service calls for ``owner`` as ``actor``."""

    def __init__(self, context: AppContext, actor: Actor, owner: QWidget) -> None:
        self._context, self._actor, self._owner = context, actor, owner

    def start(
        self, name: str, service: Callable[..., Any], /, *,
        on_done: Callable[[Any], None], on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> Task:
        return self._context.tasks.start(
            name, service_job(self._context.store, self._actor, service, **kwargs),
            on_done=while_shown(self._owner, on_done),
            on_failed=while_shown(self._owner, on_failed),
        )

    def run(self, name: str, job: Callable[[], Any], *, on_done: Callable[[Any], None],
            on_failed: Callable[[Exception], None]) -> Task:
        """A job without the database (decoding a picture)."""
        return self._context.tasks.start(
            name, lambda _progress, _cancelled: job(),
            on_done=while_shown(self._owner, on_done),
            on_failed=while_shown(self._owner, on_failed),
        )


class PatientCalls:
    """Service calls about the patient a view shows now. Each gets ``patient_id``; a result
    that arrives after another patient was opened is dropped, never shown for the wrong one."""

    def __init__(self, context: AppContext, actor: Actor, owner: QWidget) -> None:
        self._caller = ServiceCaller(context, actor, owner)
        self.patient_id: uuid.UUID | None = None

    def start(
        self, name: str, service: Callable[..., Any], /, *,
        on_done: Callable[[Any], None], on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> Task:
        return self.start_for_clinic(name, service, on_done=on_done, on_failed=on_failed,
                                     patient_id=self.patient_id, **kwargs)

    def start_for_clinic(
        self, name: str, service: Callable[..., Any], /, *,
        on_done: Callable[[Any], None], on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> Task:
        """A call about the clinic (its payers) made for this patient's form: no
        ``patient_id`` passed, the result dropped all the same if the patient changed."""
        asked_for = self.patient_id

        def if_current(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            return lambda result: callback(result) if self.patient_id == asked_for else None

        return self._caller.start(name, service, on_done=if_current(on_done),
                                  on_failed=if_current(on_failed), **kwargs)
