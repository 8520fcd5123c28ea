"""How a conflict's values read to a person: the records' and fields' names, values in words
(secrets never shown), and a typed correction read back as the column's value."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Column, TypeDecorator

from medtrack_desktop.sync.tables import BOOKKEEPING, synced
from medtrack_desktop.sync.wire import decode

#: What a person calls a row of each table (others: the table name in words).
RECORD_LABELS = {
    "patients": "Patient", "appointments": "Appointment", "appointment_series":
    "Recurring appointment", "appointment_status_changes": "Appointment status",
    "appointment_categories": "Appointment category", "facilities": "Facility",
    "rooms": "Room", "users": "User", "roles": "Role", "user_roles": "User's role",
    "clinics": "Clinic settings", "workstations": "Workstation", "encounters": "Encounter",
    "clinical_notes": "Clinical note", "vital_signs": "Vital signs", "allergies": "Allergy",
    "medications": "Medication", "problems": "Problem", "immunizations": "Immunization",
    "procedures": "Procedure", "documents": "Document", "patient_insurance": "Insurance",
    "patient_guarantors": "Guarantor", "patient_consents": "Consent",
    "waitlist_entries": "Waitlist entry", "reminders": "Reminder",
    "sync_conflicts": "Conflict resolution",
}
REASONS = {
    "changed": "Changed on two workstations",
    "missing": "The server does not have this record",
    "signed": "The record is signed",
    "double_booking": "Double booking",
    "refused": "Refused by the server",
}
RESOLUTIONS = {"kept_server": "Server's version kept", "kept_local": "This version kept",
               "merged": "Merged field by field"}
_FIELD_LABELS = {
    "date_of_birth": "Date of birth", "phone_home": "Home phone", "phone_mobile": "Mobile phone",
    "phone_work": "Work phone", "email": "Email", "address_line1": "Address",
    "address_line2": "Address (line 2)", "postal_code": "ZIP code", "mrn": "MRN",
    "starts_at": "Starts", "ends_at": "Ends", "ssn_cipher": "SSN", "npi": "NPI",
}
NEVER_EDITED = frozenset({"id", "clinic_id", "created_at", "created_by", *BOOKKEEPING})


def record_label(table_name: str) -> str:
    return RECORD_LABELS.get(table_name) or table_name.replace("_", " ").capitalize()


def field_label(name: str) -> str:
    if name in _FIELD_LABELS:
        return _FIELD_LABELS[name]
    words = name.removesuffix("_id").removesuffix("_on").replace("_", " ")
    return words[:1].upper() + words[1:]


def is_sealed(column: Column[Any]) -> bool:
    name = column.name
    return (name.endswith(("_cipher", "_digest", "_hash")) or name in ("mfa_secret", "photo")
            or synced(column.table.name).is_blob(name))


def is_editable(column: Column[Any]) -> bool:
    return (column.name not in NEVER_EDITED and not column.foreign_keys
            and not is_sealed(column))


def shown(column: Column[Any], wire: Any, zone: ZoneInfo) -> str:
    """A wire value as a person reads it."""
    if wire is None or wire == "":
        return "(empty)"
    if is_sealed(column):
        return "(sealed)"
    value = decode(column, wire)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return f"record \u2026{str(value)[-6:]}"
    return str(value)


def parsed(column: Column[Any], text: str, zone: ZoneInfo) -> Any:
    """A typed correction as the column's Python value (``ValueError`` says what to type)."""
    text = text.strip()
    if text in ("", "(empty)"):
        if not column.nullable:
            raise ValueError("enter a value")
        return None
    kind = _python_type(column)
    try:
        if kind is datetime:
            value = datetime.fromisoformat(text)
            return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)
        if kind is date:
            return date.fromisoformat(text)
        if kind is time:
            return time.fromisoformat(text)
        if kind is Decimal:
            return Decimal(text)
        if kind is bool:
            if text.lower() not in ("yes", "no", "true", "false"):
                raise ValueError
            return text.lower() in ("yes", "true")
        if kind is int:
            return int(text)
    except (ValueError, ArithmeticError):
        raise ValueError({
            str: "enter text", datetime: "enter a date and time like 2027-03-08 10:30",
            date: "enter a date like 2027-03-08", time: "enter a time like 10:30",
            Decimal: "enter a number", bool: "enter yes or no", int: "enter a whole number",
        }[kind]) from None
    return text


def _python_type(column: Column[Any]) -> type:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    try:
        return kind.python_type
    except NotImplementedError:
        return str
