"""The patient summary's tables and the duplicate warning's list: columns over service results
(times in the clinic's time zone, codes by their labels)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from medtrack_desktop.domain.patients.consent import Consent
from medtrack_desktop.domain.patients.duplicates import DuplicateCandidate
from medtrack_desktop.domain.patients.insurance import Policy
from medtrack_desktop.domain.patients.registry import HistoryEntry
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.patients.registration_choices import (
    choice_label,
    field_label,
    history_value,
)

SHOWN_DATE = "%Y-%m-%d"


def day(value: date | None) -> str:
    return "" if value is None else value.strftime(SHOWN_DATE)


class HistoryTableModel(RowsTableModel[HistoryEntry]):
    """Demographic changes, newest first: when, who, which field, old → new."""

    def __init__(self, *, timezone: str) -> None:
        zone = ZoneInfo(timezone)
        super().__init__((
            Column("When", lambda e: f"{e.changed_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            Column("Who", lambda e: e.changed_by),
            Column("Field", lambda e: field_label(e.field)),
            Column("Change", lambda e: f"{history_value(e.field, e.old_value)} \u2192 "
                                       f"{history_value(e.field, e.new_value)}"),
        ))


class DuplicatesTableModel(RowsTableModel[DuplicateCandidate]):
    def __init__(self) -> None:
        super().__init__((
            Column("MRN", lambda c: c.mrn),
            Column("Name", lambda c: c.display_name),
            Column("Date of birth", lambda c: day(c.date_of_birth)),
            Column("Sex", lambda c: choice_label("sex", c.sex)),
            Column("Why", lambda c: "; ".join(c.reasons)),
        ))


def _subscriber(policy: Policy) -> str:
    if policy.subscriber_relation == "self":
        return choice_label("subscriber_relation", "self")
    name = ", ".join(part for part in (policy.subscriber_last_name,
                                       policy.subscriber_first_name) if part)
    return f"{name} ({choice_label('subscriber_relation', policy.subscriber_relation)})"


class PoliciesTableModel(RowsTableModel[Policy]):
    def __init__(self, *, today: Callable[[], date]) -> None:
        super().__init__((
            Column("Rank", lambda p: choice_label("rank", p.rank)),
            Column("Payer", lambda p: p.company_name,
                   lambda p: f"Payer id {p.payer_id}" if p.payer_id else ""),
            Column("Plan", lambda p: p.plan_name or ""),
            Column("Member id", lambda p: p.member_id),
            Column("Group", lambda p: p.group_number or ""),
            Column("Subscriber", _subscriber),
            Column("Copay", lambda p: "" if p.copay is None else f"${p.copay:,.2f}"),
            Column("Effective", lambda p: day(p.effective_on)),
            Column("Expires", lambda p: day(p.expires_on)),
            Column("In force", lambda p: "Yes" if p.in_force(today()) else "No"),
        ))


def consent_status(consent: Consent, today: date) -> str:
    if consent.withdrawn_on is not None:
        return f"Withdrawn {day(consent.withdrawn_on)}: {consent.withdrawal_reason or ''}"
    if consent.granted_on > today:
        return "Not yet in force"
    if consent.expires_on is not None and consent.expires_on < today:
        return "Expired"
    return "In force"


class ConsentsTableModel(RowsTableModel[Consent]):
    def __init__(self, *, today: Callable[[], date]) -> None:
        super().__init__((
            Column("Consent", lambda c: choice_label("consent_kind", c.kind)),
            Column("Given on", lambda c: day(c.granted_on)),
            Column("Expires", lambda c: day(c.expires_on)),
            Column("Disclose to", lambda c: c.disclosure_to or ""),
            Column("Status", lambda c: consent_status(c, today()),
                   lambda c: c.withdrawal_reason or ""),
            Column("Recorded by", lambda c: c.recorded_by),
            Column("Note", lambda c: c.note or "", lambda c: c.note or ""),
        ))
