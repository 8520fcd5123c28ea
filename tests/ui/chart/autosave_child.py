"""Run as a separate process by test_autosave_kill.py: a physician's encounter editor over the
database at argv[1] (key in MEDTRACK_DB_KEY) types into the open encounter argv[2]; prints
SAVED once the editor says the note is saved, then keeps typing until it is killed."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from medtrack_desktop.config import Settings
from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import parse_hex_key
from medtrack_desktop.ui.chart.encounter_editor import EncounterEditor
from medtrack_desktop.ui.context import AppContext, DatabaseStatus
from medtrack_desktop.ui.shell.patient_opening import PatientOpener
from medtrack_desktop.ui.tasks import TaskRunner
from medtrack_desktop.ui.workspace import Workspace

TYPED = "Chest pain on exertion for three days, relieved by rest."


def main() -> None:
    path, encounter_id = Path(sys.argv[1]), uuid.UUID(sys.argv[2])
    app = QApplication([])
    store = Store.open(path, parse_hex_key(os.environ["MEDTRACK_DB_KEY"]))
    with store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        actor = authenticate(session, seat=seat, username="physician",
                             password=DEMO_PASSWORD).actor
    assert actor is not None
    context = AppContext(
        settings=Settings(data_dir=path.parent, db_path=path, backup_dir=path.parent,
                          demo=False),
        store=store, seat=seat, tasks=TaskRunner(),
        database=DatabaseStatus(cipher_version="4", schema_revision="head", key_source="env"))
    opener = PatientOpener(store=store, actor=actor, tasks=context.tasks, parent=None)
    editor = EncounterEditor(context, actor, Workspace(opener))
    editor.view.show()
    area = editor.view.sections["subjective"]
    state = {"announced": False}

    def tick() -> None:
        if editor.detail is None:
            return
        if not area.toPlainText():
            area.setPlainText(TYPED)  # as typed: textChanged starts the autosave timer
        elif editor.view.saved.text() == "Saved" and not state["announced"]:
            state["announced"] = True
            print("SAVED", flush=True)
        elif state["announced"]:
            area.insertPlainText(" more")  # typing on, until the kill

    editor.open(encounter_id)
    timer = QTimer(interval=100)
    timer.timeout.connect(tick)
    timer.start()
    app.exec()


if __name__ == "__main__":
    main()
