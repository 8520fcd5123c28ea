"""Cold start: a fresh ``medtrack-desktop --demo`` process, from spawn until the sign-in window.

The app's hidden ``--exit-when-ready`` flag writes ``READY_LINE`` on stdout on the event loop's
first turn after the sign-in window was shown, then quits as a user's Quit does. The time from
spawn to that line (interpreter start, imports, Qt, key, opening and checking the encrypted
database, the window) is what a clinician waits for, and what the target is on (``p50_ms``).
The process's whole life, with the work the app does after the window shows and its exit, is
reported beside it (``exit_p50_ms``): work moved behind the window still shows there.

"Cold" means a new process; the operating system's file cache is warm (the demo database is built
once beforehand and that first run is not counted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from benchmarks.common import Result, Scenario, latency, note, now_ms, stopwatch

TARGET_P50_MS = 1500.0
# medtrack_desktop.app.READY_LINE (a test holds them equal), not imported: that would load Qt
# and the whole app into the benchmark's own process.
READY_LINE = "medtrack-desktop: sign-in window shown"
APP_COMMAND = (sys.executable, "-m", "medtrack_desktop", "--demo", "--exit-when-ready")
# A fixed raw key given through MEDTRACK_DB_KEY: no passphrase derivation in the measured runs.
FIXED_KEY_HEX = "6d6564747261636b" * 4  # 64 hex digits, "medtrack" x 4
NO_KEYRING = "keyring.backends.fail.Keyring"
KEYFILE_RUNS_MAX = 3
RUN_TIMEOUT_S = 120.0  # a start-up error shows a modal box, which offscreen waits on forever
DEMO_TODAY = date(2026, 1, 15)


class ColdStartFailed(RuntimeError):
    """The app did not start and exit cleanly."""


@dataclass(frozen=True)
class Run:
    ready_ms: float  # spawn -> the sign-in window shown (READY_LINE read)
    exit_ms: float  # spawn -> the process ended


def _python_environment(pycache: Path) -> dict[str, str]:
    """The caller's environment with a bytecode cache, as an installed app has.

    ``pip install`` and the packaged app ship compiled bytecode; a checkout run with
    ``PYTHONDONTWRITEBYTECODE`` (as some CI images set) would compile every module of the project
    on every start instead. The cache lives under our temp dir (``PYTHONPYCACHEPREFIX``), is
    filled by the uncounted first run, and never writes into the source tree.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _app_environment(data_dir: Path, pycache: Path, *, key_hex: str | None) -> dict[str, str]:
    """The app's environment: offscreen Qt, our data dir, no user config; a key or none."""
    env = _python_environment(pycache)
    for name in ("MEDTRACK_DB_KEY", "MEDTRACK_DB", "MEDTRACK_BACKUP_DIR"):
        env.pop(name, None)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        MEDTRACK_DATA_DIR=str(data_dir),
        MEDTRACK_CONFIG=str(data_dir / "no-config.toml"),  # never read the user's settings
    )
    if key_hex is None:
        # Force the key-file path (and never touch a real keyring on a developer's desktop).
        env["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
    else:
        env["MEDTRACK_DB_KEY"] = key_hex
    return env


def _spawn(command: tuple[str, ...], env: Mapping[str, str]) -> Run:
    """Run ``command`` (the app with ``--exit-when-ready``) to completion; when its ready line
    came and when it ended. A failure raises with stderr's tail."""
    with tempfile.TemporaryFile() as stderr:
        start = now_ms()
        process = subprocess.Popen(
            command, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=stderr,
        )
        # A start-up error shows a modal box, which offscreen waits on forever.
        timer = threading.Timer(RUN_TIMEOUT_S, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            ready_ms = None
            for line in process.stdout:
                if ready_ms is None and line.decode("utf-8", "replace").strip() == READY_LINE:
                    ready_ms = now_ms() - start
            code = process.wait()
            exit_ms = now_ms() - start
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        if exit_ms >= RUN_TIMEOUT_S * 1000:
            raise ColdStartFailed(
                f"{' '.join(command[1:])} did not exit within {RUN_TIMEOUT_S:.0f} s (an error box "
                "waiting offscreen?)"
            )
        if code != 0 or ready_ms is None:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            what = f"exited with {code}" if code != 0 else "never reported its window shown"
            raise ColdStartFailed(f"{' '.join(command[1:])} {what}: " + " | ".join(tail))
    return Run(ready_ms=ready_ms, exit_ms=exit_ms)


def _spawn_plain(command: tuple[str, ...], env: Mapping[str, str]) -> float:
    """Wall time of a command that is not the app (the interpreter's floor), in ms."""
    with stopwatch() as elapsed:
        subprocess.run(command, env=dict(env), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=RUN_TIMEOUT_S)
    return elapsed[0]


def _demo_db(data_dir: Path) -> Path:
    from medtrack_desktop.config import load_settings

    return load_settings(demo=True, environ={"MEDTRACK_DATA_DIR": str(data_dir)}).db_path


def _prepare(
    data_dir: Path, pycache: Path, *, key_hex: str | None, patients: int | None
) -> Run:
    """Make the demo database in ``data_dir``; returns the time of that (uncounted) first step.

    Without ``patients`` the app's own first run builds its demo, exactly as a user's first start
    would. With ``patients`` the demo is built in-process at that size (with the environment key,
    or a random key wrapped in a key file with the documented demo passphrase, as the app does
    where no OS keyring exists), then the app is run once to warm up.
    """
    env = _app_environment(data_dir, pycache, key_hex=key_hex)
    if patients is None:
        return _spawn(APP_COMMAND, env)

    from medtrack_desktop.config import DEMO_KEY_PASSPHRASE
    from medtrack_desktop.demo import create_demo_database
    from medtrack_desktop.store.keys import WrappedKey, generate_key, key_file_path

    path = _demo_db(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = bytes.fromhex(key_hex) if key_hex is not None else generate_key()
    if key_hex is None:
        WrappedKey.wrap(key, DEMO_KEY_PASSPHRASE).write(key_file_path(path))
    note(f"building a {patients}-patient demo database in-process")
    create_demo_database(path, key, patients=patients, today=DEMO_TODAY)
    return _spawn(APP_COMMAND, env)


def _kdf_ms(data_dir: Path) -> float | None:
    """The Argon2id unwrap of the demo key file alone, in-process."""
    from medtrack_desktop.config import DEMO_KEY_PASSPHRASE
    from medtrack_desktop.store.keys import WrappedKey, key_file_path

    wrapped_path = key_file_path(_demo_db(data_dir))
    if not wrapped_path.exists():
        return None
    wrapped = WrappedKey.read(wrapped_path)
    start = now_ms()
    wrapped.unwrap(DEMO_KEY_PASSPHRASE)
    return round(now_ms() - start, 3)


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    if repeat < 1:
        raise ValueError("--repeat must be at least 1")
    from medtrack_desktop.ui.shell.controller import DEMO_PATIENTS

    patients = None if scale is None or scale == DEMO_PATIENTS else scale
    with tempfile.TemporaryDirectory(prefix="medtrack-bench-cold-", dir=workdir) as tmp:
        root = Path(tmp)
        pycache = root / "pycache"
        keyed_dir = root / "keyed"
        note("first run: builds the demo database and the bytecode cache (not counted)")
        first_run = _prepare(keyed_dir, pycache, key_hex=FIXED_KEY_HEX, patients=patients)
        python_env = _python_environment(pycache)
        baseline = [_spawn_plain((sys.executable, "-c", "pass"), python_env)
                    for _ in range(repeat)]
        env = _app_environment(keyed_dir, pycache, key_hex=FIXED_KEY_HEX)
        runs: list[Run] = []
        for index in range(repeat):
            runs.append(_spawn(APP_COMMAND, env))
            note(f"run {index + 1}/{repeat}: window shown at {runs[-1].ready_ms:.0f} ms, "
                 f"exited at {runs[-1].exit_ms:.0f} ms")

        keyfile_dir = root / "keyfile"
        note("key-file variant: first run builds a second demo with a wrapped key (not counted)")
        keyfile_metrics: dict[str, object] = {}
        try:
            _prepare(keyfile_dir, pycache, key_hex=None, patients=patients)
            unwrap_ms = _kdf_ms(keyfile_dir)
            if unwrap_ms is None:
                raise ColdStartFailed("the app kept its key elsewhere than in a key file")
            keyfile_env = _app_environment(keyfile_dir, pycache, key_hex=None)
            keyfile_runs = [
                _spawn(APP_COMMAND, keyfile_env) for _ in range(min(repeat, KEYFILE_RUNS_MAX))
            ]
            note("key-file runs, window shown at: "
                 + ", ".join(f"{run.ready_ms:.0f} ms" for run in keyfile_runs))
            keyfile_metrics = latency([run.ready_ms for run in keyfile_runs], prefix="keyfile_")
            keyfile_metrics["keyfile_unwrap_ms"] = unwrap_ms
        except ColdStartFailed as exc:
            note(f"key-file variant skipped: {exc}")
            keyfile_metrics = {"keyfile_p50_ms": None, "keyfile_skipped": str(exc)}

    metrics = latency([run.ready_ms for run in runs])
    p50 = metrics["p50_ms"]
    return Result(
        scenario="cold_start",
        scale=DEMO_PATIENTS if patients is None else patients,
        metrics=metrics,
        target=f"p50_ms < {TARGET_P50_MS:.0f}",
        meets_target=bool(p50 < TARGET_P50_MS),
        extra={
            **latency([run.exit_ms for run in runs], prefix="exit_"),
            **keyfile_metrics,
            "first_run_ms": round(first_run.exit_ms, 3),
            "interpreter_p50_ms": latency(baseline)["p50_ms"],
            "key_source": "MEDTRACK_DB_KEY",
            "bytecode_cache": True,
        },
    )


SCENARIO = Scenario(
    name="cold_start",
    summary="spawn `medtrack-desktop --demo` until the sign-in window shows (target p50 < 1.5 s)",
    default_scale=None,
    default_repeat=7,
    run=run,
)
