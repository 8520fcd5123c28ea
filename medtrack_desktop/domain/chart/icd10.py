"""ICD-10-CM codes for the problem list: the whole code set offline, found by code or by words.

The codes come from ``simple-icd-10-cm``, which bundles CMS's tabular list. Importing it parses
that list (~3 s of CPU on a 2-core machine, ~190 MB resident) and indexing it takes ~1 s more
(``python -m benchmarks icd10-search``), so nothing is loaded until the first call; the UI calls
``warm_up()`` on a background thread so a clinician never waits for it. The index is built once
per process and only read afterwards, so any thread may search.

How a query reads:

- One code-like chunk ("E11.9", "e119", "E11", "e11.6") finds that code and the codes under it
  in code order, so the exact code or category comes first. Codes whose description has the
  chunk as a word ("B12" in "Vitamin B12 …") follow.
- Otherwise every chunk must start a word of the description, in any order ("diab mell typ 2"),
  or, if it looks like a code, the code ("e11 kidney"); case, accents and punctuation are
  ignored. Word matches come billable first, then the more general (shorter code, then shorter
  description), then by code: the order the index stores them in, so a search can stop at the
  first ``limit`` matches instead of ranking them all.
"""

from __future__ import annotations

import heapq
import re
import threading
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from itertools import count, islice
from operator import itemgetter
from pathlib import Path

from anyascii import anyascii

CODE_SYSTEM = "ICD-10-CM"

# Every other ASCII character but the line break (which separates descriptions) splits words.
_WORD_BREAKS = str.maketrans({chr(c): " " for c in range(128)
                              if not chr(c).isalnum() and chr(c) != "\n"})
# A code as typed: letter, digit, then up to five more, a dot allowed after the category.
_CODE_LIKE = re.compile(r"[a-z][0-9](?:[a-z0-9](?:\.?[a-z0-9]{0,4})?)?")
_CHUNK_EDGES = ".,;:()[]{}<>\"'"
_AFTER_LAST = "~"  # sorts after every word and code character


@dataclass(frozen=True, slots=True)
class IcdCode:
    """One ICD-10-CM code. Only billable codes (the leaves of the tabular list) go on a claim."""

    code: str  # with its dot, as printed: "E11.9"
    description: str
    billable: bool
    category: str  # the three-character category it belongs to: "E11"
    chapter: int  # 1-22, the tabular list's chapter


def _read_code_set_year() -> int:
    """The fiscal year of the code set the installed package carries (its ``<version>``).

    Read from the head of the bundled tabular list, found without importing the package (that
    import is the slow part), so this costs a millisecond at import.
    """
    spec = find_spec("simple_icd_10_cm")
    if spec is None or spec.origin is None:
        raise RuntimeError("simple-icd-10-cm is not installed")
    for path in sorted(Path(spec.origin).parent.glob("data/*tabular*.xml")):
        with path.open(encoding="utf-8") as tabular:
            found = re.search(r"<version>\s*(\d{4})\s*</version>", tabular.read(4096))
        if found:
            return int(found.group(1))
    raise RuntimeError("simple-icd-10-cm carries no tabular list with a <version>")


CODE_SET_YEAR = _read_code_set_year()


def _fold(text: str) -> str:
    """ASCII, lower case, apostrophes dropped ("Alzheimer's" is one word)."""
    # After anyascii every apostrophe is one of these two.
    return (text if text.isascii() else anyascii(text)).lower().replace("'", "").replace("`", "")


def _words(folded: str) -> list[str]:
    return folded.translate(_WORD_BREAKS).split()


def _tidy(description: str) -> str:
    """One space between words: the package joins some 7th-character notes with "/\\t"."""
    return description if description.isprintable() else " ".join(description.split())


def _dotless(code: str) -> str:
    return code.replace(".", "").upper()


def _query_terms(text: str) -> list[str]:
    """The query's terms: each code-like chunk whole (without its dot), other chunks' words."""
    terms: list[str] = []
    for chunk in text.split():
        folded = _fold(chunk).strip(_CHUNK_EDGES)
        if _CODE_LIKE.fullmatch(folded):
            terms.append(folded.replace(".", ""))
        else:
            terms.extend(_words(folded))
    return list(dict.fromkeys(terms))


