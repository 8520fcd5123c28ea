"""Every code the registry stores has a label people read, and every form column a name."""

from __future__ import annotations

from dataclasses import fields

from medtrack_desktop.domain.patients.demographics import US_STATES, Demographics
from medtrack_desktop.domain.patients.models import (
    CONSENT_KINDS,
    ETHNICITIES,
    GENDER_IDENTITIES,
    GUARANTOR_RELATIONS,
    INSURANCE_RANKS,
    MARITAL_STATUSES,
    RACES,
    SEXES,
    SUBSCRIBER_RELATIONS,
)
from medtrack_desktop.ui.patients.registration_choices import (
    CHOICES,
    FIELD_LABELS,
    US_STATE_NAMES,
    choice_label,
    history_value,
)


def test_every_stored_code_has_a_label() -> None:
    stored = {"sex": SEXES, "gender_identity": GENDER_IDENTITIES, "race": RACES,
              "ethnicity": ETHNICITIES, "marital_status": MARITAL_STATUSES,
              "rank": INSURANCE_RANKS, "subscriber_relation": SUBSCRIBER_RELATIONS,
              "guarantor_relation": GUARANTOR_RELATIONS, "consent_kind": CONSENT_KINDS}
    assert {field: tuple(CHOICES[field]) for field in stored} == stored
    assert choice_label("race", "black_african_american") == "Black or African American"
    assert choice_label("gender_identity", "not_disclosed") == "Prefer not to say"
    assert set(US_STATE_NAMES) == US_STATES


def test_every_column_of_the_history_has_a_name() -> None:
    assert {f.name for f in fields(Demographics)} | {"photo"} <= FIELD_LABELS.keys()
    assert history_value("race", "white") == "White"
    assert history_value("preferred_language", "vi") == "Vietnamese"
    assert history_value("deceased", "yes") == "Yes"
    assert history_value("email", None) == "(empty)"
