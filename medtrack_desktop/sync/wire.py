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
from collections.abc import Callable, Mapping
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


def _same(value: Any) -> Any:
    return value


_ENCODERS: dict[type[TypeEngine[Any]], Callable[[Any], Any]] = {
    Uuid: str, DateTime: datetime.isoformat, Date: date.isoformat, Time: time.isoformat,
    Numeric: str, LargeBinary: lambda value: bytes(value).hex()}
_DECODERS: dict[type[TypeEngine[Any]], Callable[[Any], Any]] = {
    Uuid: uuid.UUID, DateTime: datetime.fromisoformat, Date: date.fromisoformat,
    Time: time.fromisoformat, Numeric: Decimal, LargeBinary: bytes.fromhex, Boolean: bool}


@cache
def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    return _ENCODERS.get(_kind(column.type), _same)


@cache
def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    return _DECODERS.get(_kind(column.type), _same)


def encode(column: Column[Any], value: Any) -> Any:
    """``value`` of ``column`` as JSON."""
    return None if value is None else _encoder(column)(value)


def decode(column: Column[Any], value: Any) -> Any:
    """The Python value of ``column`` from its JSON form (``encode``'s inverse)."""
    return None if value is None else _decoder(column)(value)


def encode_row(columns: Mapping[str, Column[Any]], row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: encode(columns[name], value) for name, value in row.items()}


def decode_row(columns: Mapping[str, Column[Any]], row: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the fields of ``row`` that ``columns`` has (a field the table lacks is dropped)."""
    return {name: decode(columns[name], value) for name, value in row.items() if name in columns}


@cache
def _stored_reader(column: Column[Any]) -> Callable[[Any], Any]:
    kind = _kind(column.type)
    if kind is LargeBinary:
        return bytes.fromhex
    reader = column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None) or _same
    if kind is JSON:  # the trigger's json_object embeds the stored text, or a bare number
        return lambda value: reader(value if isinstance(value, str) else json.dumps(value))
    return reader


def from_stored(column: Column[Any], value: Any) -> Any:
    """The Python value of ``column`` from what SQLite stored (as a trigger's JSON holds it)."""
    return None if value is None else _stored_reader(column)(value)
