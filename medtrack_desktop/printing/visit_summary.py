"""The visit summary of an encounter as PDF (US Letter, 0.75 in margins), from
``domain.chart.visit_summary.VisitSummaryFacts``.

What it must get right:

- **The signature shows on every print** (21 CFR 11.50, DESIGN §4): a signed note ends with a
  signature block, one line per signature with the printed name, meaning, date-time with its
  time zone and the full SHA-256 of what was signed; an amended note says so at the top with
  the reasons. A note never signed prints "DRAFT — NOT SIGNED" as a banner and across every
  page, and every page's footer says whether the record is signed, so a loose page cannot pass
  for the signed record.
- **Every page names the patient**: footer with name, MRN, print date and "Page N of M" (a
  canvas that holds the pages until the count is known).
- **Text prints as typed**: notes are escaped for reportlab's Paragraph markup (``<b>`` and
  ``&`` print as they are), control and bidi-override characters are dropped (they would
  reorder or hide what is printed), characters the bundled font lacks print as U+FFFD rather
  than vanish, and long text wraps and flows onto further pages — a table row too, when one
  review-of-systems note is longer than a page.

Output is deterministic (reportlab's invariant mode) and the PDF's metadata carries no PHI.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from medtrack_desktop.domain.chart.visit_summary import (
    PrintedSignature,
    PrintedVitals,
    SignedVersion,
    VisitSummaryFacts,
)
from medtrack_desktop.paths import resource
from medtrack_desktop.printing.numbered_pages import numbered_canvas

DOCUMENT_TITLE = "Visit summary"  # the PDF's metadata: never a name or an MRN
DRAFT_MARK = "DRAFT \u2014 NOT SIGNED"
CANCELLED_MARK = "CANCELLED \u2014 NOT SIGNED"
MARGIN = 0.75 * inch
PAGE_WIDTH, PAGE_HEIGHT = LETTER
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
HEADER_BAND = 0.42 * inch  # pages 2 on, inside the margins: clinic, title, rule
FOOTER_BAND = 0.48 * inch  # two footer lines and a rule
VITALS_PER_TABLE = 3  # sets side by side; more sets get another table below
# Space a heading needs below it, or it starts a new page: a section heading's room holds a
# subheading's, so the two never part.
_SECTION_ROOM = 1.25 * inch
_SUBSECTION_ROOM = 0.8 * inch

_FONT = "MedTrackSans"
_FONT_BOLD = "MedTrackSans-Bold"
_REPLACEMENT = "\ufffd"
_TAB = "    "
_INK = colors.HexColor("#1d2a30")
_MUTED = colors.HexColor("#5b6b73")
_RULE = colors.HexColor("#9fb0b8")
_SHADE = colors.HexColor("#eef3f5")
_ACCENT = colors.HexColor("#0f5e7a")
_WARN_INK = colors.HexColor("#9b1c1c")
_WARN_FILL = colors.HexColor("#fdecec")
_AMEND_FILL = colors.HexColor("#fff4dc")
_AMEND_INK = colors.HexColor("#7a4b00")
_SIGNED_FILL = colors.HexColor("#e8f4ec")


@cache
def _drawable() -> frozenset[int]:
    """Registers the bundled DejaVu faces once per process and returns the code points both
    draw (Basic Multilingual Plane only: beyond it reportlab writes a broken ToUnicode)."""
    faces = []
    for name, file in ((_FONT, "DejaVuSansCondensed.ttf"),
                       (_FONT_BOLD, "DejaVuSansCondensed-Bold.ttf")):
        font = TTFont(name, str(resource("fonts", file)))
        pdfmetrics.registerFont(font)
        faces.append(set(font.face.charToGlyph))
    # No italic face is bundled: <i> (never used here) falls back to the upright one.
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_FONT_BOLD, italic=_FONT,
                                  boldItalic=_FONT_BOLD)
    return frozenset(code for code in set.intersection(*faces) if code <= 0xFFFF)


def printable(text: str) -> str:
    """``text`` as it can print: NFC (the font has precomposed letters; reportlab places no
    combining marks), tabs as spaces, control and format characters (bidi overrides,
    zero-width marks) dropped, anything the font lacks as U+FFFD. Line breaks are kept."""
    drawable = _drawable()
    kept = []
    for char in unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", _TAB)):
        if char == "\n":
            kept.append(char)
        elif unicodedata.category(char).startswith("C"):
            continue
        else:
            kept.append(char if ord(char) in drawable else _REPLACEMENT)
    return "".join(kept)


def _markup(text: str) -> str:
    """One line of plain text as Paragraph markup that prints it literally; leading spaces
    kept as indentation (Paragraph collapses ordinary spaces)."""
    stripped = text.lstrip(" ")
    return "&nbsp;" * (len(text) - len(stripped)) + escape(stripped)


def _single_line(text: str) -> str:
    return " ".join(printable(text).split())


def _day(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _when(value: datetime) -> str:
    """Date, time and zone: "2026-11-26 09:30 CST"."""
    return f"{_day(value)} {value:%H:%M} {value.tzname() or ''}".rstrip()


# -- styles -----------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    _drawable()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=12.5, textColor=_INK,
                          splitLongWords=1)
    return {
        "body": body,
        "title": ParagraphStyle("title", body, fontName=_FONT_BOLD, fontSize=17, leading=21,
                                textColor=_ACCENT),
        "clinic": ParagraphStyle("clinic", body, fontName=_FONT_BOLD, fontSize=11,
                                 leading=14, alignment=TA_RIGHT),
        "heading": ParagraphStyle("heading", body, fontName=_FONT_BOLD, fontSize=11,
                                  leading=14, textColor=_ACCENT, spaceBefore=10,
                                  spaceAfter=3),
        "subheading": ParagraphStyle("subheading", body, fontName=_FONT_BOLD, spaceBefore=5,
                                     spaceAfter=1),
        "label": ParagraphStyle("label", body, fontSize=8.5, leading=11.5, textColor=_MUTED),
        "cell": ParagraphStyle("cell", body, fontSize=9, leading=11.5),
        "cell_bold": ParagraphStyle("cell_bold", body, fontName=_FONT_BOLD, fontSize=9,
                                    leading=11.5),
        "muted": ParagraphStyle("muted", body, textColor=_MUTED),
        "banner": ParagraphStyle("banner", body, fontName=_FONT_BOLD, fontSize=10.5,
                                 leading=13.5),
        "signature": ParagraphStyle("signature", body, fontSize=9, leading=12, leftIndent=10,
                                    spaceAfter=2),
    }


# -- the document -----------------------------------------------------------------------------


def visit_summary_pdf(facts: VisitSummaryFacts) -> bytes:
    """The visit summary as PDF bytes."""
    styles = _styles()
    out = io.BytesIO()
    document = BaseDocTemplate(
        out, pagesize=LETTER, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=DOCUMENT_TITLE, author="", subject="",
        creator="MedTrack Desktop", invariant=1)
    def frame(header: float) -> Frame:
        return Frame(MARGIN, MARGIN + FOOTER_BAND, CONTENT_WIDTH,
                     PAGE_HEIGHT - 2 * MARGIN - header - FOOTER_BAND, leftPadding=0,
                     rightPadding=0, topPadding=0, bottomPadding=0, id="content")

    # The first page's title names the clinic and the document; later pages carry a header.
    document.addPageTemplates([
        PageTemplate(id="first", frames=[frame(0)], autoNextPageTemplate="later"),
        PageTemplate(id="later", frames=[frame(HEADER_BAND)],
                     onPage=lambda canvas, _doc: _page(canvas, facts)),
    ])
    document.build(_story(facts, styles), canvasmaker=numbered_canvas(_Footer(facts).draw))
    return out.getvalue()


def _mark(facts: VisitSummaryFacts) -> str | None:
    """The watermark of a record that is not signed."""
    if facts.signed:
        return None
    return CANCELLED_MARK if facts.status == "cancelled" else DRAFT_MARK


def _page(canvas: Canvas, facts: VisitSummaryFacts) -> None:
    """The running header of the pages after the first."""
    canvas.saveState()
    top = PAGE_HEIGHT - MARGIN
    canvas.setFillColor(_MUTED)
    canvas.setFont(_FONT, 8.5)
    clinic = _fit(_single_line(facts.clinic_name), _FONT, 8.5, CONTENT_WIDTH * 0.6)
    canvas.drawString(MARGIN, top - 10, clinic)
    canvas.setFont(_FONT_BOLD, 8.5)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 10, "Visit summary")
    canvas.setStrokeColor(_RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, top - 16, PAGE_WIDTH - MARGIN, top - 16)
    canvas.restoreState()


class _Footer:
    """The footer of every page, drawn once the page count is known."""

    def __init__(self, facts: VisitSummaryFacts) -> None:
        self.patient = (f"{_single_line(facts.patient_name)} \u00b7 MRN "
                        f"{_single_line(facts.mrn)} \u00b7 DOB {_day(facts.date_of_birth)}")
        self.printed = f"Printed {_when(facts.printed_at)}"
        visit = f"Visit {_when(facts.starts_at)}"
        self.mark = _mark(facts)
        if self.mark is not None:
            self.status, self.warning = f"{visit} \u00b7 {self.mark}", True
        else:
            amended = ", amended" if facts.amended else ""
            self.status = (f"{visit} \u00b7 Electronically signed{amended} \u2014 signatures "
                           "on the last page")
            self.warning = False

    def draw(self, canvas: Canvas, number: int, total: int) -> None:
        canvas.saveState()
        if self.mark is not None:
            self._watermark(canvas, self.mark)
        bottom = MARGIN
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, bottom + FOOTER_BAND - 8, PAGE_WIDTH - MARGIN,
                    bottom + FOOTER_BAND - 8)
        page = f"Page {number} of {total}"
        canvas.setFont(_FONT_BOLD, 8.5)
        canvas.setFillColor(_INK)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom + 14, page)
        room = CONTENT_WIDTH - pdfmetrics.stringWidth(page, _FONT_BOLD, 8.5) - 16
        canvas.drawString(MARGIN, bottom + 14, _fit(self.patient, _FONT_BOLD, 8.5, room))
        canvas.setFont(_FONT, 8)
        canvas.setFillColor(_MUTED)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom + 3, self.printed)
        room = CONTENT_WIDTH - pdfmetrics.stringWidth(self.printed, _FONT, 8) - 16
        if self.warning:
            canvas.setFont(_FONT_BOLD, 8)
            canvas.setFillColor(_WARN_INK)
        canvas.drawString(MARGIN, bottom + 3,
                          _fit(self.status, _FONT_BOLD if self.warning else _FONT, 8, room))
        canvas.restoreState()

    @staticmethod
    def _watermark(canvas: Canvas, mark: str) -> None:
        """Across the page, over the content (shaded boxes would hide it underneath), faint
        enough to read the text through."""
        canvas.saveState()
        canvas.setFillColor(_WARN_INK)
        canvas.setFillAlpha(0.11)
        canvas.setFont(_FONT_BOLD, 54)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(52)
        canvas.drawCentredString(0, -18, mark)
        canvas.restoreState()


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (a footer line never runs off)."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle].rstrip() + "\u2026", font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "\u2026"


# -- the story --------------------------------------------------------------------------------


def _story(facts: VisitSummaryFacts, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [_title(facts, styles), Spacer(1, 8)]
    story += _status_banner(facts, styles)
    story += [_identity_block(facts, styles), Spacer(1, 6), _safety_block(facts, styles)]
    for title, text in facts.sections:
        story += _heading(title, styles["heading"])
        story += _text(text, styles, empty="Not documented.")
        if title == "Subjective":
            story += _review_of_systems(facts, styles)
        if title == "Objective":
            story += _vitals(facts.vitals, styles)
    story += _clinical_notes(facts, styles)
    story += _lists(facts, styles)
    story += _signature_block(facts, styles)
    return story


def _heading(text: str, style: ParagraphStyle, *, room: float = _SECTION_ROOM) -> list[Flowable]:
    """A heading that never ends a page: a new page when less than ``room`` is left.
    (``keepWithNext`` would move a heading and all of a long paragraph to the next page.)"""
    return [CondPageBreak(room), Paragraph(escape(text), style)]


def _title(facts: VisitSummaryFacts, styles: dict[str, ParagraphStyle]) -> Table:
    table = Table([[Paragraph("Visit summary", styles["title"]),
                    Paragraph(escape(_single_line(facts.clinic_name)), styles["clinic"])]],
                  colWidths=[CONTENT_WIDTH * 0.45, CONTENT_WIDTH * 0.55])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _box(paragraphs: list[Flowable], *, fill: colors.Color, border: colors.Color) -> Table:
    table = Table([[paragraphs]], colWidths=[CONTENT_WIDTH], splitInRow=1)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), fill),
                               ("BOX", (0, 0), (-1, -1), 1, border),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                               ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _status_banner(facts: VisitSummaryFacts, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Whether this is the signed record, said before anything else."""
    mark = _mark(facts)
    if mark is not None:
        warn = ParagraphStyle("warn", styles["banner"], textColor=_WARN_INK)
        lines: list[Flowable] = [Paragraph(mark, warn)]
        if facts.status == "cancelled":
            lines.append(Paragraph("This encounter was cancelled"
                                   + (f": {escape(_single_line(facts.cancelled_reason))}"
                                      if facts.cancelled_reason else "."), styles["body"]))
        else:
            lines.append(Paragraph("This note has not been signed. It may still change and "
                                   "is not part of the signed medical record.", styles["body"]))
        return [_box(lines, fill=_WARN_FILL, border=_WARN_INK), Spacer(1, 8)]
    if not facts.amended:
        return []
    amend = ParagraphStyle("amend", styles["banner"], textColor=_AMEND_INK)
    lines = [Paragraph(f"Amended \u2014 this prints amendment {facts.printed_version}, the "
                       "current signed version of the note", amend)]
    for sequence, reason in facts.amendment_reasons:
        lines.append(Paragraph(f"<b>Amendment {sequence}:</b> {_markup(_single_line(reason))}",
                               styles["body"]))
    return [_box(lines, fill=_AMEND_FILL, border=_AMEND_INK), Spacer(1, 8)]


