"""Opening a chart (chart issue): ``chart-open``. Target: chart open p95 < 200 ms.

The database, kept in the work dir between runs (``medtrack-bench-chart-<N>-<seed>.db``, its
``.key`` and a ``.json`` of facts about it), built on first use:

- N patients (``--scale``, default 100,000) from ``patient_generator.generate_patients``;
- one of them, aged 50 or more, with 20 years of history: 300 signed encounters with SOAP notes,
  review of systems and 100 telephone notes (signatures computed by
  ``signing.encounter_content``, so they verify), 3,000 vital sets (one per visit, the rest home
  readings), 50 problems, 150 medications with their history, 20 documents (small real PDFs
  and PNGs in ``document_contents``, half filed under visits), allergies and immunizations;
- a demo chart (``demo.charts``: a few visits, vitals and lists) for one patient in 50, so the
  tables are not empty and the indexes not trivially small.

Rows go in with executemany; no audit entries. What is measured, ``--repeat`` times (default
20), on the big patient and on random others with a demo chart, after one open of each that is
not counted:

1. ``open_*``: one unit of work as the app opens a chart — ``patients.access.open_patient``,
   ``chart.summary.banner_facts`` and ``chart.summary.chart_summary`` — begin to commit.
2. ``ui_*``: the real Summary tab on an offscreen ``QApplication``, from
   ``SummaryTab.refresh()`` (its ``chart_summary`` call, on the task runner) to the result
   shown and the view painted (``view.grab()``); ``paint_*``: ``SummaryTab.show(summary)`` and
   the paint alone.
3. ``timeline_page_*``: ``chart.encounters.encounters(limit=50, before=…)`` paging through
   the big patient's 300 visits (the timeline's page); ``vitals_page_*``:
   ``chart.vitals.vital_sets`` paging through its 3,000 sets (100 a page, the Vitals tab's).
   Each page is its own unit of work, as each tab call is.
4. ``icd10_*``: ``icd10.search_codes`` over ``benchmarks.icd10``'s query mix (the code-set
   cache in the work dir, made on first use).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.chart_generator import PASSWORD, SEED, build
from benchmarks.common import Metrics, Result, Scenario, latency, note, now_ms, percentile

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.store.engine import Store

DEFAULT_PATIENTS = 100_000
TARGET_MS = 200
TIMELINE_PAGE, VITALS_PAGE = 50, 100  # as the Encounters and Vitals tabs ask


# -- the database ------------------------------------------------------------------------------


@contextmanager
def _clinic(patients: int, workdir: str | None) -> Iterator[tuple[Store, dict[str, Any], bool]]:
    """The kept database (built on first use), open, with its facts and whether this run
    built it."""
    from benchmarks.cipher_overhead import _remove
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.keys import generate_key, parse_hex_key
    from medtrack_desktop.store.migrate import upgrade

    path = Path(workdir or tempfile.gettempdir()) / f"medtrack-bench-chart-{patients}-{SEED}.db"
    key_file, facts_file = path.with_suffix(".key"), path.with_suffix(".json")
    built = not path.exists()
    if built:
        note(f"building {path} ({patients} patients); later runs reuse it")
        building = path.with_name(path.name + ".building")
        _remove(building)  # left by a build that was cut short
        key = generate_key()
        facts = build(building, key, patients)
        key_file.write_text(key.hex())
        key_file.chmod(0o600)
        facts_file.write_text(json.dumps(facts))
        building.rename(path)
        note(f"built in {facts['build_s']} s")
    facts = json.loads(facts_file.read_text())
    store = Store.open(path, parse_hex_key(key_file.read_text()))
    try:
        upgrade(store.engine)  # a kept file from before a new migration
        yield store, facts, built
    finally:
        store.close()


# -- the measurements --------------------------------------------------------------------------


def _sign_in(store: Store) -> Actor:
    import medtrack_desktop.domain.models  # noqa: F401  (every mapper, for the flushes)
    from medtrack_desktop.domain.identity.accounts import authenticate
    from medtrack_desktop.domain.identity.workstation import current_seat

    with store.session() as session:
        seat = current_seat(session)
        if seat is None:
            raise RuntimeError("the benchmark database has no clinic")
        outcome = authenticate(session, seat=seat, username="physician", password=PASSWORD)
    if outcome.actor is None:
        raise RuntimeError(f"the physician could not sign in: {outcome.message}")
    return outcome.actor


def open_chart(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> Any:
    """What opening a chart reads: the record, the banner's safety facts, the summary page."""
    from medtrack_desktop.domain.chart.summary import banner_facts, chart_summary
    from medtrack_desktop.domain.patients.access import open_patient

    open_patient(session, actor, patient_id=patient_id)
    banner_facts(session, actor, patient_id=patient_id)
    return chart_summary(session, actor, patient_id=patient_id)


