"""ICD-10-CM codes for the problem list: the whole code set offline, found by code or by words.

The codes come from ``simple-icd-10-cm``, which bundles CMS's tabular list. Importing it parses
that list into a tree of ~600,000 objects (~4 s of CPU, ~190 MB), and a tree that size makes
every later full garbage collection of the app freeze the GUI for half a second. So the app
never imports it: a child process (``python -m medtrack_desktop.domain.chart.icd10 --extract``)
reads the codes out once into a plain cache file in the user cache dir, named after the package
version and code-set year so an upgrade makes a new one, and checked on every read (row count
and SHA-256 in its header) so a damaged file is made again instead of trusted. The app reads
that file and indexes it in a few flat lists and arrays (``python -m benchmarks icd10-search``).
Nothing is loaded until the first call; the UI calls ``warm_up()`` on a background thread so a
clinician never waits for it. The index is built once per process and only read afterwards, so
any thread may search.

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

import hashlib
import heapq
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from importlib.util import find_spec
from itertools import accumulate, islice, pairwise
from pathlib import Path

import platformdirs
from anyascii import anyascii

from medtrack_desktop import __version__ as app_version
from medtrack_desktop.config import APP_AUTHOR, APP_NAME

CODE_SYSTEM = "ICD-10-CM"
PACKAGE = "simple-icd-10-cm"
CACHE_DIR_ENV = "MEDTRACK_CACHE_DIR"

_log = logging.getLogger(__name__)

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


class _Packed:
    """Strings end to end in one ``str`` with an array of where each starts (and the last ends):
    two objects for the garbage collector instead of one per string, and no per-string header."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str, starts: array[int]) -> None:
        if not starts or starts[0] != 0 or starts[-1] != len(text):
            raise ValueError("the starts do not cover the text")
        self.text, self.starts = text, starts

    @classmethod
    def of(cls, strings: Sequence[str]) -> _Packed:
        return cls("".join(strings), array("I", accumulate(map(len, strings), initial=0)))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> str:
        return self.text[self.starts[i]:self.starts[i + 1]]


# The index's tables as the cache file stores them, in this order (see _encode).
_PACKED = ("codes", "descriptions", "by_code", "texts", "vocabulary")
_ARRAYS = (("billable", "B"), ("chapters", "B"), ("code_ids", "I"), ("postings", "I"),
           ("offsets", "I"))