def _field_rows(pairs: Iterable[tuple[str, str | None]],
                styles: dict[str, ParagraphStyle]) -> list[list[Flowable]]:
    return [[Paragraph(escape(label), styles["label"]),
             Paragraph(_markup(_single_line(value)), styles["cell"])]
            for label, value in pairs if value]


def _status_text(facts: VisitSummaryFacts) -> str:
    if facts.signed:
        return "Signed, amended" if facts.amended else "Signed"
    if facts.status == "cancelled":
        return "Cancelled \u2014 not signed"
    return "Draft \u2014 not signed"


def _identity_block(facts: VisitSummaryFacts, styles: dict[str, ParagraphStyle]) -> Table:
    """Patient on the left, the encounter on the right."""
    patient = _field_rows((("Patient", facts.patient_name),
                           ("Date of birth", _day(facts.date_of_birth)),
                           ("Sex", facts.sex), ("MRN", facts.mrn)), styles)
    visit = _field_rows((("Date", _when(facts.starts_at)), ("Type", facts.encounter_type),
                         ("Provider", facts.provider_name), ("Facility", facts.facility),
                         ("Specialty", facts.specialty), ("Reason", facts.reason),
                         ("Status", _status_text(facts))), styles)
    half = CONTENT_WIDTH / 2 - 14  # the outer cell's padding
    inner = TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                        ("TOPPADDING", (0, 0), (-1, -1), 1),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                        ("VALIGN", (0, 0), (-1, -1), "TOP")])
    left = Table(patient, colWidths=[0.95 * inch, half - 0.95 * inch], style=inner)
    right = Table(visit, colWidths=[0.75 * inch, half - 0.75 * inch], style=inner)
    outer = Table([[Paragraph("Patient", styles["subheading"]),
                    Paragraph("Encounter", styles["subheading"])], [left, right]],
                  colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, -1), _SHADE),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                               ("TOPPADDING", (0, 0), (-1, 0), 2),
                               ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
                               ("LINEAFTER", (0, 0), (0, -1), 0.6, _RULE)]))
    return outer


