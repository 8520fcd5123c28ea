"""Row values on the wire: JSON both sides agree on, typed by the tables' own columns.

A UUID, a timestamp (ISO 8601 with its offset, always UTC), a date, a time and a Decimal (as a
string: no float ever touches money) travel as text; BLOBs as hex; JSON columns as JSON. The
outbox, written by SQLite triggers, holds SQLite's stored form instead: ``from_stored`` reads it
through SQLAlchemy's own result processing for that column, so it is read exactly as a query
would have read it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, LargeBinary, Numeric, Time, Uuid
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator, TypeEngine

#: In an update's stored values: a BLOB the update left as it was (never valid hex).
UNCHANGED_BLOB = "="
_SQLITE = sqlite.dialect()


def _kind(column_type: TypeEngine[Any]) -> type[TypeEngine[Any]]:
    base = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    for kind in (Uuid, DateTime, Date, Time, Numeric, LargeBinary, Boolean, JSON):
        if isinstance(base, kind):
            return kind
    return TypeEngine


def encode(column: Column[Any], value: Any) -> Any:
    """``value`` of ``column`` as JSON."""
    if value is None:
        return None
    kind = _kind(column.type)
    if kind in (Uuid, DateTime, Date, Time):
        return value.isoformat() if kind is not Uuid else str(value)
    if kind is Numeric:
        return str(value)
    if kind is LargeBinary:
        return bytes(value).hex()
    return value


def decode(column: Column[Any], value: Any) -> Any:
    """The Python value of ``column`` from its JSON form (``encode``'s inverse)."""
    if value is None:
        return None
    kind = _kind(column.type)
    if kind is Uuid:
        return uuid.UUID(value)
    if kind is DateTime:
        return datetime.fromisoformat(value)
    if kind is Date:
        return date.fromisoformat(value)
    if kind is Time:
        return time.fromisoformat(value)
    if kind is Numeric:
        return Decimal(value)
    if kind is LargeBinary:
        return bytes.fromhex(value)
    if kind is Boolean:
        return bool(value)
    return value


def encode_row(columns: Mapping[str, Column[Any]], row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: encode(columns[name], value) for name, value in row.items()}


def decode_row(columns: Mapping[str, Column[Any]], row: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the fields of ``row`` that ``columns`` has (a field the table lacks is dropped)."""
    return {name: decode(columns[name], value) for name, value in row.items() if name in columns}


@cache
def _stored_reader(column: Column[Any]) -> Any:
    return column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None)


def from_stored(column: Column[Any], value: Any) -> Any:
    """The Python value of ``column`` from what SQLite stored (as a trigger's JSON holds it)."""
    if value is None:
        return None
    if _kind(column.type) is LargeBinary:
        return bytes.fromhex(value)
    if _kind(column.type) is JSON and not isinstance(value, str):
        value = json.dumps(value)
    reader = _stored_reader(column)
    return reader(value) if reader is not None else value
