"""ICD-10-CM code search for the problem list (chart issue): what loading the code set costs the
app, and search latency. Targets: search p95 < 30 ms; warm load < 0.5 s, < 60 MB resident and a
full garbage collection < 30 ms afterwards (a longer one freezes the GUI).

``icd10-search`` runs in a fresh process with the cache dir (``MEDTRACK_CACHE_DIR``) in a temp
dir, deleted at the end:

- ``cold_build_s``: the first ``warm_up()`` on a machine, or after an upgrade, in a fresh
  process: the extracting child (``simple-icd-10-cm`` loaded and indexed there), the cache file
  written, the index read. ``cold_build_child_cpu_s`` is the child's CPU time,
  ``cold_rss_added_mb`` what that first process keeps, ``cache_file_mb`` the file. Linux only
  (``/proc/self/status``, ``resource``).
- ``warm_load_s`` (``*_cpu_s``): ``warm_up()`` reading that file, as every later start does.
  ``rss_added_mb``: resident memory it added; ``index_traced_mb``:
  Python allocations of a second load (``tracemalloc``); ``max_rss_mb``: the process's peak.
- ``gc_full_ms`` (median of 5, and ``gc_full_max_ms``): ``gc.collect()`` after loading, against
  ``gc_full_before_ms`` before it; ``gc_tracked_added``: objects the collector walks that the
  load added.
- ``p50_ms`` & co.: one ``search_codes`` call (limit 25), over codes as typed (exact, without
  the dot, categories, partial), 1-3 word fragments, full phrases and the keystroke-by-keystroke
  prefixes of two phrases as a search-as-you-type box sends them.
- ``get_code_*``: ``get_code``, the check when a problem is saved.
- ``hostile_max_ms``: the slowest of a few 10 kB or garbled inputs (not part of the target).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import Metrics, Result, Scenario, latency, note, now_ms

TARGET_MS = 30
WARM_LOAD_S = 0.5
RSS_ADDED_MB = 60
GC_MS = 30
TARGET = (f"p95_ms < {TARGET_MS}, warm_load_s < {WARM_LOAD_S}, rss_added_mb < {RSS_ADDED_MB}, "
          f"gc_full_ms < {GC_MS}")
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


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _timed(call: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def _gc_ms(times: int) -> list[float]:
    samples = []
    for _ in range(times):
        start = now_ms()
        gc.collect()
        samples.append(now_ms() - start)
    return samples


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def first_start() -> None:
    """The first ``warm_up()`` on a machine, in this fresh process; prints its costs as JSON.
    Run by ``_cold_build`` with an empty ``MEDTRACK_CACHE_DIR``."""
    from medtrack_desktop.domain.chart import icd10

    rss = _rss_mb()
    seconds, cpu_s = _timed(icd10.warm_up)
    sys.stdout.write(json.dumps({
        "seconds": seconds, "cpu_s": cpu_s, "rss_added_mb": _rss_mb() - rss,
        "child_cpu_s": _children_cpu_s(), "package_imported": "simple_icd_10_cm" in sys.modules,
    }))


def _cold_build(cache_dir: Path) -> Metrics:
    """The first start, in a fresh process as an app's is: extraction, cache file, load."""
    env = {**os.environ, "MEDTRACK_CACHE_DIR": str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", "import benchmarks.icd10 as b; b.first_start()"],
                          capture_output=True, text=True, env=env, check=False, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"the first start failed: {done.stderr.strip()[-500:]}")
    first = json.loads(done.stdout)
    if first["package_imported"]:
        raise RuntimeError("the package was imported in the app process")
    note(f"cold build (child extracts, file written, index read) in {first['seconds']:.2f} s")
    return {
        "cold_build_s": round(first["seconds"], 3),
        "cold_build_child_cpu_s": round(first["child_cpu_s"], 3),
        "cold_build_cpu_s": round(first["cpu_s"], 3),
        "cold_rss_added_mb": round(first["rss_added_mb"], 1),
        "cache_file_mb": round(sum(path.stat().st_size for path in cache_dir.iterdir()) / 2**20,
                               1),
    }


def _warm_load(cache_dir: Path) -> Metrics:
    """Every later start: ``warm_up()`` in this process reads the cache file."""
    from medtrack_desktop.domain.chart import icd10

    if icd10.is_ready() or "simple_icd_10_cm" in sys.modules:
        raise RuntimeError("the code set is already loaded: run in a fresh process")
    files = {path: path.stat().st_mtime_ns for path in cache_dir.iterdir()}
    gc.collect()
    gc_before = _gc_ms(5)
    tracked, rss = len(gc.get_objects()), _rss_mb()
    warm_s, warm_cpu_s = _timed(icd10.warm_up)
    rss_added = _rss_mb() - rss
    tracked_added = len(gc.get_objects()) - tracked
    gc_after = _gc_ms(5)
    if {path: path.stat().st_mtime_ns for path in cache_dir.iterdir()} != files:
        raise RuntimeError("the cache file was not read but made again")
    note(f"warm load in {warm_s * 1000:.0f} ms, +{rss_added:.1f} MB, "
         f"gc.collect {statistics.median(gc_after):.1f} ms")
    tracemalloc.start()
    again = icd10._load(cache_dir)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del again
    return {
        "warm_load_s": round(warm_s, 3), "warm_load_cpu_s": round(warm_cpu_s, 3),
        "rss_added_mb": round(rss_added, 1), "index_traced_mb": round(traced / 2**20, 1),
        "rss_mb": round(_rss_mb(), 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "gc_full_before_ms": round(statistics.median(gc_before), 3),
        "gc_full_ms": round(statistics.median(gc_after), 3),
        "gc_full_max_ms": round(max(gc_after), 3), "gc_tracked_added": tracked_added,
    }


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.domain.chart import icd10

    with tempfile.TemporaryDirectory(prefix="medtrack-bench-icd10-", dir=workdir) as tmp:
        saved = os.environ.get(icd10.CACHE_DIR_ENV)
        os.environ[icd10.CACHE_DIR_ENV] = tmp  # never the user's cache
        try:
            cold, warm = _cold_build(Path(tmp)), _warm_load(Path(tmp))
        finally:
            if saved is None:
                del os.environ[icd10.CACHE_DIR_ENV]
            else:
                os.environ[icd10.CACHE_DIR_ENV] = saved
    metrics: Metrics = {"codes": icd10.warm_up(),  # loaded: the index stays with the process
                        "code_set": f"{icd10.CODE_SYSTEM} {icd10.CODE_SET_YEAR}", **cold, **warm}
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
    meets = (metrics["p95_ms"] < TARGET_MS and metrics["warm_load_s"] < WARM_LOAD_S
             and metrics["rss_added_mb"] < RSS_ADDED_MB and metrics["gc_full_ms"] < GC_MS)
    return Result("icd10-search", None, metrics, target=TARGET, meets_target=meets)


SCENARIO = Scenario("icd10-search",
                    f"ICD-10-CM code search: load cost and a query mix ({TARGET})",
                    None, 20, run)
