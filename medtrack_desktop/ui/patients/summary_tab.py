"""What a tab of the patient summary answers to."""

from __future__ import annotations

import uuid
from typing import Protocol

from PySide6.QtWidgets import QWidget


class PatientTab(Protocol):
    """A tab of the patient summary. ``set_patient`` forgets the last patient's data at once;
    the summary calls ``refresh`` when the tab is first shown for that patient (so only what
    is looked at is read, and audited as read)."""

    view: QWidget

    def set_patient(self, patient_id: uuid.UUID | None) -> None: ...

    def refresh(self) -> None: ...
