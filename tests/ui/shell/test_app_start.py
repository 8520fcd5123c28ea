"""``medtrack-desktop --demo`` as a real process: first run builds the demo, later runs reuse it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from medtrack_desktop.store.engine import SQLITE_PLAINTEXT_HEADER, Store


def test_demo_is_created_once_then_reused(tmp_path: Path) -> None:
    key = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACK_")}
    env.update(MEDTRACK_DATA_DIR=str(tmp_path), MEDTRACK_DB_KEY=key,
               MEDTRACK_CONFIG=str(tmp_path / "absent.toml"), QT_QPA_PLATFORM="offscreen")
    command = [sys.executable, "-m", "medtrack_desktop", "--demo", "--exit-when-ready"]

    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180,
                           check=False)
    assert first.returncode == 0, first.stderr
    demo = tmp_path / "demo" / "medtrack-demo.db"
    assert demo.exists()
    assert not demo.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)
    assert not list(tmp_path.glob("demo/*.building*")), "no half-built demo left behind"
    clinic_after_first_run = _clinic_id(demo, key)

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert second.returncode == 0, second.stderr
    assert _clinic_id(demo, key) == clinic_after_first_run, "the demo was built again"
    assert _count(demo, key, "patients") >= 200
    assert _count(demo, key, "users") == 7


def _scalar(path: Path, key: str, sql: str) -> object:
    store = Store.open(path, bytes.fromhex(key))
    try:
        with store.read_session() as session:
            return session.connection().exec_driver_sql(sql).scalar()
    finally:
        store.close()


def _clinic_id(path: Path, key: str) -> object:
    return _scalar(path, key, "SELECT id FROM clinics")


def _count(path: Path, key: str, table: str) -> object:
    return _scalar(path, key, f"SELECT count(*) FROM {table}")
