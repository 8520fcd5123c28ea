"""Setting up a workstation, adding users, logging in."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.accounts import (
    LOGIN_FAILED_MESSAGE,
    AccountError,
    add_user,
    authenticate,
)
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.models import (
    ROLE_NAMES,
    Clinic,
    LocalSetting,
    Role,
    User,
    UserRole,
    Workstation,
)
from medtrack_desktop.domain.identity.permissions import PermissionDenied, role_matrix
from medtrack_desktop.domain.identity.workstation import (
    SetupError,
    current_seat,
    initialize_workstation,
)
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

PASSWORD = "Correct-Horse-42!"


@dataclass(frozen=True)
class Clinic1:
    store: Store
    seat: Seat

    def count(self, model: type) -> int:
        with self.store.read_session() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def user(self, username: str) -> User:
        with self.store.read_session() as session:
            return session.scalars(select(User).where(User.username == username)).one()

    def audit(self, action: str) -> list[AuditEntry]:
        with self.store.read_session() as session:
            return list(
                session.scalars(
                    select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
                )
            )

    def login(self, username: str, password: str) -> tuple[Actor | None, str | None]:
        with self.store.session() as session:
            outcome = authenticate(session, seat=self.seat, username=username, password=password)
        return outcome.actor, outcome.message


@pytest.fixture(scope="module")
def clinic_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A set-up workstation with an admin and a nurse, built once (Argon2 is slow on purpose)."""
    path, key = tmp_path_factory.mktemp("clinic") / "clinic.db", secrets.token_bytes(32)
    store = Store.open(path, key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(
            session, clinic_name="Maple Street Clinic", workstation_name="Exam 2",
            timezone="America/New_York",
        )
        system = Actor.system(seat)
        add_user(session, system, username="admin", password=PASSWORD, first_name="Ada",
                 last_name="Min", roles=("admin",))
        add_user(session, system, username="nurse", password=PASSWORD, first_name="Florence",
                 last_name="Nightingale", roles=("nurse",))
    store.close()
    return path, key


@pytest.fixture
def clinic(tmp_path: Path, clinic_template: tuple[Path, bytes]) -> Iterator[Clinic1]:
    """A private copy of the set-up workstation."""
    source, key = clinic_template
    shutil.copyfile(source, tmp_path / "clinic.db")
    store = Store.open(tmp_path / "clinic.db", key)
    with store.read_session() as session:
        seat = current_seat(session)
    assert seat is not None
    yield Clinic1(store, seat)
    store.close()


# -- workstation set-up -----------------------------------------------------------------------


def test_initialize_creates_the_clinic_its_seven_roles_and_this_seat(store: Store) -> None:
    with store.session() as session:
        seat = initialize_workstation(
            session, clinic_name="  Maple Street Clinic ", workstation_name="Exam 2",
            timezone="America/New_York",
        )

    with store.read_session() as session:
        assert current_seat(session) == seat
        clinic = session.scalars(select(Clinic)).one()
        workstation = session.scalars(select(Workstation)).one()
        roles = session.scalars(select(Role).order_by(Role.name)).all()
        settings = dict(session.execute(select(LocalSetting.key, LocalSetting.value)).all())
        entries = session.scalars(select(AuditEntry)).all()

    assert (seat.clinic_name, seat.workstation_name) == ("Maple Street Clinic", "Exam 2")
    assert (seat.clinic_id, seat.workstation_id) == (clinic.id, workstation.id)
    assert (clinic.name, clinic.timezone) == ("Maple Street Clinic", "America/New_York")
    assert workstation.clinic_id == clinic.id
    assert len(roles) == 7
    assert {role.name for role in roles} == set(ROLE_NAMES)
    assert all(role.clinic_id == clinic.id and role.description for role in roles)
    field_key = settings.pop(f"field_key:{clinic.id}")
    assert len(bytes.fromhex(field_key)) == 32, "the clinic's field key is born with it"
    assert settings == {"clinic_id": str(clinic.id), "workstation_id": str(workstation.id)}
    assert [(e.action, e.username, e.seq) for e in entries] == [
        ("workstation.initialize", "system:medtrack-admin", 1)
    ]


def test_before_initialize_there_is_no_seat(store: Store) -> None:
    with store.read_session() as session:
        assert current_seat(session) is None


def test_a_second_initialize_is_refused(clinic: Clinic1) -> None:
    with pytest.raises(SetupError, match="already set up"), clinic.store.session() as session:
        initialize_workstation(session, clinic_name="Another Clinic")
    assert clinic.count(Clinic) == 1 and clinic.count(Workstation) == 1
    assert clinic.count(Role) == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"clinic_name": ""}, "needs a name"),
        ({"clinic_name": "   "}, "needs a name"),
        ({"clinic_name": "x" * 201}, "at most 200"),
        ({"clinic_name": "Clinic", "timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"clinic_name": "Clinic", "timezone": "EST5EDT/../../etc"}, "Unknown time zone"),
        ({"clinic_name": "Clinic", "timezone": ""}, "Unknown time zone"),
    ],
)
def test_initialize_validates_its_input(
    store: Store, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(SetupError, match=message), store.session() as session:
        initialize_workstation(session, **kwargs)
    with store.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Clinic)) == 0
        assert current_seat(session) is None


