"""ICD-10-CM code search: finding by code and by words, billable flags, ranking, and input a
user can type that must not break it. The code set loads once for the whole session."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from anyascii import anyascii
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@pytest.fixture(scope="module", autouse=True)
def code_set() -> int:
    return warm_up()


def codes(query: str, limit: int = 25) -> list[str]:
    return [found.code for found in search_codes(query, limit=limit)]


def test_the_whole_code_set_is_there() -> None:
    assert is_ready()
    assert warm_up() > 90_000  # categories and codes of CMS's tabular list, no chapters
    assert CODE_SYSTEM == "ICD-10-CM"
    assert 2026 <= CODE_SET_YEAR < 2100


def test_importing_the_module_does_not_load_the_code_set() -> None:
    """The package's load takes seconds: it happens in warm_up, never at import (cold start)."""
    script = ("import sys\nimport medtrack_desktop.domain.chart.icd10 as icd10\n"
              "assert 'simple_icd_10_cm' not in sys.modules\nassert not icd10.is_ready()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr


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
