"""What the front desk types for a patient, checked and normalised field by field.

``clean_demographics`` turns a ``Demographics`` (strings as typed) into column values, or raises
``DemographicsInvalid`` with one message per field, named the way the form labels it, so the
form shows each problem beside its field. Phones are stored in national format, emails
normalised, the SSN reduced to its 9 digits (and never stored as such: see the registry).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.us import ssn as us_ssn

from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.patients.models import (
    ETHNICITIES,
    GENDER_IDENTITIES,
    MARITAL_STATUSES,
    RACES,
    SEXES,
)

MAX_AGE_YEARS = 130
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP AA AE AP"
)
US_STATES = frozenset(_STATE_CODES.split())
# Direction overrides, zero-width spaces and the BOM make look-alike names; the zero-width
# joiners some scripts need (U+200C, U+200D) stay allowed.
_INVISIBLE = frozenset("\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060"
                       "\u2066\u2067\u2068\u2069\ufeff")
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Column -> (form label, longest value kept)
TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "first_name": ("First name", 100),
    "middle_name": ("Middle name", 100),
    "last_name": ("Last name", 100),
    "preferred_name": ("Preferred name", 100),
    "preferred_language": ("Preferred language", 35),
    "address_line1": ("Address", 200),
    "address_line2": ("Address line 2", 200),
    "city": ("City", 100),
    "state": ("State", 50),
    "postal_code": ("ZIP code", 20),
    "emergency_contact_name": ("Emergency contact", 200),
    "emergency_contact_relation": ("Relation", 40),
    "employer_name": ("Employer", 200),
    "notes": ("Notes", 4000),
}
PHONE_FIELDS = {
    "phone_home": "Home phone",
    "phone_mobile": "Mobile phone",
    "phone_work": "Work phone",
    "emergency_contact_phone": "Emergency contact phone",
}
CHOICE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gender_identity": ("Gender identity", GENDER_IDENTITIES),
    "race": ("Race", RACES),
    "ethnicity": ("Ethnicity", ETHNICITIES),
    "marital_status": ("Marital status", MARITAL_STATUSES),
}


class DemographicsInvalid(FieldsInvalid):
    """Demographics that cannot be saved as typed."""


@dataclass(frozen=True)
class Demographics:
    """A patient's demographics as entered. Empty strings mean "not given".

    ``ssn``: the number as typed; on an update, ``None`` leaves the stored SSN as it is and
    ``""`` removes it.
    """

    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    preferred_name: str = ""
    date_of_birth: date | None = None
    sex: str = "unknown"
    gender_identity: str = ""
    race: str = ""
    ethnicity: str = ""
    marital_status: str = ""
    preferred_language: str = ""
    ssn: str | None = None
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "US"
    phone_home: str = ""
    phone_mobile: str = ""
    phone_work: str = ""
    email: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relation: str = ""
    employer_name: str = ""
    deceased: bool = False
    deceased_on: date | None = None
    active: bool = True
    notes: str = ""


def clean_text(
    value: str, label: str, limit: int, errors: dict[str, str], column: str, *,
    multiline: bool = False,
) -> str | None:
    """``value`` trimmed (runs of spaces collapsed, except in notes and ``multiline`` text),
    None when empty; a problem goes into ``errors[column]`` with the field's ``label``."""
    text = value.strip() if multiline or column == "notes" else " ".join(value.split())
    if any((unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in _INVISIBLE
           for ch in text):
        errors[column] = f"{label}: remove the control or invisible characters."
        return None
    if len(text) > limit:
        errors[column] = f"{label}: at most {limit} characters."
        return None
    return text or None


def format_phone(text: str, *, region: str = "US") -> str:
    """A phone number in the form we store (national for ``region``, international
    otherwise); ValueError when it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(text) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(text)
    style = (phonenumbers.PhoneNumberFormat.NATIONAL
             if phonenumbers.region_code_for_number(number) == region
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


def clean_ssn(text: str) -> str:
    """The 9 digits of a valid US SSN; ValueError otherwise (the message names the field)."""
    digits = us_ssn.compact(text)
    if not us_ssn.is_valid(digits):
        raise ValueError("SSN: not a valid Social Security number (9 digits, as 123-45-6789).")
    return digits


def clean_demographics(entered: Demographics, *, today: date) -> dict[str, Any]:
    """Column values for ``entered`` (``ssn`` as 9 digits, "" to remove, None to keep), or
    ``DemographicsInvalid``."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for column, (label, limit) in TEXT_FIELDS.items():
        values[column] = clean_text(getattr(entered, column), label, limit, errors, column)
    values["first_name"] = values["first_name"] or ""
    if not values["last_name"] and "last_name" not in errors:
        errors["last_name"] = ("Last name: required (a patient known by one name has it "
                               "here).")

    country = entered.country.strip().upper() or "US"
    if not _COUNTRY.match(country):
        errors["country"] = "Country: a two-letter code such as US."
    values["country"] = country
    us = country == "US"
    if values["state"] and us:
        values["state"] = values["state"].upper()
        if values["state"] not in US_STATES:
            errors["state"] = "State: a two-letter US state code such as TX."
    if values["postal_code"] and us and not _US_ZIP.match(values["postal_code"]):
        errors["postal_code"] = "ZIP code: 5 digits, or 5+4 as 78701-1234."

    for column, label in PHONE_FIELDS.items():
        typed = getattr(entered, column).strip()
        values[column] = None
        if typed:
            try:
                values[column] = format_phone(typed, region=country if not us else "US")
            except ValueError:
                errors[column] = f"{label}: not a valid phone number, e.g. (512) 555-0147."

    email = entered.email.strip()
    values["email"] = None
    if email:
        try:
            values["email"] = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "Email: not a valid address, e.g. name@example.com."

    if entered.sex not in SEXES:
        errors["sex"] = "Sex: choose female, male, other or unknown."
    values["sex"] = entered.sex
    for column, (label, allowed) in CHOICE_FIELDS.items():
        chosen = getattr(entered, column).strip()
        if chosen and chosen not in allowed:
            errors[column] = f"{label}: not one of the listed choices."
        values[column] = chosen or None

    born = entered.date_of_birth
    if born is None:
        errors["date_of_birth"] = "Date of birth: required."
    elif born > today:
        errors["date_of_birth"] = "Date of birth: cannot be in the future."
    elif today.year - born.year > MAX_AGE_YEARS:
        errors["date_of_birth"] = f"Date of birth: more than {MAX_AGE_YEARS} years ago."
    values["date_of_birth"] = born

    values["deceased"] = entered.deceased
    values["deceased_on"] = entered.deceased_on if entered.deceased else None
    if entered.deceased_on is not None and not entered.deceased:
        errors["deceased_on"] = "Date of death: tick Deceased, or clear the date."
    elif entered.deceased_on is not None and (
        entered.deceased_on > today or (born is not None and entered.deceased_on < born)
    ):
        errors["deceased_on"] = "Date of death: between the date of birth and today."
    values["active"] = entered.active

    values["ssn"] = entered.ssn
    if entered.ssn:
        try:
            values["ssn"] = clean_ssn(entered.ssn)
        except ValueError as problem:
            errors["ssn"] = str(problem)
    elif entered.ssn is not None:
        values["ssn"] = ""

    if errors:
        raise DemographicsInvalid(errors)
    return values

