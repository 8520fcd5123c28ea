"""Background sync in the window: the signed-in session's ``SyncRunner``, its statuses carried to
the GUI thread, and the status bar's words for them.

The runner calls back on its own thread; ``BackgroundSync`` re-emits each status through a
queued signal so that only the GUI thread touches a widget. ``sig_received`` fires when a
round brought another workstation's changes, so the window can tell its views (the typed
``Changed`` notice every view already listens to).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget
from sqlalchemy import Engine

from medtrack_desktop.sync.background import (
    UNREACHABLE,
    ServerFactory,
    SyncRunner,
    SyncStatus,
    Timing,
)

_SHORT_REASON = 60


class BackgroundSync(QObject):
    """``sig_status(SyncStatus)`` after every round and at start, on the GUI thread;
    ``sig_received()`` when a round pulled changes made elsewhere."""

    sig_status = Signal(object)
    sig_received = Signal()
    _sig_from_worker = Signal(object)

    def __init__(self, local: Engine, server: ServerFactory, *, timing: Timing | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sig_from_worker.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.runner = SyncRunner(local, server, on_status=self._sig_from_worker.emit,
                                 timing=timing)
        self.status: SyncStatus | None = None

    def start(self) -> None:
        self.runner.start()

    def request(self) -> None:
        """Sync now (the user asked)."""
        self.runner.request()

    def stop(self) -> None:
        """Ends the runner's threads (a round in flight is left to end on its own: it loses
        nothing) and drops statuses still on their way."""
        self._sig_from_worker.disconnect(self._deliver)
        self.runner.stop()

    def _deliver(self, status: SyncStatus) -> None:
        self.status = status
        self.sig_status.emit(status)
        if status.received:
            self.sig_received.emit()


def describe(status: SyncStatus | None, zone: tzinfo) -> tuple[str, str]:
    """The status bar's text and tooltip for ``status`` (times in ``zone``); no PHI in
    either: counts, times and our own messages."""
    if status is None or status.state == "not_configured":
        detail = status.last_error if status is not None and status.last_error else \
            "This workstation has no clinic server set up; changes stay on it."
        return "Not connected", detail
    counts = []
    if status.pending:
        counts.append(f"{status.pending} pending")
    if status.conflicts:
        counts.append(f"{status.conflicts} conflict{'s' if status.conflicts != 1 else ''}")
    last = _when(status.last_success_at, zone)
    tooltip = [f"Last successful sync: {last or 'never'}",
               f"Changes waiting to be sent: {status.pending}",
               f"Conflicts waiting for review: {status.conflicts}"]
    if status.state == "online":
        head = f"Online · synced {last}" if last else "Online"
    elif status.state == "syncing":
        head = "Syncing…"
    elif status.state == "refused":
        reason = status.last_error or "the server refused"
        short = reason if len(reason) <= _SHORT_REASON else reason[:_SHORT_REASON - 1] + "…"
        head = f"Refused: {short}"
    elif status.last_error in (None, UNREACHABLE):
        head = "Offline — retrying"
    else:
        head = "Sync error — retrying"
    if status.state in ("offline", "refused") and status.last_error:
        tooltip.insert(0, status.last_error)
    if status.retry_in is not None and status.state in ("offline", "refused"):
        tooltip.append(f"Next attempt in {status.retry_in:.0f} s (F9 tries now)")
    return " · ".join([head, *counts]), "\n".join(tooltip)


def _when(moment: datetime | None, zone: tzinfo) -> str | None:
    return moment.astimezone(zone).strftime("%H:%M") if moment is not None else None


class SyncStatusLabel(QLabel):
    """The status bar's sync field."""

    def __init__(self, zone: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.setObjectName("syncStatus")
        self.setAccessibleName("Sync status")
        self.show_status(None)

    def show_status(self, status: SyncStatus | None) -> None:
        text, tooltip = describe(status, self.zone)
        self.setText(f"Sync: {text}")
        self.setToolTip(tooltip)
        self.setAccessibleDescription(tooltip)
