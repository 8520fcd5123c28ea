"""A provider's day schedule as PDF (US Letter), from ``domain.scheduling.calendar.DaySchedule``:
a header with the clinic, the provider and the day, then one table row per appointment
(time, patient, MRN, category, reason, status), and "Page N of M" with the print time on
every page, so a loose page still says whose day it is.

Text prints as typed (escaped for Paragraph markup, control characters dropped; see
``visit_summary.printable``). Output is deterministic (reportlab's invariant mode) and the
PDF's metadata carries no PHI.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from medtrack_desktop.domain.scheduling.calendar import DaySchedule
from medtrack_desktop.printing.numbered_pages import Footer, numbered_canvas
from medtrack_desktop.printing.visit_summary import printable

DOCUMENT_TITLE = "Day schedule"  # the PDF's metadata: never a name
MARGIN = 0.6 * inch
PAGE_WIDTH, PAGE_HEIGHT = LETTER
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# The faces ``printable`` registers (DejaVu Sans Condensed, bundled).
_FONT, _FONT_BOLD = "MedTrackSans", "MedTrackSans-Bold"
_INK = colors.HexColor("#1d2a30")
_MUTED = colors.HexColor("#5b6b73")
_RULE = colors.HexColor("#9fb0b8")
_SHADE = colors.HexColor("#eef3f5")
_ACCENT = colors.HexColor("#0f5e7a")
_COLUMNS = (("Time", 1.0), ("Patient", 1.75), ("MRN", 0.95), ("Category", 1.1),
            ("Reason", 1.6), ("Status", 0.9))


def _text(value: str) -> str:
    return escape(" ".join(printable(value).split()))


def _styles() -> dict[str, ParagraphStyle]:
    printable("")  # registers the fonts
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=12, textColor=_INK)
    return {
        "body": body,
        "bold": ParagraphStyle("bold", body, fontName=_FONT_BOLD),
        "title": ParagraphStyle("title", body, fontName=_FONT_BOLD, fontSize=16, leading=20,
                                textColor=_ACCENT),
        "sub": ParagraphStyle("sub", body, fontSize=11, leading=14),
        "muted": ParagraphStyle("muted", body, textColor=_MUTED),
    }


def _header(schedule: DaySchedule, styles: dict[str, ParagraphStyle]) -> list[Any]:
    day = f"{schedule.day:%A}, {schedule.day:%B} {schedule.day.day}, {schedule.day.year}"
    return [
        Paragraph(_text(schedule.clinic_name), styles["muted"]),
        Paragraph(f"Day schedule \u2014 {_text(schedule.provider_name)}", styles["title"]),
        Paragraph(escape(day), styles["sub"]),
        Spacer(1, 10),
    ]


def _table(schedule: DaySchedule, styles: dict[str, ParagraphStyle]) -> Table:
    rows: list[list[Any]] = [[Paragraph(name, styles["bold"]) for name, _width in _COLUMNS]]
    for line in schedule.lines:
        rows.append([
            Paragraph(f"{line.starts_at:%H:%M}\u2013{line.ends_at:%H:%M}", styles["body"]),
            Paragraph(_text(line.patient_name), styles["bold"]),
            Paragraph(_text(line.mrn), styles["body"]),
            Paragraph(_text(line.category), styles["body"]),
            Paragraph(_text(line.reason), styles["body"]),
            Paragraph(_text(line.status), styles["body"]),
        ])
    total = sum(width for _name, width in _COLUMNS)
    table = Table(rows, colWidths=[CONTENT_WIDTH * width / total for _name, width in _COLUMNS],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _footer(schedule: DaySchedule) -> Footer:
    """Each page's footer: provider, day, when printed, page N of M."""

    def draw(canvas: Canvas, number: int, total: int) -> None:
        canvas.saveState()
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, MARGIN - 6, PAGE_WIDTH - MARGIN, MARGIN - 6)
        canvas.setFont(_FONT, 8)
        canvas.setFillColor(_MUTED)
        who = " ".join(printable(f"{schedule.provider_name} \u00b7 {schedule.day.isoformat()}"
                                 f" \u00b7 printed {schedule.printed_at:%Y-%m-%d %H:%M}")
                       .split())
        canvas.drawString(MARGIN, MARGIN - 18, who)
        canvas.setFont(_FONT_BOLD, 8)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 18, f"Page {number} of {total}")
        canvas.restoreState()

    return draw


def day_schedule_pdf(schedule: DaySchedule) -> bytes:
    """The provider's day as PDF bytes."""
    styles = _styles()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=LETTER, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + 12, title=DOCUMENT_TITLE, author="", subject="",
        creator="MedTrack Desktop", invariant=1)
    story: list[Any] = _header(schedule, styles)
    if schedule.lines:
        story.append(_table(schedule, styles))
        count = len(schedule.lines)
        story += [Spacer(1, 8), Paragraph(
            f"{count} appointment{'' if count == 1 else 's'}", styles["muted"])]
    else:
        story.append(Paragraph("No appointments this day.", styles["muted"]))
    document.build(story, canvasmaker=numbered_canvas(_footer(schedule)))
    return out.getvalue()
