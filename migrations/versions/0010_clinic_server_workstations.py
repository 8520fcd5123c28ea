"""clinic server: the schema ``medtrack_server`` (PostgreSQL only) with the workstation logins
(``workstations``: login role, clinic, revoked) and ``workstation_clinic_ids()``, the SECURITY
DEFINER function the row-level security policies call to learn the connected login's clinics

The roles, grants and policies themselves are made by ``medtrack-admin server init``
(``medtrack_desktop.sync.server_setup``): roles belong to the PostgreSQL cluster, not to one
database, and the policies must cover every clinic table at head, whichever migration made it.
A workstation database (SQLite) gets nothing: it has one clinic and no logins.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATEMENTS = (
    "CREATE SCHEMA medtrack_server",
    "REVOKE ALL ON SCHEMA medtrack_server FROM PUBLIC",
    """CREATE TABLE medtrack_server.workstations (
        role_name varchar(63) NOT NULL,
        name varchar(63) NOT NULL,
        clinic_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT pk_workstations PRIMARY KEY (role_name),
        CONSTRAINT uq_workstations_name UNIQUE (name),
        CONSTRAINT fk_workstations_clinic_id_clinics FOREIGN KEY (clinic_id)
            REFERENCES public.clinics (id) ON DELETE RESTRICT
    )""",
    # session_user, not current_user: inside a SECURITY DEFINER function current_user is the
    # function's owner, and a login that SETs ROLE keeps its session_user.
    """CREATE FUNCTION medtrack_server.workstation_clinic_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT clinic_id FROM medtrack_server.workstations
        WHERE role_name = session_user AND revoked_at IS NULL
    $$""",
    "REVOKE ALL ON FUNCTION medtrack_server.workstation_clinic_ids() FROM PUBLIC",
)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    for statement in _STATEMENTS:
        connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    # CASCADE: the policies that ``server init`` made call the function.
    connection.exec_driver_sql("DROP SCHEMA medtrack_server CASCADE")
