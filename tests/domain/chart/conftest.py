"""Chart tests share one small clinic, made once per run and copied for each test (making its
users hashes passwords, which is slow on purpose)."""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from chart_data import ChartClinic, make_clinic
from chart_people import DemoChart, open_demo_chart

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


@pytest.fixture(scope="module")
def demo_chart(
    demo_template: tuple[Path, bytes], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., DemoChart]]:
    """Opens a copy of the demo clinic for the test module (``demo_chart(born_before=...)``,
    see ``open_demo_chart``); closed when the module is done."""
    source, key = demo_template
    opened: list[Store] = []

    def open_chart(*, born_before: date | None = None) -> DemoChart:
        path = tmp_path_factory.mktemp("demo-chart") / "demo.db"
        shutil.copyfile(source, path)
        opened.append(Store.open(path, key))
        return open_demo_chart(opened[-1], born_before=born_before)

    yield open_chart
    for store in opened:
        store.close()


@pytest.fixture
def patient(clinic: DemoChart) -> uuid.UUID:
    """A patient of the module's demo chart (its ``clinic`` fixture) nobody there used yet."""
    return next(clinic.free)
