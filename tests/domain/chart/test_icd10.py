"""ICD-10-CM code search: finding by code and by words, billable flags, ranking, and input a
user can type that must not break it; the cache file the index is read from (made once by a
child process, checked, made again when damaged or stale).

The module extracts the code set once, into its own temporary cache dir (never ~/.cache), in a
fresh process; everything else reads that cache.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import platformdirs
import pytest
from anyascii import anyascii
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrack_desktop.config import APP_AUTHOR, APP_NAME
from medtrack_desktop.domain.chart import icd10
from medtrack_desktop.domain.chart.icd10 import (
    CODE_SET_YEAR,
    CODE_SYSTEM,
    IcdCode,
    get_code,
    is_billable,
    is_ready,
    search_codes,
    warm_up,
)

DIABETES = "Type 2 diabetes mellitus without complications"

# Loads the code set in a fresh process and says what that cost it. "warm": the cache must be
# there already, extracting again fails.
_LOAD = """
import gc, json, sys
from medtrack_desktop.config import APP_AUTHOR, APP_NAME
from medtrack_desktop.domain.chart import icd10
if sys.argv[1] == "warm":
    def _extracted_again() -> bytes:
        raise AssertionError("extracted again")
    icd10._run_extractor = _extracted_again
objects = len(gc.get_objects())
codes = icd10.warm_up()
print(json.dumps({"codes": codes, "gc_objects_added": len(gc.get_objects()) - objects,
                  "package_imported": "simple_icd_10_cm" in sys.modules}))
"""


def _load_in_a_process(cache_dir: Path, mode: str) -> dict[str, object]:
    env = {**os.environ, icd10.CACHE_DIR_ENV: str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", _LOAD, mode], capture_output=True, text=True,
                          env=env, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object],
                                                             dict[str, object]]:
    """The module's cache dir, filled by a first (cold) load, then read by a second (warm) one,
    each in its own process: (dir, cold, warm)."""
    cache_dir = tmp_path_factory.mktemp("icd10-cache")
    cold = _load_in_a_process(cache_dir, "cold")
    return cache_dir, cold, _load_in_a_process(cache_dir, "warm")


@pytest.fixture(scope="module", autouse=True)
def code_set(loads: tuple[Path, dict[str, object], dict[str, object]]) -> Iterator[int]:
    """The code set of this process, read from the module's cache dir."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(icd10.CACHE_DIR_ENV, str(loads[0]))
        yield warm_up()


@pytest.fixture(scope="module")
def payload(loads: tuple[Path, dict[str, object], dict[str, object]]) -> bytes:
    """A genuine cache file's bytes."""
    return icd10._cache_file(loads[0], icd10._package_version()).read_bytes()


def codes(query: str, limit: int = 25) -> list[str]:
    return [found.code for found in search_codes(query, limit=limit)]


def test_the_whole_code_set_is_there() -> None:
    assert is_ready()
    assert warm_up() > 90_000  # categories and codes of CMS's tabular list, no chapters
    assert CODE_SYSTEM == "ICD-10-CM"
    assert 2026 <= CODE_SET_YEAR < 2100


def test_importing_the_module_does_not_load_the_code_set() -> None:
    """Loading takes time (seconds the first time): in warm_up, never at import (cold start)."""
    script = ("import sys\nimport medtrack_desktop.domain.chart.icd10 as icd10\n"
              "assert 'simple_icd_10_cm' not in sys.modules\nassert not icd10.is_ready()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_app_process_never_loads_the_package(
        loads: tuple[Path, dict[str, object], dict[str, object]]) -> None:
    """The package's ~600,000 objects would make every full garbage collection of the app
    stall the GUI: a child extracts, the app reads a few packed tables, both times."""
    _, cold, warm = loads
    for load in (cold, warm):
        assert load["codes"] == len(icd10._index())
        assert load["package_imported"] is False
        assert load["gc_objects_added"] < 2_000  # what the collector walks (the package: 611k)


def _counting(extract: Callable[[], bytes], calls: list[int]) -> Callable[[], bytes]:
    def counted() -> bytes:
        calls.append(1)
        return extract()
    return counted


