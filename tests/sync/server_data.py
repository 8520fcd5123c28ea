"""What the clinic-server tests build: two clinics with data in many tables, made through the
domain services on the server.

The clinics are made through the domain services by the administrator's connection (the tables'
owner, which row-level security does not filter), as a workstation's pushes will one day make
them. Login roles belong to the PostgreSQL cluster, not to the test's database: ``drop_roles``
removes them after each test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from demo_users import register_patient_today, sign_in
from sqlalchemy.engine import make_url

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.scheduling.appointments import Booking, book_appointment
from medtrack_desktop.domain.scheduling.availability import add_weekly_session
from medtrack_desktop.domain.scheduling.setup import CategoryInput, add_facility, save_category
from medtrack_desktop.store.engine import Store
from medtrack_desktop.sync.server_setup import WorkstationLogin

MONDAY = date(2027, 3, 8)
ZONE = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class ClinicServer:
    url: str  # the administrator's
    admin: sa.Engine
    clinic_a: uuid.UUID
    clinic_b: uuid.UUID
    login_a: WorkstationLogin
    login_b: WorkstationLogin

    def login_url(self, login: WorkstationLogin, password: str | None = None) -> str:
        """The test server's address with ``login``'s role and password."""
        return make_url(self.url).set(
            username=login.role, password=password or login.password
        ).render_as_string(hide_password=False)


def drop_roles(admin_url: str, database: str) -> None:
    """Drop the roles made for ``database`` (logins, group, a test's administrator)."""
    engine = sa.create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"),
                           isolation_level="AUTOCOMMIT")
    prefix = database.lower() + "\\_%"
    try:
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(d)s",
                                          {"d": database}).first():
                connection.exec_driver_sql(f'ALTER DATABASE "{database}" OWNER TO CURRENT_USER')
            # logins, then the group, then an administrator made by a test
            roles = connection.exec_driver_sql(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %(prefix)s ORDER BY CASE "
                "WHEN rolname LIKE '%%\\_ws\\_%%' THEN 0 "
                "WHEN rolname LIKE '%%\\_workstation' THEN 1 ELSE 2 END",
                {"prefix": prefix}).scalars().all()
            for role in roles:
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = %(role)s", {"role": role})
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
    finally:
        engine.dispose()


def fill_clinic(store: Store, name: str, *, keep_seat: bool = False) -> uuid.UUID:
    """A clinic with a workstation, staff, a facility, a category, Dr Lee's Monday session,
    two patients and a booked appointment (rows in most clinic tables, and audit entries).
    ``keep_seat``: the store stays that clinic's workstation (else it forgets the seat)."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name=name, workstation_name="Front 1")
    system = Actor.system(seat, name="test")
    staff = {"desk": "front_desk", "drlee": "physician", "boss": "admin"}
    ids = {username: perform(store, system, add_user, username=username,
                             password=DEMO_PASSWORD, first_name=username.title(),
                             last_name="Staff", roles=(role,)).id
           for username, role in staff.items()}
    boss, desk = sign_in(store, "boss"), sign_in(store, "desk")
    facility = perform(store, boss, add_facility, name="Main Street")
    category = perform(store, boss, save_category,
                       category=CategoryInput(name="Follow-up", default_minutes=20))
    perform(store, desk, add_weekly_session, provider_id=ids["drlee"], facility_id=facility,
            weekday=0, starts=time(8), ends=time(12), valid_from=date(2027, 1, 1))
    patients = [register_patient_today(store, first_name=first) for first in ("Ada", "Ben")]
    perform(store, desk, book_appointment, booking=Booking(
        patient_id=patients[0], provider_id=ids["drlee"], facility_id=facility,
        category_id=category, starts_at=datetime.combine(MONDAY, time(9), ZONE)))
    if keep_seat:
        return seat.clinic_id
    # The server is no workstation: forget the seat, so the next clinic can be made.
    with store.session() as session:
        session.execute(sa.text(
            "DELETE FROM local_settings WHERE key IN ('clinic_id', 'workstation_id')"))
    return seat.clinic_id