def _open_ms(store: Store, actor: Actor, patient_id: uuid.UUID) -> float:
    start = now_ms()
    with store.session() as session:
        open_chart(session, actor, patient_id=patient_id)
    return now_ms() - start


def _ui(store: Store, actor: Actor, big: uuid.UUID, others: list[uuid.UUID],
        ) -> dict[str, list[float]]:
    """Request to painted through the Summary tab, and show + paint alone (ms)."""
    from benchmarks.offscreen import offscreen_app, offscreen_context, wait_until
    from medtrack_desktop.ui.chart.summary_tab import SummaryTab

    samples: dict[str, list[float]] = {}
    with offscreen_context(store, actor) as context:
        tab = SummaryTab(context, actor)
        tab.view.resize(1280, 800)
        tab.view.show()
        targets = [("big", big), ("other", others[0])]  # warm-up, not counted
        targets += [(kind, patient) for other in others
                    for kind, patient in (("big", big), ("other", other))]
        for index, (kind, patient) in enumerate(targets):
            tab.set_patient(patient)
            offscreen_app().processEvents()
            start = now_ms()
            tab.refresh()
            wait_until(lambda: tab.summary is not None, "the Summary tab showed nothing")
            tab.view.grab()
            painted = now_ms() - start
            summary = tab.summary
            start = now_ms()
            tab.show(summary)
            tab.view.grab()
            paint = now_ms() - start
            if index >= 2:
                samples.setdefault(f"ui_{kind}", []).append(painted)
                samples.setdefault(f"paint_{kind}", []).append(paint)
        tab.view.close()
    return samples


def _pages(store: Store, actor: Actor, patient_id: uuid.UUID) -> tuple[list[float],
                                                                        list[float], int, int]:
    """ms of each timeline page and each vitals page, paging through the whole chart."""
    from medtrack_desktop.domain.chart.encounters import encounters
    from medtrack_desktop.domain.chart.vitals import vital_sets

    timeline: list[float] = []
    before: Any = None
    seen_visits = 0
    while True:
        start = now_ms()
        with store.session() as session:
            page = encounters(session, actor, patient_id=patient_id, limit=TIMELINE_PAGE,
                              before=before)
        timeline.append(now_ms() - start)
        seen_visits += len(page)
        if len(page) < TIMELINE_PAGE:
            break
        before = page[-1].cursor
    vitals: list[float] = []
    cursor: Any = None
    seen_sets = 0
    while True:
        start = now_ms()
        with store.session() as session:
            sets = vital_sets(session, actor, patient_id=patient_id, limit=VITALS_PAGE,
                              before=cursor)
        vitals.append(now_ms() - start)
        seen_sets += len(sets)
        if len(sets) < VITALS_PAGE:
            break
        cursor = sets[-1].cursor
    return timeline, vitals, seen_visits, seen_sets


def _icd10(repeat: int, workdir: str | None) -> Metrics:
    """``search_codes`` over the ICD-10-CM benchmark's query mix, ``repeat`` rounds."""
    from benchmarks.icd10 import queries
    from medtrack_desktop.domain.chart import icd10

    cache = Path(workdir or tempfile.gettempdir()) / "medtrack-bench-icd10-cache"
    cache.mkdir(exist_ok=True)
    saved = os.environ.get(icd10.CACHE_DIR_ENV)
    os.environ[icd10.CACHE_DIR_ENV] = str(cache)  # never the user's cache
    try:
        start = now_ms()
        codes = icd10.warm_up()
        loaded_ms = now_ms() - start
    finally:
        if saved is None:
            del os.environ[icd10.CACHE_DIR_ENV]
        else:
            os.environ[icd10.CACHE_DIR_ENV] = saved
    samples = []
    for _ in range(repeat):
        for query in queries():
            start = now_ms()
            icd10.search_codes(query)
            samples.append(now_ms() - start)
    return {"icd10_codes": codes, "icd10_load_ms": round(loaded_ms, 1),
            **latency(samples, "icd10_")}