class _Index:
    """The code set in search order, with a word-prefix index over the descriptions.

    A code's id is its place in word-search order (billable, shorter code, shorter description,
    code), so posting lists in id order yield the best matches first and a search stops after
    ``limit``. ``_texts[i]`` is the description's words, each after a space, then a tab and the
    code, all folded: " " + term in it says that a word starts with the term, tab + term that
    the code does. ``_by_code`` is the codes without dots in code order, for code prefixes;
    ``_code_ids`` the id of each. The postings of ``_vocabulary[a:b]`` (its words, sorted) are
    ``_postings[_offsets[a]:_offsets[b]]``.

    All of it is a few packed strings and arrays, built by ``build`` in the extracting child
    and read back from the cache file as they are: ~100,000 codes and ~960,000 postings as
    objects of their own took ~4 times the memory, ~1 s to build, and gave the garbage collector
    ~300,000 objects to walk on every full collection.
    """

    def __init__(self, *, codes: _Packed, descriptions: _Packed, by_code: _Packed,
                 texts: _Packed, vocabulary: _Packed, billable: array[int],
                 chapters: array[int], code_ids: array[int], postings: array[int],
                 offsets: array[int]) -> None:
        size = len(codes)
        if (any(len(table) != size for table in (descriptions, by_code, texts, billable,
                                                   chapters, code_ids))
                or len(offsets) != len(vocabulary) + 1 or offsets[-1] != len(postings)):
            raise ValueError("the tables do not fit together")
        self._codes, self._descriptions, self._texts = codes, descriptions, texts
        self._by_code, self._code_ids = by_code, code_ids
        self._billable, self._chapters = billable, chapters
        self._vocabulary, self._postings, self._offsets = vocabulary, postings, offsets

    @classmethod
    def build(cls, *, codes: Sequence[str], descriptions: Sequence[str],
              billable: Sequence[bool], chapters: Sequence[int]) -> _Index:
        """Index the code set (~1 s; run in the extracting child, see ``_load``)."""
        dotless = [code.replace(".", "") for code in codes]
        # Word-search order: billable first, then shorter code, shorter description, then code;
        # a stable sort of the codes in code order by one packed integer (cheaper than tuples).
        rank = [(not leaf) << 48 | len(code) << 32 | len(description)
                for leaf, code, description in zip(billable, dotless, descriptions, strict=True)]
        order = sorted(sorted(range(len(codes)), key=codes.__getitem__), key=rank.__getitem__)
        ordered = [descriptions[i] for i in order]
        dotless = [dotless[i] for i in order]
        by_code = sorted(range(len(dotless)), key=dotless.__getitem__)
        # One fold and translate over all (tidy, so one-line) descriptions: far cheaper than one
        # each, and the same, as lower() and the apostrophes see no line breaks.
        lines = _fold("\n".join(text if text.isascii() else anyascii(text) for text in ordered)
                      ).translate(_WORD_BREAKS).split("\n")
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            for word in line.split():  # a repeated word repeats the id: the search skips repeats
                postings[word].append(i)
        vocabulary = sorted(postings)
        return cls(codes=_Packed.of([codes[i] for i in order]), descriptions=_Packed.of(ordered),
                   by_code=_Packed.of([dotless[i] for i in by_code]),
                   texts=_Packed.of([f" {line}\t{code.lower()}"
                                     for line, code in zip(lines, dotless, strict=True)]),
                   vocabulary=_Packed.of(vocabulary),
                   billable=array("B", (billable[i] for i in order)),
                   chapters=array("B", (chapters[i] for i in order)),
                   code_ids=array("I", by_code),
                   postings=array("I", (i for word in vocabulary for i in postings[word])),
                   offsets=array("I", accumulate((len(postings[word]) for word in vocabulary),
                                                 initial=0)))

    def __len__(self) -> int:
        return len(self._codes)

    def entry(self, i: int) -> IcdCode:
        code = self._codes[i]
        return IcdCode(code=code, description=self._descriptions[i],
                       billable=bool(self._billable[i]), category=code[:3],
                       chapter=self._chapters[i])

    def find(self, code: str) -> int | None:
        dotless = _dotless(code.strip())
        at = bisect_left(self._by_code, dotless)
        if at < len(self._by_code) and self._by_code[at] == dotless:
            return self._code_ids[at]
        return None

    def search(self, text: str, limit: int) -> list[int]:
        terms = _query_terms(text)
        if not terms or limit < 1:
            return []
        found: list[int] = []
        if len(terms) == 1 and _CODE_LIKE.fullmatch(terms[0]):
            start, end = self._code_range(terms[0])
            found = self._code_ids[start:min(end, start + limit)].tolist()
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
            codes = self._code_range(term) if _CODE_LIKE.fullmatch(term) else (0, 0)
            size = self._offsets[end] - self._offsets[start] + codes[1] - codes[0]
            if not size:
                return
            spans.append((size, term, start, end, codes))
        spans.sort(key=lambda span: span[0])
        _, _, start, end, (code_start, code_end) = spans[0]
        offsets, postings = self._offsets, self._postings
        sources: list[Sequence[int]] = [postings[offsets[k]:offsets[k + 1]]
                                        for k in range(start, end)]
        if code_start < code_end:
            sources.append(sorted(self._code_ids[code_start:code_end]))
        # What each other term needs in a candidate's text: a word or (only if it is code-like)
        # the code starting with it. No text has a line break, so "\n" never matches.
        needles = [(f" {term}", f"\t{term}" if _CODE_LIKE.fullmatch(term) else "\n")
                   for _, term, *_ in spans[1:]]
        candidates = sources[0] if len(sources) == 1 else heapq.merge(*sources)
        texts, starts = self._texts.text, self._texts.starts
        last = -1
        for i in candidates:  # the hot loop of a search with few matches: kept plain
            if i == last:
                continue
            last = i
            text = texts[starts[i]:starts[i + 1]]
            for word, code in needles:
                if word not in text and code not in text:
                    break
            else:
                yield i


