"""The MRN format and the retention rule: changed by an administrator, checked, audited, used."""

from __future__ import annotations

from datetime import date

import pytest
from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.demo import FIRST_MRN
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.domain.patients.registry_settings import (
    registry_settings,
    set_registry_settings,
)
from medtrack_desktop.store.engine import Store

TODAY = date(2026, 11, 25)
CHILD = Demographics(last_name="Reyes", first_name="Lia", date_of_birth=date(2020, 1, 2))


def test_defaults_and_the_next_mrn(demo_store: Store) -> None:
    settings = perform(demo_store, sign_in(demo_store, "admin"), registry_settings)
    assert (settings.mrn_prefix, settings.mrn_digits, settings.retention_years,
            settings.retention_minor_until_age) == ("", 7, 10, 20)
    assert settings.next_mrn == mrn_with_check_digit(FIRST_MRN + 40)  # after the 40 demo patients


def test_a_new_format_and_retention_apply_to_the_next_registration(demo_store: Store) -> None:
    admin = sign_in(demo_store, "admin")
    settings = perform(demo_store, admin, set_registry_settings, changes={
        "mrn_prefix": "RV", "mrn_digits": 6, "retention_years": 7,
        "retention_minor_until_age": 21})
    assert settings.next_mrn == mrn_with_check_digit(1, width=6, prefix="RV")
    record = perform(demo_store, sign_in(demo_store, "frontdesk"), register_patient,
                     demographics=CHILD, today=TODAY)
    assert record.mrn == settings.next_mrn
    # A child: the later of the 21st birthday and 7 years after the last treatment.
    assert record.retention_until == date(2041, 1, 2)
    assert perform(demo_store, admin, registry_settings).next_mrn == mrn_with_check_digit(
        2, width=6, prefix="RV")
    with demo_store.read_session() as session:
        changes = session.scalars(select(AuditEntry.changes).where(
            AuditEntry.action == "clinic.registry_settings")).one()
    assert changes == {"mrn_prefix": {"old": "", "new": "RV"},
                       "mrn_digits": {"old": 7, "new": 6},
                       "retention_years": {"old": 10, "new": 7},
                       "retention_minor_until_age": {"old": 20, "new": 21}}


@pytest.mark.parametrize(("changes", "message"), [
    ({"mrn_prefix": "R-1"}, "mrn_prefix: letters and digits only"),
    ({"mrn_prefix": "NINECHARS"}, "mrn_prefix: letters and digits only"),
    ({"mrn_prefix": 7}, "mrn_prefix: letters and digits only"),
    ({"mrn_digits": 4}, "mrn_digits: must be from 5 to 12"),
    ({"mrn_digits": 13}, "mrn_digits: must be from 5 to 12"),
    ({"mrn_digits": True}, "mrn_digits: must be from 5 to 12"),
    ({"retention_years": 5}, "retention_years: must be from 6 to 30"),
    ({"retention_minor_until_age": 17}, "retention_minor_until_age: must be from 18 to 30"),
    ({"mrn_digits": "7"}, "mrn_digits: must be from 5 to 12"),
    ({"colour": 1}, "colour: not a registry setting"),
])
def test_out_of_range_values_are_refused(
    demo_store: Store, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        perform(demo_store, sign_in(demo_store, "admin"), set_registry_settings,
                changes=changes)


def test_a_used_up_format_is_refused_and_nothing_changes(demo_store: Store) -> None:
    admin = sign_in(demo_store, "admin")
    perform(demo_store, sign_in(demo_store, "frontdesk"), register_patient, demographics=CHILD,
            today=TODAY, mrn=mrn_with_check_digit(99_999, width=5, prefix="Z"))
    with pytest.raises(ValueError, match="every 5-digit MRN with this prefix is used"):
        perform(demo_store, admin, set_registry_settings,
                changes={"mrn_prefix": "Z", "mrn_digits": 5})
    settings = perform(demo_store, admin, registry_settings)
    assert (settings.mrn_prefix, settings.mrn_digits) == ("", 7)


def test_only_clinic_administrators(demo_store: Store) -> None:
    for username in ("frontdesk", "physician"):
        with pytest.raises(PermissionDenied):
            perform(demo_store, sign_in(demo_store, username), registry_settings)
        with pytest.raises(PermissionDenied):
            perform(demo_store, sign_in(demo_store, username), set_registry_settings,
                    changes={"mrn_prefix": 1})
