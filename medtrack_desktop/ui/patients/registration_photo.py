"""The patient's photo: read a chosen picture, scale it down, show it small.

A camera picture is several megabytes and carries metadata (where it was taken). Every photo
is therefore decoded (upright, as the camera's orientation tag says), scaled to fit
``STORED_SIDE`` pixels, flattened onto white and stored as a JPEG: a few dozen kilobytes,
well under the registry's 2 MB limit, and nothing but the picture. Decoding runs on the task
runner (``QImage`` works off the GUI thread; ``QPixmap`` does not).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter
from PySide6.QtWidgets import QFileDialog, QWidget

STORED_SIDE = 800
JPEG_QUALITY = 85
MAX_FILE_BYTES = 30 * 1024 * 1024
_FORMATS = (b"png", b"jpeg")


def choose_photo_file(parent: QWidget) -> Path | None:
    name, _filter = QFileDialog.getOpenFileName(
        parent, "Choose a photo", str(Path.home()), "Pictures (*.png *.jpg *.jpeg)")
    return Path(name) if name else None


def prepare_photo(path: Path) -> bytes:
    """The JPEG to store for the picture at ``path``; ValueError (naming the field) when it
    is not a PNG or JPEG picture that can be read."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError("Photo: this file is too large; choose a picture under 30 MB.")
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    if reader.format() not in _FORMATS:
        raise ValueError("Photo: a PNG or JPEG picture is needed.")
    image = reader.read()
    if image.isNull():
        raise ValueError("Photo: the picture could not be read; choose another file.")
    if max(image.width(), image.height()) > STORED_SIDE:
        image = image.scaled(STORED_SIDE, STORED_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    flat = QImage(image.size(), QImage.Format.Format_RGB32)
    flat.fill(QColor("white"))
    painter = QPainter(flat)
    painter.drawImage(0, 0, image)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    flat.save(buffer, "JPEG", JPEG_QUALITY)
    buffer.close()
    return data.data()