# -- The cache file ----------------------------------------------------------------------------
#
# One header line of tab-separated fields: magic, package version, code-set year, fingerprint
# (_fingerprint), number of codes, SHA-256 of the body (hex) and the byte length of each
# section, comma-separated. The body: each _PACKED table as its UTF-8 text then its starts,
# then each _ARRAYS table, arrays in the machine's byte order. Public code-set data, no PHI.
# Binary rather than text because reading it is then a copy per table, not ~1 s of parsing.

_MAGIC = "medtrack-icd10-cm-index"
_MODULE = "medtrack_desktop.domain.chart.icd10"  # what the child runs with ``python -m``


def cache_dir() -> Path:
    """Where the cache file goes: ``$MEDTRACK_CACHE_DIR``, else the user cache dir."""
    return Path(os.environ.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def _package_version() -> str:
    return version(PACKAGE)


@cache
def _fingerprint() -> str:
    """What the stored index depends on besides the code set: this module's code (folding,
    ranking, layout), the app's and anyascii's versions, the byte order and the array item
    size. Any change makes the cache be extracted again instead of read wrongly."""
    try:
        source = Path(__file__).read_bytes()
    except OSError:  # not a plain file (a frozen app): the app's version stands for it
        source = b""
    facts = f"{app_version}|{version('anyascii')}|{sys.byteorder}|{array('I').itemsize}|"
    return hashlib.sha256(facts.encode("ascii") + source).hexdigest()[:16]


def _stamp(package_version: str) -> list[str]:
    return [_MAGIC, package_version, str(CODE_SET_YEAR), _fingerprint()]


def _cache_file(directory: Path, package_version: str) -> Path:
    return directory / f"icd10cm-{CODE_SET_YEAR}-{PACKAGE}-{package_version}.index"


def _encode(index: _Index, package_version: str) -> bytes:
    """The cache file's bytes for ``index`` (see the layout above)."""
    sections: list[bytes] = []
    for name in _PACKED:
        packed: _Packed = getattr(index, f"_{name}")
        sections += [packed.text.encode("utf-8"), packed.starts.tobytes()]
    sections += [getattr(index, f"_{name}").tobytes() for name, _ in _ARRAYS]
    body = b"".join(sections)
    header = [*_stamp(package_version), str(len(index)), hashlib.sha256(body).hexdigest(),
              ",".join(str(len(section)) for section in sections)]
    return "\t".join(header).encode("ascii") + b"\n" + body


def _decode(payload: bytes, package_version: str) -> _Index | None:
    """The index, or ``None`` unless the payload is a whole, intact cache of this code set made
    by this code."""
    end = payload.find(b"\n", 0, 4096)
    fields = payload[:max(end, 0)].decode("ascii", "replace").split("\t")
    stamp = _stamp(package_version)
    if end < 0 or len(fields) != len(stamp) + 3 or fields[:len(stamp)] != stamp:
        return None
    size, digest, lengths = fields[len(stamp):]
    body = memoryview(payload)[end + 1:]
    try:
        bounds = list(accumulate(map(int, lengths.split(",")), initial=0))
    except ValueError:
        return None
    if (len(bounds) != 2 * len(_PACKED) + len(_ARRAYS) + 1 or bounds[-1] != len(body)
            or sorted(bounds) != bounds or hashlib.sha256(body).hexdigest() != digest):
        return None
    sections = iter([body[start:stop] for start, stop in pairwise(bounds)])
    try:  # intact, so only a bug of ours could fail here; still never trusted blindly
        tables: dict[str, _Packed | array[int]] = {}
        for name in _PACKED:
            text = str(next(sections), "utf-8")
            tables[name] = _Packed(text, _array("I", next(sections)))
        for name, typecode in _ARRAYS:
            tables[name] = _array(typecode, next(sections))
        index = _Index(**tables)  # type: ignore[arg-type]
    except ValueError:  # UnicodeDecodeError included
        return None
    return index if str(len(index)) == size else None


def _array(typecode: str, data: memoryview) -> array[int]:
    table = array(typecode)
    table.frombytes(data)
    return table


def _extract(package_version: str) -> bytes:
    """Load the package, index its code set and encode it: in the child process only."""
    import simple_icd_10_cm as icd  # slow and large: parses the tabular list (module doc)

    # Categories and codes, no chapters or blocks: chapters are numbered and blocks are ranges
    # ("E08-E13"). (A block of one category shares its name, hence the dedup.)
    codes = [code for code in dict.fromkeys(icd.get_all_codes(with_dots=True))
             if code[:1].isalpha() and "-" not in code]
    chapter_of = {code: int(icd.get_ancestors(code)[-1]) for code in codes if len(code) == 3}
    index = _Index.build(codes=codes,
                         descriptions=[_tidy(icd.get_description(code)) for code in codes],
                         billable=[icd.is_leaf(code) for code in codes],
                         chapters=[chapter_of[code[:3]] for code in codes])
    return _encode(index, package_version)


def _run_extractor() -> bytes:
    """The cache file's bytes, made by a child process so the package never loads in ours."""
    root = str(Path(__file__).resolve().parents[3])  # so the child imports this same module
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", _MODULE, "--extract"],
                          capture_output=True, env=env, check=False, timeout=600)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise RuntimeError(f"extracting the ICD-10-CM code set failed: {tail}")
    return done.stdout


