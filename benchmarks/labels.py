"""Patient label PDFs (labels issue): target a full Avery 5160 sheet in < 300 ms.

- ``p50_ms`` & co.: ``avery_5160_sheet`` for --scale labels (default 30, one full sheet).
- ``batch_300_*``: 300 labels, 10 sheets (the labels dialog builds on the GUI thread up to this).
- ``thermal_30_*``: ``thermal_labels`` for 30 labels, 30 pages.
- ``first_ms``: the first sheet in the process, which also loads the bundled fonts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from benchmarks.common import Metrics, Result, Scenario, latency, now_ms

if TYPE_CHECKING:
    from medtrack_desktop.printing.labels import PatientLabel

LAST = ("García-Márquez de la Torre", "Nguyễn", "O'Brien-Smythe", "Müller", "Đặng", "Okafor",
        "Kowalczyk", "Johnson")
FIRST = ("María José", "Thị Ánh", "Siobhán", "Jürgen", "Văn Hùng", "Chidinma", "Zofia", "Al")
SEXES = ("female", "male", "other", "unknown")


def _labels(count: int) -> list[PatientLabel]:
    from medtrack_desktop.printing.labels import PatientLabel

    return [PatientLabel(name=f"{LAST[i % len(LAST)]}, {FIRST[i * 3 % len(FIRST)]}",
                         date_of_birth=date(1940 + i % 80, 1 + i % 12, 1 + i % 28),
                         sex=SEXES[i % len(SEXES)], mrn=f"{10_000_000 + i * 10 + 2}")
            for i in range(count)]


def _timed(build: Callable[[], bytes], repeat: int) -> tuple[list[float], int]:
    """Wall time of each of ``repeat`` builds, and the size of the PDF they make."""
    samples: list[float] = []
    size = 0
    for _ in range(repeat):
        start = now_ms()
        size = len(build())
        samples.append(now_ms() - start)
    return samples, size


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.printing.labels import avery_5160_sheet, thermal_labels

    count = scale or 30
    sheet = _labels(count)
    start = now_ms()
    avery_5160_sheet(sheet)
    metrics: Metrics = {"first_ms": round(now_ms() - start, 3)}
    for prefix, build in (("", partial(avery_5160_sheet, sheet)),
                          ("batch_300_", partial(avery_5160_sheet, _labels(300))),
                          ("thermal_30_", partial(thermal_labels, _labels(30)))):
        samples, size = _timed(build, repeat)
        metrics.update(latency(samples, prefix))
        metrics[f"{prefix}pdf_bytes"] = size
    return Result("label_sheet", count, metrics, target="p50_ms < 300",
                  meets_target=metrics["p50_ms"] < 300)


SCENARIO = Scenario("label_sheet", "Avery 5160 sheet PDF of --scale labels (target < 300 ms)",
                    30, 50, run)