def _safety_block(facts: VisitSummaryFacts, styles: dict[str, ParagraphStyle]) -> Table:
    lines: list[Flowable] = [Paragraph(_markup(_single_line(facts.allergies)),
                                       styles["cell_bold"])]
    lines += [Paragraph(_markup(_single_line(alert)), styles["cell"]) for alert in facts.alerts]
    return _box(lines, fill=colors.white, border=_RULE)


def _text(text: str, styles: dict[str, ParagraphStyle], *, empty: str = "",
          style: str = "body") -> list[Flowable]:
    """Free text as one Paragraph per line, so a long note breaks between lines and flows on
    (a blank line keeps its space)."""
    cleaned = printable(text).strip("\n")
    if not cleaned.strip():
        return [Paragraph(escape(empty), styles["muted"])] if empty else []
    return [Paragraph(_markup(line), styles[style]) if line.strip() else Spacer(1, 6)
            for line in cleaned.split("\n")]


def _cell_text(text: str, style: ParagraphStyle) -> Paragraph:
    """Free text inside a table cell: one Paragraph, lines kept as breaks."""
    lines = printable(text).strip("\n").split("\n")
    return Paragraph("<br/>".join(_markup(line) for line in lines), style)


def _table_style(*, header: bool = True) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _SHADE))
    return TableStyle(commands)


