"""Fixtures for every domain test: a clinic built once per run and copied for each test."""

from __future__ import annotations

import dataclasses
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

ClinicT = TypeVar("ClinicT")


def build_once(folder: Path, make: Callable[[Store], ClinicT]) -> tuple[Path, bytes, ClinicT]:
    """A new migrated database in ``folder`` that ``make`` fills: (path, key, what it made,
    its store closed). Tests then work on an ``open_copy`` each."""
    key = secrets.token_bytes(32)
    path = folder / "clinic.db"
    store = Store.open(path, key, create=True)
    upgrade(store.engine)
    try:
        return path, key, make(store)
    finally:
        store.close()


def open_copy(built: tuple[Path, bytes, ClinicT], folder: Path) -> ClinicT:
    """What ``build_once`` made, on a copy of its database in ``folder`` (a dataclass with a
    ``store``, now open: the caller closes it)."""
    source, key, clinic = built
    shutil.copyfile(source, folder / "clinic.db")
    return dataclasses.replace(clinic, store=Store.open(folder / "clinic.db", key))



@pytest.fixture(scope="session")
def _built_clinics() -> dict[Callable[[Store], Any], tuple[Path, bytes, Any]]:
    return {}


@pytest.fixture
def clinic_copy(
    tmp_path_factory: pytest.TempPathFactory,
    _built_clinics: dict[Callable[[Store], Any], tuple[Path, bytes, Any]],
) -> Iterator[Callable[[Callable[[Store], Any]], Any]]:
    """``clinic_copy(make)``: the clinic ``make(store)`` fills a new database with (a dataclass
    with a ``store``), made once per run (password hashing is slow on purpose) and handed to
    each test on a private copy, closed when the test ends."""
    opened: list[Store] = []

    def copy(make: Callable[[Store], Any]) -> Any:
        if make not in _built_clinics:
            _built_clinics[make] = build_once(tmp_path_factory.mktemp("clinic"), make)
        clinic = open_copy(_built_clinics[make], tmp_path_factory.mktemp("clinic-copy"))
        opened.append(clinic.store)
        return clinic

    yield copy
    for store in opened:
        store.close()
