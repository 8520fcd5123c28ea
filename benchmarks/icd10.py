"""ICD-10-CM code search for the problem list (chart issue): target p95 < 30 ms per search.

``icd10-search`` loads the code set in this (fresh) process, then times ``search_codes`` over a
fixed query mix, --repeat rounds:

- ``package_load_s``: importing ``simple-icd-10-cm``, which parses its bundled tabular list;
  ``index_build_s``: our index over it (``warm_up`` once the package is loaded); their sum is
  what the UI's background warm-up costs. ``*_cpu_s`` are the same in process CPU time, less
  disturbed by other work on the machine. ``rss_mb``: resident memory afterwards.
- ``p50_ms`` & co.: one ``search_codes`` call (limit 25), over codes as typed (exact, without
  the dot, categories, partial), 1-3 word fragments, full phrases and the keystroke-by-keystroke
  prefixes of two phrases as a search-as-you-type box sends them.
- ``get_code_*``: ``get_code``, the check when a problem is saved.
- ``hostile_max_ms``: the slowest of a few 10 kB or garbled inputs (not part of the target).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from benchmarks.common import Metrics, Result, Scenario, latency, note, now_ms

TARGET_MS = 30
CODES = ("E11.9", "e119", "E11", "e11.6", "I10", "J45.909", "s72.001a", "S72.0", "F32", "z00",
         "M54.5", "R07.9", "N18.3", "k21")
FRAGMENTS = ("diab", "hypert", "asth", "copd", "frac fem", "chr kid dis", "depress", "pneum",
             "uti", "back pain", "migr", "hypothyr", "gerd", "anx dis", "obes", "hyperlip",
             "atrial fib", "osteoarth knee", "dem", "sle apn")
PHRASES = ("type 2 diabetes", "type 2 diabetes mellitus without complications",
           "essential primary hypertension", "major depressive disorder single episode",
           "chronic obstructive pulmonary disease", "urinary tract infection site not specified",
           "fracture of neck of right femur initial encounter", "low back pain",
           "generalized anxiety disorder", "encounter for general adult medical examination",
           "acute upper respiratory infection", "mixed hyperlipidemia")
TYPED = ("diabetes mellitus type 2", "chronic kidney disease stage 3")
HOSTILE = ("x" * 10_000, "a " * 5_000, "\x00\x01\x02\x1b[31m" * 1_000, "E11.9" * 2_000,
           "🙂 Ωmega \u202e \ud800 " * 500, "'; DROP TABLE problems; --")


def _typed(phrase: str) -> list[str]:
    return [phrase[:end] for end in range(1, len(phrase) + 1) if not phrase[:end].endswith(" ")]


def queries() -> list[str]:
    """The query mix of one round."""
    return [*CODES, *FRAGMENTS, *PHRASES, *(typed for phrase in TYPED for typed in _typed(phrase))]


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _timed(call: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    import importlib

    from medtrack_desktop.domain.chart import icd10

    if icd10.is_ready():
        raise RuntimeError("the code set is already loaded: run in a fresh process")
    load_s, load_cpu_s = _timed(lambda: importlib.import_module("simple_icd_10_cm"))
    build_s, build_cpu_s = _timed(icd10.warm_up)
    metrics: Metrics = {
        "codes": icd10.warm_up(),
        "code_set": f"{icd10.CODE_SYSTEM} {icd10.CODE_SET_YEAR}",
        "package_load_s": round(load_s, 3), "package_load_cpu_s": round(load_cpu_s, 3),
        "index_build_s": round(build_s, 3), "index_build_cpu_s": round(build_cpu_s, 3),
        "warm_up_s": round(load_s + build_s, 3), "rss_mb": _rss_mb(),
    }
    note(f"loaded in {load_s:.2f} s + indexed in {build_s:.2f} s")
    mix = queries()
    samples: list[float] = []
    for _ in range(repeat):
        for query in mix:
            start = now_ms()
            icd10.search_codes(query)
            samples.append(now_ms() - start)
    metrics.update(latency(samples))
    checks: list[float] = []
    for _ in range(repeat):
        for code in (*CODES, "Z99.999", ""):
            start = now_ms()
            icd10.get_code(code)
            checks.append(now_ms() - start)
    metrics.update(latency(checks, "get_code_"))
    hostile: list[float] = []
    for query in HOSTILE:
        start = now_ms()
        icd10.search_codes(query)
        hostile.append(now_ms() - start)
    metrics["hostile_max_ms"] = round(max(hostile), 3)
    return Result("icd10-search", None, metrics, target=f"p95_ms < {TARGET_MS}",
                  meets_target=metrics["p95_ms"] < TARGET_MS)


SCENARIO = Scenario("icd10-search",
                    f"ICD-10-CM code search over a query mix (target p95 < {TARGET_MS} ms)",
                    None, 20, run)
