"""Patient labels as PDF: Avery 5160 sheets and 2.25 x 1.25 in thermal labels.

Each label carries the name, date of birth, sex, MRN and a Code 128 barcode of the MRN, so a
specimen or a chart can be matched to the patient by scanner as well as by eye. Names print in a
bundled DejaVu Sans Condensed: the PDF core fonts cannot show "ễ" (Nguyễn), and a bundled font
prints the same on every workstation. Output is byte-for-byte deterministic (reportlab's
invariant mode) and its metadata carries no PHI.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from medtrack_desktop.paths import resource

SEX_CODES = {"female": "F", "male": "M", "other": "O", "unknown": "U"}

SHEET_COLUMNS, SHEET_ROWS = 3, 10
LABELS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS
# Avery 5160 / 8160 on US Letter, from the template's own figures.
SHEET_TOP_MARGIN = 0.5 * inch
SHEET_LEFT_MARGIN = 0.1875 * inch
SHEET_PITCH_X = 2.75 * inch
SHEET_PITCH_Y = 1.0 * inch
THERMAL_SIZE = (2.25 * inch, 1.25 * inch)

DOCUMENT_TITLE = "Patient labels"  # the PDF's metadata: never a name or an MRN

_FONT = "MedTrackLabelSans"
_FONT_BOLD = "MedTrackLabelSans-Bold"
_ELLIPSIS = "…"
_REPLACEMENT = "\ufffd"
# Code 128 geometry in modules (X): 10X quiet zones (the symbology's minimum) and an X of at
# most 1 pt (~14 mil): easy for any scanner, and a short MRN does not sprawl across the label.
_QUIET_MODULES = 10
_MAX_MODULE = 1.0
_GAP = 2.5  # between the last text line's descenders and the bars
# DejaVu's vertical metrics in ems: accented capitals (Á) reach 0.93 above the baseline,
# descenders 0.24 below; lines are placed so neither touches the next line or the label edge.
_ASCENT, _DESCENT = 0.93, 0.24


@dataclass(frozen=True)
class PatientLabel:
    """What one label prints; ``sex`` is the registry's value, printed as one letter."""

    name: str  # "Last, First Middle" as it should print
    date_of_birth: date
    sex: str  # "female" | "male" | "other" | "unknown"
    mrn: str

    def __post_init__(self) -> None:
        # Code 128 carries ASCII only, and reportlab silently drops what it cannot encode:
        # a barcode that scans as another MRN would match the wrong patient, so refuse it here.
        if not self.mrn or not all(" " <= char <= "~" for char in self.mrn):
            raise ValueError(f"MRN {self.mrn!r} cannot be printed as a Code 128 barcode: "
                             "it must be non-empty printable ASCII")
        if self.sex not in SEX_CODES:
            raise ValueError(f"sex must be one of {', '.join(SEX_CODES)}, got {self.sex!r}")


@dataclass(frozen=True)
class _Layout:
    """One label format, in points: its size, inner margins and type sizes."""

    width: float
    height: float
    pad_x: float
    pad_top: float
    pad_bottom: float
    name_size: float
    name_min_size: float
    info_size: float
    info_min_size: float


_SHEET_LABEL = _Layout(width=2.625 * inch, height=1.0 * inch, pad_x=9, pad_top=4, pad_bottom=4,
                       name_size=9.5, name_min_size=7, info_size=8, info_min_size=6)
_THERMAL_LABEL = _Layout(width=THERMAL_SIZE[0], height=THERMAL_SIZE[1], pad_x=6, pad_top=5,
                         pad_bottom=5, name_size=10.5, name_min_size=7.5, info_size=9,
                         info_min_size=6)


def avery_5160_sheet(labels: Sequence[PatientLabel], *, start_position: int = 1) -> bytes:
    """Labels on Avery 5160 sheets, filled across then down.

    ``start_position`` (1-30) is the first free label on a partly used first sheet; labels that
    do not fit flow onto further sheets from position 1.
    """
    _require_labels(labels)
    if not 1 <= start_position <= LABELS_PER_SHEET:
        raise ValueError(f"start position must be between 1 and {LABELS_PER_SHEET} "
                         f"(an Avery 5160 sheet has {LABELS_PER_SHEET} labels), "
                         f"got {start_position}")
    canvas, out = _canvas(LETTER)
    page_height = LETTER[1]
    for index, label in enumerate(labels, start=start_position - 1):
        slot = index % LABELS_PER_SHEET
        if slot == 0 and index > 0:
            canvas.showPage()
        row, column = divmod(slot, SHEET_COLUMNS)
        x = SHEET_LEFT_MARGIN + column * SHEET_PITCH_X
        y = page_height - SHEET_TOP_MARGIN - (row + 1) * SHEET_PITCH_Y
        _draw_label(canvas, label, x, y, _SHEET_LABEL)
    canvas.save()
    return out.getvalue()


def thermal_labels(labels: Sequence[PatientLabel]) -> bytes:
    """One 2.25 x 1.25 in page per label, as label printers take them."""
    _require_labels(labels)
    canvas, out = _canvas(THERMAL_SIZE)
    for index, label in enumerate(labels):
        if index:
            canvas.showPage()
        _draw_label(canvas, label, 0, 0, _THERMAL_LABEL)
    canvas.save()
    return out.getvalue()