def _counts(store: Store, patient_id: uuid.UUID) -> dict[str, int]:
    from sqlalchemy import func, select

    from medtrack_desktop.domain.chart import models
    from medtrack_desktop.domain.patients.models import Patient

    with store.read_session() as session:
        counted = {f"big_{model.__tablename__}": session.scalar(
            select(func.count()).select_from(model).where(model.patient_id == patient_id))
            for model in (models.Encounter, models.VitalSigns, models.Problem,
                          models.Medication, models.MedicationChange, models.Document,
                          models.Signature)}
        counted["patients"] = session.scalar(select(func.count()).select_from(Patient))
        counted["encounters_all"] = session.scalar(
            select(func.count()).select_from(models.Encounter))
        counted["vital_signs_all"] = session.scalar(
            select(func.count()).select_from(models.VitalSigns))
        return counted


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from benchmarks.demo_create import _file_bytes

    patients = scale or DEFAULT_PATIENTS
    load_before = os.getloadavg()
    with _clinic(patients, workdir) as (store, facts, built):
        actor = _sign_in(store)
        big = uuid.UUID(facts["big_patient"])
        charted = [uuid.UUID(patient) for patient in facts["charted"]]
        others = random.Random(SEED + 1).sample(charted, min(repeat, len(charted)))
        for patient in (big, others[0]):  # warm-up: caches, compiled statements
            _open_ms(store, actor, patient)
        opened: dict[str, list[float]] = {"big": [], "other": []}
        for other in others:
            opened["big"].append(_open_ms(store, actor, big))
            opened["other"].append(_open_ms(store, actor, other))
        note(f"chart open p95: big {percentile(opened['big'], 95):.1f} ms, "
             f"others {percentile(opened['other'], 95):.1f} ms")
        ui = _ui(store, actor, big, others)
        timeline: list[float] = []
        vitals: list[float] = []
        for _ in range(repeat):
            pages, sets, visits, vital_count = _pages(store, actor, big)
            timeline += pages
            vitals += sets
        metrics: Metrics = {
            **latency(opened["big"], "open_big_"), **latency(opened["other"], "open_other_"),
            **{key: value for kind, samples in ui.items()
               for key, value in latency(samples, f"{kind}_").items()},
            **latency(timeline, "timeline_page_"), "timeline_visits": visits,
            **latency(vitals, "vitals_page_"), "vitals_sets": vital_count,
            **_icd10(repeat, workdir)}
        counts = _counts(store, big)
        size = _file_bytes(Path(store.path)) if store.path else None
    worst = max(metrics["open_big_p95_ms"], metrics["open_other_p95_ms"])
    return Result(
        scenario="chart-open", scale=patients, metrics=metrics,
        target=f"open_big_p95_ms and open_other_p95_ms < {TARGET_MS}",
        meets_target=worst < TARGET_MS,
        extra={"database": {**counts, "db_bytes": size, "built_this_run": built,
                            **{key: facts[key] for key in ("build_s", "patients_s",
                                                           "big_chart_s", "light_charts_s")},
                            "demo_charts": len(facts["charted"])},
               "load_average": {"before": [round(x, 2) for x in load_before],
                                "after": [round(x, 2) for x in os.getloadavg()]}},
    )


SCENARIO = Scenario(
    "chart-open",
    f"open a chart (record, banner, summary) at --scale patients, one with 20 years of "
    f"history (target p95 < {TARGET_MS} ms); Summary tab paint, timeline/vitals paging, "
    "ICD-10 search",
    DEFAULT_PATIENTS, 20, run,
)
