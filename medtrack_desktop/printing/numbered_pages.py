"""A reportlab canvas that knows the page count when it draws each page's footer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.pdfgen.canvas import Canvas

Footer = Callable[[Canvas, int, int], None]  # (canvas, page number, page count)


class NumberedCanvas(Canvas):
    """Holds each finished page until the document ends, then draws every page's footer with
    its number and the count ("Page N of M") and writes the pages. Pass it to
    ``doc.build(..., canvasmaker=numbered_canvas(footer))``."""

    def __init__(self, *args: Any, footer: Footer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # a reportlab override: camelCase
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def numbered_canvas(footer: Footer) -> Callable[..., NumberedCanvas]:
    """The ``canvasmaker`` of a document whose pages get ``footer``."""
    return lambda *args, **kwargs: NumberedCanvas(*args, footer=footer, **kwargs)