# -- adding users -----------------------------------------------------------------------------


def test_add_user_stores_the_user_roles_and_an_audit_entry(clinic: Clinic1) -> None:
    admin, _ = clinic.login("admin", PASSWORD)
    assert admin is not None
    with clinic.store.session() as session:
        info = add_user(
            session, admin, username="  Dr.Who ", password=PASSWORD, first_name="John",
            last_name="Smith", roles=("physician", "admin", "physician"), npi="1234567893",
        )

    assert (info.username, info.display_name, info.roles) == (
        "dr.who", "John Smith", ("admin", "physician")
    )
    user = clinic.user("dr.who")
    assert user.id == info.id and user.clinic_id == clinic.seat.clinic_id
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert user.created_by == admin.user_id and user.updated_by == admin.user_id
    with clinic.store.read_session() as session:
        role_names = session.scalars(
            select(Role.name).join(UserRole, UserRole.role_id == Role.id)
            .where(UserRole.user_id == info.id).order_by(Role.name)
        ).all()
    assert role_names == ["admin", "physician"]
    created = clinic.audit("user.create")[-1]
    assert (created.user_id, created.username, created.resource_id) == (
        admin.user_id, "admin", str(info.id)
    )
    assert created.changes == {"username": "dr.who", "roles": ["admin", "physician"]}


@pytest.mark.parametrize(
    ("username", "roles", "message"),
    [
        ("nurse", ("nurse",), "'nurse' is taken"),
        ("NURSE ", ("nurse",), "'nurse' is taken"),
        ("surgeon", ("surgeon",), "unknown role"),
        ("surgeon", ("physician", "surgeon", "chef"), r"unknown role\(s\) chef, surgeon"),
        ("lonely", (), "at least one role"),
        ("   ", ("nurse",), "User name"),
        ("x" * 151, ("nurse",), "User name"),
    ],
)
def test_add_user_validation(
    clinic: Clinic1, username: str, roles: tuple[str, ...], message: str
) -> None:
    users_before = clinic.count(User)
    with pytest.raises(AccountError, match=message), clinic.store.session() as session:
        add_user(session, Actor.system(clinic.seat), username=username, password=PASSWORD,
                 first_name="Some", last_name="One", roles=roles)
    assert clinic.count(User) == users_before


def test_add_user_needs_names(clinic: Clinic1) -> None:
    with pytest.raises(AccountError, match="First and last name"), clinic.store.session() as s:
        add_user(s, Actor.system(clinic.seat), username="nameless", password=PASSWORD,
                 first_name=" ", last_name="One", roles=("nurse",))


