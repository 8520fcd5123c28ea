"""Nothing typed is lost when the app is killed: an editor in another process autosaves a
note, is killed with SIGKILL mid-typing, and the note is read back from the encrypted file."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from demo_users import sign_in
from sqlalchemy import select

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.encounters import EncounterInput, encounter, start_encounter
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import Store

CHILD = Path(__file__).with_name("autosave_child.py")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_note_autosaved_survives_the_app_being_killed(
    demo_db: tuple[Path, bytes], demo_store: Store
) -> None:
    from autosave_child import TYPED

    physician = sign_in(demo_store, "physician")
    with demo_store.read_session() as session:
        patient_id = session.scalars(select(Patient.id).order_by(Patient.mrn)).first()
    visit = perform(demo_store, physician, start_encounter, patient_id=patient_id,
                    entered=EncounterInput(encounter_type="office", reason="Chest pain",
                                           starts_at=datetime.now(UTC)))
    demo_store.close()
    path, key = demo_db
    environment = {**os.environ, "MEDTRACK_DB_KEY": key.hex(), "QT_QPA_PLATFORM": "offscreen",
                   "PYTHONPATH": os.pathsep.join([str(CHILD.parent), *sys.path])}
    child = subprocess.Popen([sys.executable, str(CHILD), str(path), str(visit.id)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=environment)
    try:
        assert child.stdout is not None
        with selectors.DefaultSelector() as waiting:
            waiting.register(child.stdout, selectors.EVENT_READ)
            ready = waiting.select(timeout=60)
        line = child.stdout.readline() if ready else ""
        assert line.strip() == "SAVED", "the editor never said the note was saved"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    reopened = Store.open(path, key)
    try:
        with reopened.session() as session:
            assert session.connection().exec_driver_sql(
                "PRAGMA integrity_check").scalar() == "ok"
            saved = encounter(session, physician, encounter_id=visit.id)
    finally:
        reopened.close()
    assert saved.note.subjective.startswith(TYPED) and saved.status == "in_progress"
