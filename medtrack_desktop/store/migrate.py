"""Schema migrations (Alembic) for the workstation database and the clinic server.

The app never runs ``create_all``: the schema comes only from the one Alembic history in
``migrations/``. A database migrated by a newer MedTrack is refused; an older one is upgraded by
the caller after an encrypted backup (see ``lifecycle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from medtrack_desktop.paths import MIGRATIONS_DIR
from medtrack_desktop.store.errors import ForeignDatabase

SchemaState = Literal["empty", "current", "behind", "ahead"]


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    current: str | None
    head: str


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migration history is empty"
    return head


def schema_status(engine: Engine) -> SchemaStatus:
    """Where this database stands against the migrations this version of MedTrack ships."""
    script = ScriptDirectory.from_config(alembic_config())
    head = head_revision()
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None and not tables - {"alembic_version"}:
        return SchemaStatus("empty", None, head)
    if "alembic_version" not in tables or "clinics" not in tables:
        raise ForeignDatabase(
            "The database holds tables that are not MedTrack's; it was left as is."
        )
    if current == head:
        return SchemaStatus("current", current, head)
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        return SchemaStatus("ahead", current, head)
    return SchemaStatus("behind", current, head)


def _run(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations copy and drop tables; foreign keys are checked again afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        try:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
            connection.commit()
            if sqlite:
                _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if broken:
        raise ForeignDatabase(f"Migration left {len(broken)} broken foreign key reference(s).")


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)
