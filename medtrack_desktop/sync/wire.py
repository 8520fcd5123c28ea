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
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    LargeBinary,
    Numeric,
    String,
    Table,
    Time,
    Uuid,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator, TypeEngine

from medtrack_desktop.store.base import UtcDateTime

#: In an update's stored values: a BLOB the update left as it was (never valid hex).
UNCHANGED_BLOB = "="
_SQLITE = sqlite.dialect()
_POSTGRESQL = postgresql.dialect()


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


@cache
def _converters(table: Table, pick: Callable[[Column[Any]], Callable[[Any], Any]]
                ) -> tuple[frozenset[str], tuple[tuple[str, Callable[[Any], Any]], ...]]:
    """``table``'s column names, and the columns whose value ``pick`` converts (the others
    travel as they are)."""
    return frozenset(table.c.keys()), tuple(
        (column.name, convert) for column in table.columns
        if (convert := pick(column)) is not _same)


def _convert_row(table: Table, row: Mapping[str, Any],
                 pick: Callable[[Column[Any]], Callable[[Any], Any]]) -> dict[str, Any]:
    """The fields of ``row`` that ``table`` has (a field it lacks is dropped), converted."""
    names, converters = _converters(table, pick)
    converted = {name: value for name, value in row.items() if name in names}
    for name, convert in converters:
        value = converted.get(name)
        if value is not None:
            converted[name] = convert(value)
    return converted


def encode_row(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` (any of ``table``'s fields) as JSON."""
    return _convert_row(table, row, _encoder)


def decode_row(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """``encode_row``'s inverse; a field ``table`` lacks is dropped."""
    return _convert_row(table, row, _decoder)


@cache
def _stored_reader(column: Column[Any]) -> Callable[[Any], Any]:
    kind = _kind(column.type)
    if kind is LargeBinary:
        return bytes.fromhex
    reader = column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None) or _same
    if kind is JSON:  # the trigger's json_object embeds the stored text, or a bare number
        return lambda value: reader(value if isinstance(value, str) else json.dumps(value))
    return reader


def from_stored(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """The Python values of ``row`` from what SQLite stored (as a trigger's JSON holds them);
    a field ``table`` lacks is dropped."""
    return _convert_row(table, row, _stored_reader)


def _uuid_text(stored: str) -> str:
    if len(stored) != 32:
        return str(uuid.UUID(stored))
    return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"


def _utc_text(stored: str) -> str:
    value = datetime.fromisoformat(stored)
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            ).isoformat()


@cache
def _stored_to_wire(column: Column[Any]) -> Callable[[Any], Any]:
    """Stored form to wire form in one step where that is plain text work (a UUID's hex, a
    UTC timestamp, a date, a flag: most of an insert's values); else through the Python
    value."""
    kind = _kind(column.type)
    if kind is Uuid:
        return _uuid_text
    if isinstance(column.type, UtcDateTime):
        return _utc_text
    if kind is Date:  # stored as its ISO text already
        return _same
    if kind is Boolean:  # stored 0 or 1
        return bool
    read, encode_value = _stored_reader(column), _encoder(column)
    if read is _same:
        return encode_value
    return lambda value: encode_value(read(value))


def wire_from_stored(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """``encode_row(table, from_stored(table, row))``, without making the Python values."""
    return _convert_row(table, row, _stored_to_wire)


@cache
def _orjson_exact(table: Table) -> bool:
    """orjson reads and writes ``table``'s rows exactly: it has no JSON column. (In one,
    orjson would read an integer past 64 bits as a float and refuse a lone surrogate's
    escape; the json module keeps both.)"""
    return not any(_kind(column.type) is JSON for column in table.columns)


def parse_row(table: Table, text: str) -> dict[str, Any]:
    """A row of ``table`` from JSON text (stored or wire form): orjson where exact, twice as
    fast as the json module."""
    parsed: dict[str, Any] = orjson.loads(text) if _orjson_exact(table) else json.loads(text)
    return parsed


def row_json(table: Table, row: Mapping[str, Any]) -> str:
    """A row of ``table`` in wire form as JSON text (``parse_row``'s inverse)."""
    return orjson.dumps(row).decode() if _orjson_exact(table) else json.dumps(row)


def sql_reader(column: Column[Any], element: str) -> str:
    """The PostgreSQL expression that reads ``column``'s wire value from the jsonb ``element``
    (a row of a JSON array the server unpacks). Text is not cast: a cast to VARCHAR(n) would
    cut a long value short where the insert refuses it."""
    field = f"{element}->>'{column.name}'"
    kind = _kind(column.type)
    if kind is LargeBinary:
        return f"decode({field}, 'hex')"
    if kind is JSON:
        value = f"{element}->'{column.name}'"
        if column.type.none_as_null:  # type: ignore[attr-defined]
            value = f"nullif({value}, 'null'::jsonb)"
        return f"CAST({value} AS JSON)"
    if isinstance(column.type, String):
        return field
    return f"CAST({field} AS {column.type.compile(dialect=_POSTGRESQL)})"