def _us_date(value: date) -> str:
    """MM/DD/YYYY, zero-padded (``strftime("%Y")`` does not pad years before 1000)."""
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def _require_labels(labels: Sequence[PatientLabel]) -> None:
    if not labels:
        raise ValueError("no labels to print: the list of patient labels is empty")


def _canvas(page_size: tuple[float, float]) -> tuple[Canvas, io.BytesIO]:
    _drawable()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=page_size, invariant=1)
    canvas.setTitle(DOCUMENT_TITLE)
    canvas.setCreator("MedTrack Desktop")
    # Viewers must not "fit to page": a scaled sheet no longer lines up with the die cuts.
    canvas.setViewerPreference("PrintScaling", "None")
    return canvas, out


@cache
def _drawable() -> frozenset[int]:
    """Registers the bundled fonts (once per process: parsing each TTF takes ~30 ms) and returns
    the code points both can draw. Only the Basic Multilingual Plane counts: for a character
    beyond it reportlab writes an invalid ToUnicode entry, and DejaVu has few of them anyway."""
    faces = []
    for name, file in ((_FONT, "DejaVuSansCondensed.ttf"),
                       (_FONT_BOLD, "DejaVuSansCondensed-Bold.ttf")):
        font = TTFont(name, str(resource("fonts", file)))
        pdfmetrics.registerFont(font)
        faces.append(set(font.face.charToGlyph))
    return frozenset(code for code in set.intersection(*faces) if code <= 0xFFFF)


def _draw_label(canvas: Canvas, label: PatientLabel, x: float, y: float, layout: _Layout) -> None:
    """One label with its bottom-left corner at (x, y): three text lines, then the barcode."""
    width = layout.width - 2 * layout.pad_x
    left = x + layout.pad_x
    name_baseline = y + layout.height - layout.pad_top - _ASCENT * layout.name_size
    dob_baseline = name_baseline - _DESCENT * layout.name_size - _ASCENT * layout.info_size - 1
    mrn_baseline = dob_baseline - 1.2 * layout.info_size
    lines = (
        (_printable(label.name), _FONT_BOLD, layout.name_size, layout.name_min_size,
         name_baseline),
        (f"DOB {_us_date(label.date_of_birth)}  Sex {SEX_CODES[label.sex]}", _FONT,
         layout.info_size, layout.info_min_size, dob_baseline),
        (f"MRN {label.mrn}", _FONT, layout.info_size, layout.info_min_size, mrn_baseline),
    )
    for text, font, size, min_size, baseline in lines:
        fitted, fitted_size = _fit_text(text, font, size=size, min_size=min_size, width=width)
        canvas.setFont(font, fitted_size)
        canvas.drawString(left, baseline, fitted)
    bars_top = mrn_baseline - _DESCENT * layout.info_size - _GAP
    _draw_barcode(canvas, label.mrn, x=x + layout.pad_x, y=y + layout.pad_bottom, width=width,
                  height=bars_top - y - layout.pad_bottom)


def _draw_barcode(canvas: Canvas, value: str, *, x: float, y: float, width: float,
                  height: float) -> None:
    """A Code 128 of ``value``, centred in the box, its quiet zones inside it.

    The module is as wide as the box allows up to ``_MAX_MODULE``; a long MRN gets narrower
    modules rather than bars that run off the label. The bars are one path drawn in module
    units: half the time of reportlab's bar-by-bar drawing, which matters for a 300-label batch.
    """
    bars, modules = _code128_bars(value)
    module = min(_MAX_MODULE, width / (modules + 2 * _QUIET_MODULES))
    canvas.saveState()
    canvas.transform(module, 0, 0, height, x + (width - modules * module) / 2, y)
    path = canvas.beginPath()
    for start, bar_width in bars:
        path.rect(start, 0, bar_width, 1)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _code128_bars(value: str) -> tuple[list[tuple[int, int]], int]:
    """The bars of ``value``'s Code 128 symbol as (start, width) in modules, and its width.

    reportlab encodes (choosing code sets, digits in pairs); its pattern spells each element's
    width as a letter: capitals are bars, lower case the spaces between them.
    """
    code = Code128(value, quiet=0)
    code.validate()
    code.encode()
    bars, position = [], 0
    for element in code.decompose():
        size = ord(element.lower()) - ord("a") + 1
        if element.isupper():
            bars.append((position, size))
        position += size
    return bars, position


def _printable(text: str) -> str:
    """``text`` as one printable line: NFC (the font has precomposed "ễ" but reportlab places no
    combining marks), control and format characters dropped, any whitespace run one space, and
    what the font cannot draw shown as U+FFFD, so a label never silently loses a letter."""
    drawable = _drawable()
    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            kept.append(" ")
        elif not unicodedata.category(char).startswith("C"):
            kept.append(char if ord(char) in drawable else _REPLACEMENT)
    return " ".join("".join(kept).split())


def _fit_text(text: str, font: str, *, size: float, min_size: float,
             width: float) -> tuple[str, float]:
    """``(text, size)`` that fits ``width``: shrunk down to ``min_size`` first, then cut with an
    ellipsis, so a long name stays readable as far as it goes and visibly incomplete."""
    natural = pdfmetrics.stringWidth(text, font, size)
    if natural <= width:
        return text, size
    # Width grows linearly with size; the 0.05 pt steps keep rounding from overshooting.
    size = max(min_size, math.floor(size * width / natural * 20) / 20)
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis: binary search
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle].rstrip() + _ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS, size
