"""Patient labels read back: text with pypdf, pages rendered by pdfium, barcodes by zxing-cpp."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL.Image import Image
from pypdf import PdfReader

from medtrack_desktop.printing.labels import (
    DOCUMENT_TITLE,
    LABELS_PER_SHEET,
    SHEET_COLUMNS,
    SHEET_LEFT_MARGIN,
    SHEET_PITCH_X,
    SHEET_PITCH_Y,
    SHEET_TOP_MARGIN,
    PatientLabel,
    avery_5160_sheet,
    thermal_labels,
)

NAMES = (
    "García-Márquez de la Torre, María José",
    "Nguyễn, Thị Ánh",
    "O'Brien-Smythe, Siobhán",
    "Müller, Jürgen",
    "Đặng, Văn Hùng",
    "Lee, Al",
)
SEXES = ("female", "male", "other", "unknown")
LABEL_WIDTH, LABEL_HEIGHT = 189.0, 72.0


def _labels(count: int) -> list[PatientLabel]:
    return [PatientLabel(name=NAMES[i % len(NAMES)], date_of_birth=date(1970, 3, 4 + i % 20),
                         sex=SEXES[i % len(SEXES)], mrn=f"{10_000_000 + i * 10 + 2}")
            for i in range(count)]


def _pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(page.mediabox.width), float(page.mediabox.height))
            for page in PdfReader(io.BytesIO(pdf)).pages]


def _render(pdf: bytes, dpi: float) -> list[Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def _decode(image: Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.Code128)]


def _sheet_cells(image: Image, dpi: float) -> list[Image]:
    """The 30 Avery 5160 label areas of a rendered sheet, in position order."""
    scale = dpi / 72
    cells = []
    for position in range(LABELS_PER_SHEET):
        row, column = divmod(position, SHEET_COLUMNS)
        left = SHEET_LEFT_MARGIN + column * SHEET_PITCH_X
        top = SHEET_TOP_MARGIN + row * SHEET_PITCH_Y
        cells.append(image.crop((round(left * scale), round(top * scale),
                                 round((left + LABEL_WIDTH) * scale),
                                 round((top + LABEL_HEIGHT) * scale))))
    return cells


def test_sheet_prints_every_label_on_letter_paper() -> None:
    labels = _labels(30)
    pdf = avery_5160_sheet(labels)
    assert _page_sizes(pdf) == [(612.0, 792.0)]
    (text,) = _pages_text(pdf)
    for label in labels:
        assert label.name in text
        assert f"MRN {label.mrn}" in text
    assert "DOB 03/04/1970  Sex F" in text
    assert "DOB 03/05/1970  Sex M" in text
    assert "Sex O" in text and "Sex U" in text


def test_each_label_sits_in_its_avery_cell_and_its_barcode_decodes_to_its_mrn() -> None:
    labels = _labels(30)
    (page,) = _render(avery_5160_sheet(labels), dpi=300)
    assert [_decode(cell) for cell in _sheet_cells(page, dpi=300)] == [
        [label.mrn] for label in labels]


def test_start_position_skips_used_labels_and_the_rest_flows_onto_the_next_sheet() -> None:
    labels = _labels(5)
    pdf = avery_5160_sheet(labels, start_position=28)
    assert _page_sizes(pdf) == [(612.0, 792.0)] * 2
    first, second = (_sheet_cells(page, dpi=200) for page in _render(pdf, dpi=200))
    assert [_decode(cell) for cell in first] == [[]] * 27 + [[label.mrn] for label in labels[:3]]
    assert [_decode(cell) for cell in second] == (
        [[label.mrn] for label in labels[3:]] + [[]] * 28)


def test_more_labels_than_a_sheet_make_more_pages() -> None:
    pdf = avery_5160_sheet(_labels(61))
    texts = _pages_text(pdf)
    assert len(texts) == 3
    assert [text.count("MRN ") for text in texts] == [30, 30, 1]


@pytest.mark.parametrize("position", [0, 31, -1])
def test_start_position_outside_the_sheet_is_refused(position: int) -> None:
    with pytest.raises(ValueError, match="start position must be between 1 and 30"):
        avery_5160_sheet(_labels(1), start_position=position)


def test_no_labels_is_refused() -> None:
    with pytest.raises(ValueError, match="no labels"):
        avery_5160_sheet([])
    with pytest.raises(ValueError, match="no labels"):
        thermal_labels([])


def test_thermal_prints_one_small_page_per_label_and_each_barcode_decodes() -> None:
    labels = _labels(3)
    pdf = thermal_labels(labels)
    assert _page_sizes(pdf) == [(162.0, 90.0)] * 3
    for label, text in zip(labels, _pages_text(pdf), strict=True):
        assert label.name in text and f"MRN {label.mrn}" in text
    # 203 dpi: what a thermal label printer puts on paper.
    assert [_decode(page) for page in _render(pdf, dpi=203)] == [[label.mrn] for label in labels]


def test_long_names_shrink_then_end_in_an_ellipsis() -> None:
    long_name = "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh, Hubert Blaine Charles"
    pdf = avery_5160_sheet([PatientLabel(long_name, date(1970, 3, 4), "male", "10000012")])
    (text,) = _pages_text(pdf)
    printed = next(line for line in text.splitlines() if line.startswith("Wolfe"))
    assert printed.endswith("…") and long_name.startswith(printed[:-1])


def test_output_is_deterministic_unscaled_and_its_metadata_carries_no_phi() -> None:
    labels = _labels(4)
    pdf = avery_5160_sheet(labels)
    assert pdf == avery_5160_sheet(labels)
    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.metadata
    assert metadata is not None and metadata.title == DOCUMENT_TITLE
    values = " ".join(str(value) for value in metadata.values())
    assert not any(label.mrn in values or "Nguy" in values for label in labels)
    # Printed from a PDF viewer, the sheet must not be scaled off the die cuts.
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/PrintScaling"] == "/None"


@pytest.mark.parametrize("mrn", ["", "1000\u00e9", "10\n00"])
def test_an_mrn_code_128_cannot_carry_is_refused(mrn: str) -> None:
    with pytest.raises(ValueError, match="Code 128"):
        PatientLabel("Lee, Al", date(1970, 3, 4), "male", mrn)


def test_an_unknown_sex_is_refused() -> None:
    with pytest.raises(ValueError, match="sex must be one of"):
        PatientLabel("Lee, Al", date(1970, 3, 4), "F", "10000012")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=400))
@example(name="W" * 5000)
@example(name="")
@example(name=" \t\n\u200b\u200f ")
@example(name="😀👨‍👩‍👧 Family, 🎉")
@example(name="שלום, עולם")
@example(name="مرحبا، أحمد")
@example(name="王, 小明 𠮷")
@example(name="e\u0301" * 300)
def test_hostile_names_still_print(name: str) -> None:
    label = PatientLabel(name, date(1, 1, 1), "unknown", "10000012")
    for pdf, size in ((avery_5160_sheet([label]), (612.0, 792.0)),
                      (thermal_labels([label]), (162.0, 90.0))):
        assert _page_sizes(pdf) == [size]
        assert "MRN 10000012" in _pages_text(pdf)[0]


def test_hostile_name_does_not_cost_the_barcode() -> None:
    label = PatientLabel("😀 " + "Ø" * 3000 + " שלום", date(1, 1, 1), "other", "10000012")
    assert [_decode(page) for page in _render(thermal_labels([label]), dpi=203)] == [
        ["10000012"]]


def test_labels_import_without_qt() -> None:
    """Labels are built headless (a print server, a batch job): no Qt below ui/."""
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'PySide6':\n"
        "            raise ImportError('no Qt below ui/')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import medtrack_desktop.printing.labels\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
