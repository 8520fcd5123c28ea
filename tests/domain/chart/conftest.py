"""Chart tests share one small clinic, made once per run and copied for each test (making its
users hashes passwords, which is slow on purpose)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from chart_data import ChartClinic, make_clinic

from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade


@pytest.fixture(scope="session")
def chart_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, ChartClinic]:
    key = secrets.token_bytes(32)
    path = tmp_path_factory.mktemp("chart-template") / "chart.db"
    made = Store.open(path, key, create=True)
    upgrade(made.engine)
    clinic = make_clinic(made)
    made.close()
    return path, key, clinic


@pytest.fixture
def chart_store(tmp_path: Path,
                chart_template: tuple[Path, bytes, ChartClinic]) -> Iterator[Store]:
    """A private copy of the chart clinic's database."""
    source, key, _clinic = chart_template
    target = tmp_path / "chart.db"
    shutil.copyfile(source, target)
    opened = Store.open(target, key)
    yield opened
    opened.close()


@pytest.fixture
def clinic(chart_template: tuple[Path, bytes, ChartClinic]) -> ChartClinic:
    return chart_template[2]