class _Index:
    """The code set in search order, with a word-prefix index over the descriptions.

    A code's id is its place in word-search order (billable, shorter code, shorter description,
    code), so posting lists in id order yield the best matches first and a search stops after
    ``limit``. ``_texts[i]`` is the description's words, each after a space, then a tab and the
    code, all folded: " " + term in it says that a word starts with the term, tab + term that
    the code does.
    """

    def __init__(self, *, codes: list[str], descriptions: list[str], billable: list[bool],
                 chapters: list[int]) -> None:
        descriptions = [_tidy(description) for description in descriptions]
        dotless = [code.replace(".", "") for code in codes]
        # Word-search order: billable first, then shorter code, shorter description, then code;
        # a stable sort of the codes in code order by one packed integer (cheaper than tuples).
        rank = [(not leaf) << 48 | len(code) << 32 | len(description)
                for leaf, code, description in zip(billable, dotless, descriptions, strict=True)]
        order = sorted(sorted(range(len(codes)), key=codes.__getitem__), key=rank.__getitem__)
        self._codes = [codes[i] for i in order]
        self._descriptions = [descriptions[i] for i in order]
        self._billable = [billable[i] for i in order]
        self._chapters = [chapters[i] for i in order]
        dotless = [dotless[i] for i in order]
        self._ids = dict(zip(dotless, count()))
        self._by_code = sorted(dotless)  # for code-prefix ranges
        # One translate over all (tidy, so one-line) descriptions: far cheaper than one each.
        lines = "\n".join(map(_fold, self._descriptions)).translate(_WORD_BREAKS)
        self._texts = [f" {line}\t{code.lower()}"
                       for line, code in zip(lines.split("\n"), dotless, strict=True)]
        postings: dict[str, list[int]] = defaultdict(list)
        for i, line in enumerate(lines.split("\n")):
            for word in line.split():  # a repeated word repeats the id: the search skips repeats
                postings[word].append(i)
        self._vocabulary = sorted(postings)
        self._postings = [postings[word] for word in self._vocabulary]
        self._counts = [0]  # _counts[b] - _counts[a]: postings of vocabulary[a:b]
        for posting in self._postings:
            self._counts.append(self._counts[-1] + len(posting))

    def __len__(self) -> int:
        return len(self._codes)

    def entry(self, i: int) -> IcdCode:
        code = self._codes[i]
        return IcdCode(code=code, description=self._descriptions[i], billable=self._billable[i],
                       category=code[:3], chapter=self._chapters[i])

    def find(self, code: str) -> int | None:
        return self._ids.get(_dotless(code.strip()))

    def search(self, text: str, limit: int) -> list[int]:
        terms = _query_terms(text)
        if not terms or limit < 1:
            return []
        found: list[int] = []
        if len(terms) == 1 and _CODE_LIKE.fullmatch(terms[0]):
            start, end = self._code_range(terms[0])
            found = [self._ids[code] for code in self._by_code[start:min(end, start + limit)]]
        if len(found) < limit:
            seen = set(found)
            more = (i for i in self._matches(terms) if i not in seen)
            found.extend(islice(more, limit - len(found)))
        return found

    def _code_range(self, term: str) -> tuple[int, int]:
        """Where the codes starting with ``term`` are in ``_by_code``."""
        code = term.upper()
        start = bisect_left(self._by_code, code)
        return start, bisect_left(self._by_code, code + _AFTER_LAST, start)

    def _matches(self, terms: list[str]) -> Iterator[int]:
        """Ids where every term starts a description word (or the code, if code-like), in id
        order, so best first.

        The term with the fewest postings drives; the others are checked on each candidate's
        text, which is cheaper than building and intersecting their (possibly huge) unions.
        """
        spans = []
        for term in terms:
            start = bisect_left(self._vocabulary, term)
            end = bisect_left(self._vocabulary, term + _AFTER_LAST, start)
            sources = self._postings[start:end]
            if _CODE_LIKE.fullmatch(term):
                code_start, code_end = self._code_range(term)
                if code_start < code_end:
                    sources.append(sorted(self._ids[code]
                                          for code in self._by_code[code_start:code_end]))
            if not sources:
                return
            size = self._counts[end] - self._counts[start] + sum(map(len, sources[end - start:]))
            spans.append((size, term, sources))
        spans.sort(key=itemgetter(0))
        _, _, sources = spans[0]
        # What each other term needs in a candidate's text: a word or (only if it is code-like)
        # the code starting with it. No text has a line break, so "\n" never matches.
        needles = [(f" {term}", f"\t{term}" if _CODE_LIKE.fullmatch(term) else "\n")
                   for _, term, _ in spans[1:]]
        candidates = sources[0] if len(sources) == 1 else heapq.merge(*sources)
        texts = self._texts
        last = -1
        for i in candidates:  # the hot loop of a search with few matches: kept plain
            if i == last:
                continue
            last = i
            text = texts[i]
            for word, code in needles:
                if word not in text and code not in text:
                    break
            else:
                yield i


def _load() -> _Index:
    """Read the package's code set (categories and codes; no chapters or blocks) and index it."""
    import simple_icd_10_cm as icd  # slow: parses the tabular list (see the module doc)

    # Chapters are numbered and blocks are ranges ("E08-E13"); the rest are codes. (A block of
    # one category shares its name, hence the dedup.) Cheaper than is_category_or_subcategory.
    codes = [code for code in dict.fromkeys(icd.get_all_codes(with_dots=True))
             if code[:1].isalpha() and "-" not in code]
    chapter_of = {code: int(icd.get_ancestors(code)[-1]) for code in codes if len(code) == 3}
    return _Index(codes=codes, descriptions=[icd.get_description(code) for code in codes],
                  billable=[icd.is_leaf(code) for code in codes],
                  chapters=[chapter_of[code[:3]] for code in codes])


_BUILD_LOCK = threading.Lock()


@cache
def _built() -> _Index:
    return _load()


def _index() -> _Index:
    with _BUILD_LOCK:  # functools.cache alone would let warm-up and a first search both build
        return _built()


def warm_up() -> int:
    """Load and index the code set now (meant for a background thread); the number of codes.

    Until it returns, a search waits for it.
    """
    return len(_index())


def is_ready() -> bool:
    """Whether the code set is loaded, so a search answers at once (the UI may say "loading")."""
    return _built.cache_info().currsize > 0


def search_codes(text: str, *, limit: int = 25) -> list[IcdCode]:
    """Codes matching ``text`` by code or by words, best first (see the module doc).

    Never raises on what a user can type: blank, enormous or garbled text finds nothing or
    what its words find.
    """
    index = _index()
    return [index.entry(i) for i in index.search(text, limit)]


def get_code(code: str) -> IcdCode | None:
    """The code as the code set has it ("e119" → E11.9), or ``None`` if there is no such code.

    A problem is saved only with a code this returns; ``billable`` says whether it can go on a
    claim as is or needs a more specific child.
    """
    index = _index()
    i = index.find(code)
    return None if i is None else index.entry(i)


def is_billable(code: str) -> bool:
    """Whether ``code`` exists and is billable (a leaf); an unknown code is not."""
    found = get_code(code)
    return found is not None and found.billable
