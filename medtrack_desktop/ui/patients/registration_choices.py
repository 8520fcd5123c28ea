"""What people read for the registry's stored codes and columns.

The database keeps short codes ("black_african_american", "not_disclosed", "en"); forms,
the summary and the history show these labels instead. A test checks every stored code has
one, so a code added to the models without a label fails there, not in front of a patient.
"""

from __future__ import annotations

from medtrack_desktop.domain.patients.demographics import CHOICE_FIELDS, PHONE_FIELDS, TEXT_FIELDS

CHOICES: dict[str, dict[str, str]] = {
    "sex": {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"},
    "gender_identity": {
        "female": "Female", "male": "Male", "transgender_female": "Transgender woman",
        "transgender_male": "Transgender man", "non_binary": "Non-binary", "other": "Other",
        "not_disclosed": "Prefer not to say",
    },
    "race": {
        "american_indian_alaska_native": "American Indian or Alaska Native",
        "asian": "Asian",
        "black_african_american": "Black or African American",
        "native_hawaiian_pacific_islander": "Native Hawaiian or Other Pacific Islander",
        "white": "White",
        "multiple": "More than one race",
        "other": "Other",
        "declined": "Prefer not to say",
    },
    "ethnicity": {"hispanic_latino": "Hispanic or Latino",
                  "not_hispanic_latino": "Not Hispanic or Latino",
                  "declined": "Prefer not to say"},
    "marital_status": {
        "single": "Single", "married": "Married", "domestic_partner": "Domestic partner",
        "divorced": "Divorced", "separated": "Separated", "widowed": "Widowed",
        "unknown": "Unknown",
    },
    "rank": {"primary": "Primary", "secondary": "Secondary", "tertiary": "Tertiary"},
    "subscriber_relation": {"self": "Self (the patient)", "spouse": "Spouse",
                            "child": "Child", "other": "Other"},
    "guarantor_relation": {"self": "Self (the patient pays)", "parent": "Parent",
                           "spouse": "Spouse", "legal_guardian": "Legal guardian",
                           "other": "Other"},
    # Under "Consent to:", each starting with its own letter for the keyboard.
    "consent_kind": {"treatment": "Treatment",
                     "phi_disclosure": "Disclosing health information"},
}

# ISO 639-1 codes (what the demo data and imports store) of the languages most asked for at a
# US front desk; anything else is kept as typed.
LANGUAGES = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese", "tl": "Tagalog",
    "ar": "Arabic", "fr": "French", "ko": "Korean", "ru": "Russian", "de": "German",
    "hi": "Hindi", "pt": "Portuguese", "it": "Italian", "pl": "Polish", "ur": "Urdu",
    "fa": "Persian", "ja": "Japanese", "ht": "Haitian Creole", "so": "Somali",
    "sgn": "Sign language",
}

US_STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands", "GU": "Guam", "AS": "American Samoa",
    "MP": "Northern Mariana Islands", "AA": "Armed Forces Americas",
    "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific",
}

FIELD_LABELS: dict[str, str] = {
    **{column: label for column, (label, _limit) in TEXT_FIELDS.items()},
    **PHONE_FIELDS,
    **{column: label for column, (label, _choices) in CHOICE_FIELDS.items()},
    "address_line1": "Address line 1",
    "emergency_contact_relation": "Emergency contact relation",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "country": "Country",
    "email": "Email",
    "ssn": "SSN",
    "photo": "Photo",
    "deceased": "Deceased",
    "deceased_on": "Date of death",
    "active": "Active",
    "mrn": "MRN",
}


def choice_label(field: str, code: str | None) -> str:
    """The label of a stored code ("" for none; an unknown code as it is)."""
    if not code:
        return ""
    return CHOICES.get(field, {}).get(code, code)


def language_label(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "")


def field_label(column: str) -> str:
    return FIELD_LABELS.get(column, column.replace("_", " ").capitalize())


def history_value(column: str, value: str | None) -> str:
    """A value of the demographic history as read (the history keeps codes and ISO dates)."""
    if value is None:
        return "(empty)"
    if column in CHOICES:
        return choice_label(column, value)
    if column == "preferred_language":
        return language_label(value)
    return {"yes": "Yes", "no": "No"}.get(value, value)
