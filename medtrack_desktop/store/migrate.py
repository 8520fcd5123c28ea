"""Schema migrations (Alembic) for the workstation database and the clinic server.

The app never runs ``create_all``: the schema comes only from the one Alembic history in
``migrations/``. A database migrated by a newer MedTrack is refused; an older one is upgraded by
the caller after an encrypted backup (see ``lifecycle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, Engine, inspect, text

from medtrack_desktop.paths import MIGRATIONS_DIR
from medtrack_desktop.store.errors import ForeignDatabase

if TYPE_CHECKING:
    from alembic.config import Config

SchemaState = Literal["empty", "current", "behind", "ahead"]


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    current: str | None
    head: str


def alembic_config() -> Config:
    from alembic.config import Config  # imported only to migrate: it costs every start ~0.2 s

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def shipped_revisions() -> tuple[str, ...]:
    """The revisions this version ships, oldest first.

    The history is linear and each file is named ``<revision>_<slug>.py`` (a test holds
    Alembic's own reading of the history to this list), so the start-up check needs no Alembic.
    """
    names = (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py")
    return tuple(sorted(path.name.split("_", 1)[0] for path in names))


def head_revision() -> str:
    return shipped_revisions()[-1]


def schema_status(engine: Engine) -> SchemaStatus:
    """Where this database stands against the migrations this version of MedTrack ships."""
    head = head_revision()
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        current = (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if "alembic_version" in tables
            else None
        )
    if current is None and not tables - {"alembic_version"}:
        return SchemaStatus("empty", None, head)
    if "alembic_version" not in tables or "clinics" not in tables:
        raise ForeignDatabase(
            "The database holds tables that are not MedTrack's; it was left as is."
        )
    if current == head:
        return SchemaStatus("current", current, head)
    if current not in shipped_revisions():
        return SchemaStatus("ahead", current, head)
    return SchemaStatus("behind", current, head)


def _run(engine: Engine, action: str, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # PRAGMA foreign_keys is ignored inside a transaction, so it goes to the DB-API
        # connection before SQLAlchemy begins one. Batch migrations copy and drop tables; the
        # references are checked again before the commit.
        raw = connection.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
            if sqlite:
                _check_foreign_keys(connection)
            connection.commit()
        finally:
            if connection.in_transaction():
                connection.rollback()
            if raw is not None:
                raw.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if broken:
        raise ForeignDatabase(f"Migration left {len(broken)} broken foreign key reference(s).")


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)