def test_the_cache_is_made_once_then_read(tmp_path: Path, payload: bytes) -> None:
    calls: list[int] = []
    extract = _counting(lambda: payload, calls)
    first = icd10._load(tmp_path, extract=extract)
    second = icd10._load(tmp_path, extract=extract)
    assert calls == [1]
    assert len(first) == len(second) == len(icd10._index())
    cache_file = icd10._cache_file(tmp_path, icd10._package_version())
    assert list(tmp_path.iterdir()) == [cache_file]  # no temporary file left behind
    assert cache_file.read_bytes() == payload
    assert str(CODE_SET_YEAR) in cache_file.name and icd10._package_version() in cache_file.name


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def _one_code_less(data: bytes) -> bytes:
    """The header's count of codes (after magic, version, year, fingerprint) minus one."""
    header, _, body = data.partition(b"\n")
    fields = header.split(b"\t")
    fields[4] = str(int(fields[4]) - 1).encode()
    return b"\t".join(fields) + b"\n" + body


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "header only": lambda data: data[:data.index(b"\n") + 1],
    "truncated": lambda data: data[:len(data) // 2],
    "one byte short": lambda data: data[:-1],
    "one byte more": lambda data: data + b"\0",
    "a byte changed": lambda data: _flip(data, len(data) - 1_000),
    "count changed": _one_code_less,
    "garbage": lambda data: os.urandom(10_000),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_cache_is_made_again(tmp_path: Path, payload: bytes,
                                       damage: Callable[[bytes], bytes],
                                       caplog: pytest.LogCaptureFixture) -> None:
    cache_file = icd10._cache_file(tmp_path, icd10._package_version())
    cache_file.write_bytes(damage(payload))
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger=icd10.__name__):
        index = icd10._load(tmp_path, extract=_counting(lambda: payload, calls))
    assert calls == [1] and len(index) == len(icd10._index())
    assert cache_file.read_bytes() == payload
    assert "extracting again" in caplog.text


