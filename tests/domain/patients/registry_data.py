"""A small clinic of patients with the names a registry gets wrong, registered through the
services (so the search index, sealed SSNs and audit are the real ones), on any engine."""

from __future__ import annotations

from datetime import date

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.registry import PatientRecord, register_patient
from medtrack_desktop.store.engine import Store

TODAY = date(2026, 11, 26)

TRICKY: dict[str, Demographics] = {
    "obrien": Demographics(last_name="O'Brien", first_name="Siobhán", sex="female",
                           date_of_birth=date(1980, 1, 2), phone_mobile="(737) 555-0100"),
    "hernandez_obrien": Demographics(last_name="Hernández-O'Brien", first_name="Dagny",
                                     sex="female", date_of_birth=date(1991, 5, 6)),
    "garcia_marquez": Demographics(last_name="García-Márquez", first_name="María José",
                                   sex="female", date_of_birth=date(1970, 3, 4),
                                   phone_mobile="(512) 555-0147", ssn="123-45-6789"),
    "garcia": Demographics(last_name="Garcia", first_name="Mario", sex="male",
                           date_of_birth=date(1965, 7, 8), phone_home="512-555-0199"),
    "nguyen": Demographics(last_name="Nguyễn", first_name="Văn An", sex="male",
                           date_of_birth=date(2001, 12, 31), ssn="456-78-9999"),
    "van_der_berg": Demographics(last_name="van der Berg", first_name="Pieter", sex="male",
                                 date_of_birth=date(1955, 2, 28), preferred_name="Piet"),
    "cher": Demographics(last_name="Cher", sex="female", date_of_birth=date(1946, 5, 20)),
    "smith": Demographics(last_name="Smith", first_name="John", middle_name="Garcia",
                          sex="male", date_of_birth=date(1970, 3, 4)),
}


def register_tricky(store: Store) -> tuple[Actor, dict[str, PatientRecord]]:
    """Set up a clinic on ``store`` and register ``TRICKY`` in order (same MRNs everywhere)."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Registry Test Clinic",
                                      workstation_name="Front 1")
    actor = Actor.system(seat, name="test")
    records = {}
    for key, demographics in TRICKY.items():
        with store.session() as session:
            records[key] = register_patient(session, actor, demographics=demographics,
                                            today=TODAY)
    return actor, records
