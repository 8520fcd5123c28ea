"""Alembic environment: one history for SQLCipher workstations and the PostgreSQL server.

Migrations run only through ``medtrack_desktop.store.migrate``, which hands over an open
connection (SQLCipher needs its key on every connection, so Alembic never builds its own engine).
"""

from alembic import context
from sqlalchemy import inspect

from medtrack_desktop.domain.models import metadata
from medtrack_desktop.sync.capture import install_capture

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `medtrack-admin migrate`, not the alembic command.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
    # The outbox's capture triggers list the tables' columns: remade after every migration.
    if "sync_outbox" in inspect(connection).get_table_names():
        install_capture(connection)