def test_a_cache_of_another_package_version_is_not_read(
        tmp_path: Path, payload: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    current = icd10._package_version()
    index = icd10._decode(payload, current)
    assert index is not None
    # Under the current version's name but made from another version: not read, replaced.
    cache_file = icd10._cache_file(tmp_path, current)
    cache_file.write_bytes(icd10._encode(index, "0.1.0"))
    calls: list[int] = []
    icd10._load(tmp_path, extract=_counting(lambda: payload, calls))
    assert calls == [1] and cache_file.read_bytes() == payload
    # After an upgrade the new version has a file of its own; the old one is not read, and
    # goes once the new one is written. Other files in the dir are left alone.
    (tmp_path / "other.txt").write_text("not ours")
    monkeypatch.setattr(icd10, "_package_version", lambda: "99.0.0")
    icd10._load(tmp_path, extract=_counting(lambda: icd10._encode(index, "99.0.0"), calls))
    assert calls == [1, 1]
    assert sorted(tmp_path.iterdir()) == sorted([icd10._cache_file(tmp_path, "99.0.0"),
                                                 tmp_path / "other.txt"])


def test_a_cache_made_by_other_code_is_not_read(tmp_path: Path, payload: bytes,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to this module (folding, ranking, layout) must not read an old index."""
    icd10._cache_file(tmp_path, icd10._package_version()).write_bytes(payload)
    monkeypatch.setattr(icd10, "_fingerprint", lambda: "0" * 16)
    calls: list[int] = []
    with pytest.raises(RuntimeError, match="does not check out"):  # the old payload once more
        icd10._load(tmp_path, extract=_counting(lambda: payload, calls))
    assert calls == [1]


def test_an_unwritable_cache_dir_extracts_every_time(tmp_path: Path, payload: bytes,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "a file").write_bytes(b"")
    cache_dir = tmp_path / "a file" / "cache"  # cannot be made, whoever runs the test
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger=icd10.__name__):
        for _ in range(2):
            assert len(icd10._load(cache_dir, extract=_counting(lambda: payload, calls))) > 0
    assert calls == [1, 1]
    assert "extracting on every start" in caplog.text
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a file"]


def test_the_cache_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv(icd10.CACHE_DIR_ENV, str(tmp_path))
    assert icd10.cache_dir() == tmp_path
    monkeypatch.delenv(icd10.CACHE_DIR_ENV)
    assert icd10.cache_dir() == Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


@pytest.mark.parametrize("query", ["E11.9", "e119", "E119", " e11.9 ", "(E11.9)", "e11.9,"])
def test_a_code_is_found_however_it_is_typed(query: str) -> None:
    assert search_codes(query)[0] == IcdCode(code="E11.9", description=DIABETES, billable=True,
                                             category="E11", chapter=4)


def test_a_category_comes_first_then_its_codes_in_code_order() -> None:
    found = search_codes("E11", limit=200)
    assert found[0].code == "E11" and not found[0].billable
    assert all(code.code.startswith("E11") for code in found)
    assert [code.code for code in found] == sorted(code.code for code in found)
    assert {"E11.9", "E11.65", "E11.22"} <= {code.code for code in found}


def test_a_partial_code_finds_the_codes_under_it() -> None:
    found = codes("e11.6", limit=50)
    assert found[0] == "E11.6"
    assert "E11.65" in found and "E11.649" in found
    assert all(code.startswith("E11.6") for code in found)


def test_the_exact_code_comes_before_longer_ones() -> None:
    assert codes("S72.001")[:2] == ["S72.001", "S72.001A"]
    assert codes("I10")[0] == "I10"


@pytest.mark.parametrize("query", ["type 2 diabetes", "diab mell typ 2", "Diabetes TYPE 2",
                                   "2 type diabetes", "Diabète typé 2", "type-2 diabetes"])
def test_words_in_any_order_case_accents_and_prefixes(query: str) -> None:
    assert "E11.9" in codes(query)[:3]


def test_accents_in_descriptions_are_ignored_too() -> None:
    assert "C84.10" in codes("sezary")
    assert "C84.10" in codes("Sézary disease unsp")


def test_apostrophes_join_words() -> None:
    found = codes("alzheimer's disease unspecified")
    assert "G30.9" in found
    assert codes("alzheimers")[:3] == codes("Alzheimer's")[:3]


def test_a_code_and_words_together() -> None:
    found = search_codes("e11 kidney")
    assert found and all(code.code.startswith("E11") and "kidney" in code.description.lower()
                         for code in found)


def test_a_code_like_word_also_finds_descriptions() -> None:
    assert "D51.0" in codes("b12")  # no category B12: "Vitamin B12 deficiency anemia …"


def test_only_a_code_like_word_matches_codes() -> None:
    """"e" is a word prefix, not the start of every E code."""
    found = search_codes("diabetes e", limit=100)
    assert found
    assert all(any(word.startswith("e") for word in _words(code.description)) for code in found)


def test_billable_categories_and_leaves() -> None:
    category, leaf = get_code("E11"), get_code("e11.9")
    assert category is not None and not category.billable
    assert leaf is not None and leaf.billable and leaf.code == "E11.9"
    assert is_billable("E11.9") and not is_billable("E11") and not is_billable("E11.99")
    assert get_code("I10") is not None and is_billable("I10")  # a category with no children


@pytest.mark.parametrize("code", ["E11.99", "Z99.999", "E1", "1", "A00-A09", "", "   ",
                                  "E11.9; DROP TABLE", "x" * 10_000])
def test_unknown_codes_are_none(code: str) -> None:
    assert get_code(code) is None
    assert not is_billable(code)


def test_a_seventh_character_code_reads_cleanly() -> None:
    found = get_code("S72.001B")
    assert found is not None and found.billable and found.chapter == 19
    assert "\t" not in found.description and "  " not in found.description


def test_word_matches_are_billable_first_then_more_general() -> None:
    found = search_codes("diabetes mellitus", limit=200)
    keys = [(not code.billable, len(code.code.replace(".", "")), len(code.description))
            for code in found]
    assert keys == sorted(keys)
    assert codes("hypertension")[0] == "I10"


def test_limit() -> None:
    assert len(search_codes("fracture", limit=3)) == 3
    assert search_codes("fracture", limit=0) == []
    assert len(search_codes("e11", limit=500)) > 25


HOSTILE = ["", "   ", "\t\n", "\x00\x01\x1f\x7f", "x" * 10_000, "a " * 5_000,
           "E11.9" * 2_000, "🙂🙂", "\ud800 lone surrogate", "\u202e gnirts", "%_*",
           "'; DROP TABLE problems; --", ".", "...", "-", "E", "e11.", ".9"]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_does_not_raise(query: str) -> None:
    found = search_codes(query)
    assert isinstance(found, list) and len(found) <= 25


def test_blank_input_finds_nothing() -> None:
    assert search_codes("") == [] == search_codes(" \t ") == search_codes("\x00\x01")


_SPLIT = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> list[str]:
    """Words as a reader would cut them, independently of the module's own code."""
    folded = anyascii(text).lower().replace("'", "").replace("`", "")
    return [word for word in _SPLIT.split(folded) if word]


# Words of common descriptions, some that need folding, and a few that match nothing.
_POOL = ("type", "2", "diabetes", "mellitus", "without", "complications", "essential",
         "primary", "hypertension", "unspecified", "asthma", "fracture", "neck", "right", "femur",
         "initial", "encounter", "alzheimers", "disease", "depression", "chronic", "kidney",
         "stage", "osteoarthritis", "knee", "reflux", "vitamin", "b12", "anemia", "pregnancy",
         "Sézary", "of", "and", "e11", "zzq", "xylo")


@st.composite
def _word_queries(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(_POOL), min_size=1, max_size=3))
    cut = [word[:draw(st.integers(1, len(word)))] for word in words]
    return " ".join(draw(st.sampled_from([w, w.upper(), w.title()])) for w in cut)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=_word_queries())
def test_every_result_starts_a_word_with_each_query_word(query: str) -> None:
    for found in search_codes(query):
        words = _words(found.description)
        code = found.code.replace(".", "").lower()
        for term in _words(query):
            assert code.startswith(term) or any(word.startswith(term) for word in words), (
                query, found)


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=200))
def test_any_text_is_a_query(query: str) -> None:
    assert len(search_codes(query, limit=10)) <= 10
