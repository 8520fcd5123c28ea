"""The search box's result table, and the columns every list of patients starts with.

A restricted record is marked in words and with a lock icon (never by colour alone), so it is
plain before anyone tries to open it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol, TypeVar

from PySide6.QtCore import Qt

from medtrack_desktop.domain.patients.search import PatientMatch
from medtrack_desktop.ui.icons import icon
from medtrack_desktop.ui.models.rows import Column, Index, RowsTableModel
from medtrack_desktop.ui.widgets.patient_bar import age_text

RESTRICTED = "Restricted"
DECEASED = "Deceased"


class PatientLine(Protocol):
    """What a row of any patient list has (search matches, the patient list)."""

    @property
    def display_name(self) -> str: ...
    @property
    def date_of_birth(self) -> date: ...
    @property
    def sex(self) -> str: ...
    @property
    def mrn(self) -> str: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def restricted(self) -> bool: ...


P = TypeVar("P", bound=PatientLine)


def person_columns(today: Callable[[], date]) -> tuple[Column[PatientLine], ...]:
    """Name, birth date, age (as of the clinic's ``today()``, asked each time a cell is
    drawn so a list left open over midnight stays right), sex, MRN, phone."""
    return (
        Column("Name", lambda p: p.display_name),
        Column("Date of birth", lambda p: f"{p.date_of_birth:%Y-%m-%d}"),
        Column("Age", lambda p: age_text(p.date_of_birth, today())),
        Column("Sex", lambda p: p.sex.capitalize()),
        Column("MRN", lambda p: p.mrn),
        Column("Phone", lambda p: p.phone or ""),
    )


class PatientRowsModel(RowsTableModel[P]):
    """Rows of patients; the ``marker`` column shows the lock icon of restricted records."""

    def __init__(self, columns: Sequence[Column[P]], *, marker: int) -> None:
        super().__init__(columns)
        self._marker = marker

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DecorationRole:
            row = self.row_at(index.row())
            if index.column() == self._marker and row is not None and row.restricted:
                return icon("restricted.svg")
            return None
        return super().data(index, role)


def _flags(match: PatientMatch) -> str:
    return ", ".join(flag for flag, on in ((RESTRICTED, match.restricted),
                                          (DECEASED, match.deceased)) if on)


class PatientMatchesModel(PatientRowsModel[PatientMatch]):
    def __init__(self, *, today: Callable[[], date]) -> None:
        columns = (*person_columns(today), Column("Record", _flags))
        super().__init__(columns, marker=len(columns) - 1)