def _review_of_systems(facts: VisitSummaryFacts,
                       styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    heading = _heading("Review of systems", styles["subheading"], room=_SUBSECTION_ROOM)
    if not facts.review_of_systems:
        return [*heading, Paragraph("Not documented.", styles["muted"])]
    rows: list[list[Flowable]] = [[Paragraph("System", styles["cell_bold"]),
                                   Paragraph("Finding", styles["cell_bold"]),
                                   Paragraph("Note", styles["cell_bold"])]]
    positive = ParagraphStyle("positive", styles["cell_bold"], textColor=_WARN_INK)
    for line in facts.review_of_systems:
        rows.append([Paragraph(escape(line.system), styles["cell"]),
                     Paragraph(escape(line.finding) or "\u2014",
                               positive if line.finding == "Positive" else styles["cell"]),
                     _cell_text(line.note, styles["cell"])])
    table = Table(rows, colWidths=[1.7 * inch, 0.85 * inch, CONTENT_WIDTH - 2.55 * inch],
                  repeatRows=1, splitInRow=1)
    table.setStyle(_table_style())
    return [*heading, table]


def _vitals(vitals: tuple[PrintedVitals, ...],
            styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The encounter's sets side by side, a row per measure taken in any of them."""
    heading = _heading("Vital signs", styles["subheading"], room=_SUBSECTION_ROOM)
    if not vitals:
        return [*heading, Paragraph("None taken in this encounter.", styles["muted"])]
    flowables: list[Flowable] = heading
    for start in range(0, len(vitals), VITALS_PER_TABLE):
        sets = vitals[start:start + VITALS_PER_TABLE]
        labels: list[str] = []
        for taken in sets:
            labels += [label for label, _text in taken.values if label not in labels]
        rows: list[list[Flowable]] = [[Paragraph("Taken", styles["cell_bold"])] + [
            Paragraph(escape(_when(taken.taken_at)), styles["cell_bold"]) for taken in sets]]
        for label in labels:
            rows.append([Paragraph(escape(label), styles["cell"])] + [
                Paragraph(escape(dict(taken.values).get(label, "\u2014")), styles["cell"])
                for taken in sets])
        if any(taken.note for taken in sets):
            rows.append([Paragraph("Note", styles["cell"])]
                        + [_cell_text(taken.note, styles["cell"]) for taken in sets])
        label_width = 1.5 * inch
        column = (CONTENT_WIDTH - label_width) / VITALS_PER_TABLE
        table = Table(rows, colWidths=[label_width] + [column] * len(sets), repeatRows=1,
                      splitInRow=1, hAlign="LEFT")
        table.setStyle(_table_style())
        flowables += [table, Spacer(1, 4)]
    return flowables


def _clinical_notes(facts: VisitSummaryFacts,
                    styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if not facts.clinical_notes:
        return []
    flowables = _heading("Other notes of this encounter", styles["heading"])
    for note in facts.clinical_notes:
        by = f" \u00b7 {escape(_single_line(note.author))}" if note.author else ""
        flowables += [CondPageBreak(_SUBSECTION_ROOM), Paragraph(
            f"{escape(note.kind)} \u2014 {_markup(_single_line(note.title))}"
            f"<font name='{_FONT}' color='#5b6b73'> \u00b7 {escape(_when(note.written_at))}"
            f"{by}</font>", styles["subheading"])]
        flowables += _text(note.body, styles, empty="(no text)")
    return flowables


def _lists(facts: VisitSummaryFacts, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Problems and medications, as the chart lists them when printed."""
    flowables = [
        *_heading("Problems and medications", styles["heading"]),
        Paragraph(f"As the chart lists them on {_day(facts.printed_at.date())}, when this "
                  "summary was printed.", styles["label"])]
    for title, items in (("Active problems", facts.problems),
                         ("Active medications", facts.medications)):
        flowables += _heading(title, styles["subheading"], room=_SUBSECTION_ROOM)
        if not items:
            flowables.append(Paragraph("None recorded.", styles["muted"]))
        flowables += [Paragraph(f"\u2022 {_markup(_single_line(item))}", styles["body"])
                      for item in items]
    return flowables


def signature_text(signature: PrintedSignature) -> str:
    """The printed line of one signature (plain text)."""
    return (f"Electronically signed by {signature.printed_name} ({signature.meaning_text}) "
            f"on {_when(signature.signed_at)} \u2014 SHA-256 {signature.content_sha256}")


def _version_lines(version: SignedVersion,
                   styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    title = escape(version.title)
    if version.reason:
        title += f" \u2014 {_markup(_single_line(version.reason))}"
    lines: list[Flowable] = [Paragraph(title, styles["subheading"])]
    lines += [Paragraph(_markup(_single_line(signature_text(signature))), styles["signature"])
              for signature in version.signatures]
    return lines


def _signature_block(facts: VisitSummaryFacts,
                     styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    heading = Paragraph("Signatures", styles["heading"])
    mark = _mark(facts)
    if mark is not None:
        warn = ParagraphStyle("warn_sig", styles["banner"], textColor=_WARN_INK)
        return [KeepTogether([heading,
                _box([Paragraph(mark, warn),
                      Paragraph("No electronic signature: this is not the signed record.",
                                styles["body"])], fill=_WARN_FILL, border=_WARN_INK)])]
    lines: list[Flowable] = []
    for version in facts.signed_versions:
        lines += _version_lines(version, styles)
    lines.append(Spacer(1, 3))
    lines.append(Paragraph("The SHA-256 is the fingerprint of the signed content; "
                           "\u201cVerify\u201d in the chart checks the record against it.",
                           styles["label"]))
    return [KeepTogether([heading, _box(lines, fill=_SIGNED_FILL, border=_RULE)])]