def _read_cache(path: Path, package_version: str) -> _Index | None:
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        _log.warning("ICD-10-CM cache %s unreadable (%s): extracting again", path, exc)
        return None
    index = _decode(payload, package_version)
    if index is None:
        _log.warning("ICD-10-CM cache %s is damaged or stale: extracting again", path)
    return index


def _write_cache(path: Path, payload: bytes) -> None:
    """Write atomically (a reader sees no file, the old one or the whole new one), then drop
    the files of other package versions or years; a failure only costs another extraction."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False) as file:
            tmp = Path(file.name)
            file.write(payload)
        os.replace(tmp, path)
    except OSError as exc:
        _log.warning("ICD-10-CM cache not written to %s (%s): extracting on every start",
                     path, exc)
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        return
    for other in path.parent.glob("icd10cm-*.index"):  # an earlier version's, ~20 MB each
        if other != path:
            with suppress(OSError):  # open elsewhere (Windows) or gone: next time
                other.unlink()


def _load(directory: Path | None = None, *,
          extract: Callable[[], bytes] | None = None) -> _Index:
    """The index from the cache file, extracted first if the file is missing, damaged or stale.

    ``directory`` defaults to ``cache_dir()``, ``extract`` to ``_run_extractor`` (looked up at
    the call, so a test can replace either). If the file cannot be written, the index comes
    straight from the extractor's pipe, on every start.
    """
    package_version = _package_version()
    path = _cache_file(directory or cache_dir(), package_version)
    index = _read_cache(path, package_version)
    if index is None:
        payload = (extract or _run_extractor)()
        index = _decode(payload, package_version)
        if index is None:
            raise RuntimeError("the extracted ICD-10-CM index does not check out")
        _write_cache(path, payload)
    return index


_BUILD_LOCK = threading.Lock()


@cache
def _built() -> _Index:
    return _load()


def _index() -> _Index:
    with _BUILD_LOCK:  # functools.cache alone would let warm-up and a first search both build
        return _built()


def warm_up() -> int:
    """Load and index the code set now (meant for a background thread); the number of codes.

    The first run on a machine (or after the package is upgraded) extracts the code set in a
    child process (seconds); later runs read the cache file. Until it returns, a search waits.
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


def _main(argv: Sequence[str]) -> int:
    """``--extract``: write the cache file's bytes to stdout (run by ``_run_extractor``)."""
    if list(argv) != ["--extract"]:
        sys.stderr.write(f"usage: python -m {_MODULE} --extract\n")
        return 2
    out, sys.stdout = sys.stdout.buffer, sys.stderr  # stray prints must not enter the payload
    out.write(_extract(_package_version()))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