def test_a_user_without_user_admin_cannot_add_users(clinic: Clinic1) -> None:
    nurse, _ = clinic.login("nurse", PASSWORD)
    assert nurse is not None and not nurse.can("user.admin")
    users_before, audit_before = clinic.count(User), clinic.count(AuditEntry)

    with pytest.raises(PermissionDenied) as raised, clinic.store.session() as session:
        add_user(session, nurse, username="sneaky", password=PASSWORD, first_name="Sne",
                 last_name="Aky", roles=("admin",))

    assert raised.value.permission == "user.admin"
    assert "user.admin" in str(raised.value)
    assert clinic.count(User) == users_before and clinic.count(AuditEntry) == audit_before


# -- logging in -------------------------------------------------------------------------------


def test_login_returns_an_actor_with_roles_and_permissions(clinic: Clinic1) -> None:
    actor, message = clinic.login("  Nurse", PASSWORD)

    assert message is None and actor is not None
    nurse = clinic.user("nurse")
    assert (actor.user_id, actor.username, actor.display_name) == (
        nurse.id, "nurse", "Florence Nightingale"
    )
    assert actor.roles == ("nurse",)
    assert actor.permissions == role_matrix()["nurse"][1]
    assert actor.can("chart.read") and not actor.can("user.admin")
    assert actor.seat == clinic.seat
    assert nurse.last_login_at is not None and nurse.failed_login_attempts == 0
    success = clinic.audit("login")[-1]
    assert (success.outcome, success.user_id, success.username, success.user_role) == (
        "success", nurse.id, "nurse", "nurse"
    )


def test_login_with_several_roles_unites_their_permissions(clinic: Clinic1) -> None:
    with clinic.store.session() as session:
        add_user(session, Actor.system(clinic.seat), username="doc", password=PASSWORD,
                 first_name="Doc", last_name="Admin", roles=("physician", "admin"))
    actor, _ = clinic.login("doc", PASSWORD)
    assert actor is not None
    assert actor.roles == ("admin", "physician")
    matrix = role_matrix()
    assert actor.permissions == matrix["admin"][1] | matrix["physician"][1]


def test_wrong_password_and_unknown_user_fail_alike_and_are_audited(clinic: Clinic1) -> None:
    wrong_actor, wrong_message = clinic.login("nurse", PASSWORD + "x")
    unknown_actor, unknown_message = clinic.login("nobody", PASSWORD)

    assert wrong_actor is None and unknown_actor is None
    assert wrong_message == unknown_message == LOGIN_FAILED_MESSAGE
    failures = [e for e in clinic.audit("login") if e.outcome == "failure"]
    assert [(e.username, e.user_id) for e in failures] == [("nurse", None), ("nobody", None)]
    assert failures[0].resource_id == str(clinic.user("nurse").id)
    assert failures[1].resource_id is None


def test_failed_logins_are_counted_and_a_success_resets_the_count(clinic: Clinic1) -> None:
    for _ in range(3):
        assert clinic.login("nurse", "not the password")[0] is None
    assert clinic.user("nurse").failed_login_attempts == 3
    assert clinic.user("admin").failed_login_attempts == 0

    assert clinic.login("nurse", PASSWORD)[0] is not None
    assert clinic.user("nurse").failed_login_attempts == 0


def test_a_disabled_user_cannot_log_in(clinic: Clinic1) -> None:
    with clinic.store.session() as session:
        session.scalars(select(User).where(User.username == "nurse")).one().is_active = False

    actor, message = clinic.login("nurse", PASSWORD)

    assert actor is None and message == LOGIN_FAILED_MESSAGE
    last = clinic.audit("login")[-1]
    assert (last.outcome, last.username, last.reason) == ("failure", "nurse", "account disabled")
    # Only wrong passwords count towards lockout; a disabled account is refused as it is.
    assert clinic.user("nurse").failed_login_attempts == 0
