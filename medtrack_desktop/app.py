"""Composition root: settings -> key store -> task runner -> shell (which opens the store).

Builds the QApplication, applies the style, and hands each part only what it needs.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from medtrack_desktop import __version__
from medtrack_desktop.config import APP_NAME, ConfigError, load_settings
from medtrack_desktop.paths import resource
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.ui.icons import app_icon
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="medtrack-desktop", description="MedTrack Desktop")
    parser.add_argument("--demo", action="store_true",
                        help="open the demo clinic (created on first run)")
    parser.add_argument("--db", type=Path, metavar="PATH", help="the workstation database file")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # For the cold-start benchmark: exit as soon as the sign-in window is on screen.
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


READY_LINE = "medtrack-desktop: sign-in window shown"


def _announce_ready_and_quit(app: QApplication) -> None:
    """``--exit-when-ready``: runs on the event loop's first turn after the sign-in window was
    shown. ``READY_LINE`` on stdout tells the cold-start benchmark that moment; then the app
    quits the way a user's Quit does (background work it started finishes first)."""
    sys.stdout.write(READY_LINE + "\n")
    sys.stdout.flush()
    app.quit()


def build_application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("MedTrack")
    app.setDesktopFileName("medtrack-desktop")
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    return app


def install_excepthook(app: QApplication) -> None:
    """A last safety net: an unexpected error is logged without its message (which could quote
    patient data), the user is told plainly, and a start-up that cannot go on exits."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        frames = " <- ".join(
            f"{Path(frame.filename).name}:{frame.lineno}"
            for frame in reversed(traceback.extract_tb(trace))
        )
        log.error("unexpected %s at %s", kind.__name__, frames)
        QMessageBox.critical(
            None, APP_NAME,
            f"Something went wrong ({kind.__name__}). Saved work is safe. If this keeps "
            "happening, tell your administrator the time it happened.",
        )
        if not any(widget.isVisible() for widget in app.topLevelWidgets()):
            app.exit(1)

    sys.excepthook = hook


def run(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = build_application([sys.argv[0]])
    install_excepthook(app)
    try:
        settings = load_settings(demo=args.demo, db_path=args.db)
    except ConfigError as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    tasks = TaskRunner()
    controller = ShellController(
        settings=settings,
        keys=KeyStore(),
        tasks=tasks,
        on_login_shown=(
            (lambda: QTimer.singleShot(0, lambda: _announce_ready_and_quit(app)))
            if args.exit_when_ready else None
        ),
    )
    controller.sig_finished.connect(app.exit)
    QTimer.singleShot(0, controller.start)
    code = app.exec()
    tasks.wait(10_000)
    return controller.exit_code or code
