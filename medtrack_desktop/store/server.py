"""The clinic's PostgreSQL server engine (psycopg 3)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url


def server_url(url: str) -> str:
    """Accept a plain ``postgresql://`` URL and pin the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("The clinic server must be a PostgreSQL URL (postgresql://…).")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def open_server_engine(url: str) -> Engine:
    return create_engine(server_url(url), pool_pre_ping=True)
