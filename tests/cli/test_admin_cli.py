"""``medtrack-admin`` run as a real subprocess: exit codes, messages, and what lands on disk."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from medtrack_desktop.store.engine import SQLITE_PLAINTEXT_HEADER, connect_raw
from medtrack_desktop.store.migrate import head_revision

PASSWORD = "Adm1n!strator"


def admin(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "medtrack_desktop.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A key from the environment; no keyring; the settings file pointed at a missing path."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACK_")}
    clean.update(
        MEDTRACK_DB_KEY=secrets.token_hex(32),
        MEDTRACK_CONFIG=str(tmp_path / "absent.toml"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return clean


def test_help_on_every_command(env: dict[str, str]) -> None:
    for command in ([], ["init"], ["migrate"], ["demo"], ["backup"], ["restore"], ["key"],
                    ["key", "export-recovery"], ["key", "import-recovery"], ["info"],
                    ["user"], ["user", "add"], ["user", "list"], ["user", "disable"],
                    ["user", "enable"], ["user", "unlock"], ["user", "reset-password"],
                    ["user", "roles"], ["audit"], ["audit", "verify"], ["audit", "anchor"]):
        result = admin(*command, "--help", env=env)
        assert result.returncode == 0, command
        assert "usage: medtrack-admin" in result.stdout


def test_usage_errors_exit_2(env: dict[str, str]) -> None:
    assert admin(env=env).returncode == 2
    assert admin("frobnicate", env=env).returncode == 2
    result = admin("info", env=env)
    assert result.returncode == 2
    assert "--db" in result.stderr


def test_init_info_backup_restore_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "ws.db"
    result = admin("init", "--db", str(db), "--clinic", "Clínica San José", "--workstation",
                   "Front Desk 1", "--admin-user", "Boss", "--password-stdin", env=env,
                   stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "Clínica San José" in result.stderr
    assert not db.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)
    assert admin("init", "--db", str(db), "--clinic", "Again", env=env).returncode == 1

    info = admin("info", "--db", str(db), "--json", env=env)
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    assert facts["schema_state"] == "current"
    assert facts["clinic"] == "Clínica San José"
    assert facts["workstation"] == "Front Desk 1"
    assert facts["key_source"] == "environment"
    assert facts["cipher"].startswith("4.")
    assert facts["row_counts"]["users"] == 1
    assert facts["row_counts"]["roles"] == 7

    backup = tmp_path / "ws-backup.db"
    assert admin("backup", "--db", str(db), str(backup), env=env).returncode == 0
    assert not backup.read_bytes().startswith(SQLITE_PLAINTEXT_HEADER)
    again = admin("backup", "--db", str(db), str(backup), env=env)
    assert again.returncode == 1 and "exists" in again.stderr

    refused = admin("restore", str(backup), "--db", str(db), env=env)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    restored = admin("restore", str(backup), "--db", str(db), "--yes", env=env)
    assert restored.returncode == 0, restored.stderr
    assert list(tmp_path.glob("ws.db.before-restore-*"))
    assert json.loads(admin("info", "--db", str(db), "--json", env=env).stdout)[
        "row_counts"]["users"] == 1


def test_wrong_key_fails_with_message_and_exit_1(env: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "ws.db"
    assert admin("init", "--db", str(db), "--clinic", "A", env=env).returncode == 0
    before = db.read_bytes()
    wrong = {**env, "MEDTRACK_DB_KEY": secrets.token_hex(32)}
    for command in (["info", "--db", str(db)], ["migrate", "--db", str(db)],
                    ["backup", "--db", str(db), str(tmp_path / "b.db")]):
        result = admin(*command, env=wrong)
        assert result.returncode == 1, command
        assert "wrong key" in result.stderr
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert not (tmp_path / "b.db").exists()
    bad = admin("info", "--db", str(db), env={**env, "MEDTRACK_DB_KEY": "xyz"})
    assert bad.returncode == 1 and "64 hex" in bad.stderr


def test_admin_password_never_on_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    result = admin("init", "--db", str(tmp_path / "ws.db"), "--clinic", "A", "--admin-user",
                   "boss", env=env)
    assert result.returncode == 1
    assert "--password-stdin" in result.stderr
    assert not (tmp_path / "ws.db").exists()


def test_demo_and_migrate(env: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = admin("demo", "--db", str(db), "--patients", "25", env=env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(admin("info", "--db", str(db), "--json", env=env).stdout)
    assert facts["row_counts"]["patients"] == 25
    assert facts["row_counts"]["users"] == 7
    assert admin("demo", "--db", str(db), "--patients", "5", env=env).returncode == 1
    assert admin("demo", "--db", str(tmp_path / "x.db"), "--patients", "-1",
                 env=env).returncode == 1
    migrated = admin("migrate", "--db", str(db), env=env)
    assert migrated.returncode == 0 and head_revision() in migrated.stderr


def test_key_escrow_restores_access_after_the_key_is_lost(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Without keyring: key file + passphrase; lose the key file, recover from escrow."""
    keyless = {k: v for k, v in env.items() if k != "MEDTRACK_DB_KEY"}
    keyless["MEDTRACK_DB_PASSPHRASE"] = "workstation passphrase"
    db, escrow = tmp_path / "ws.db", tmp_path / "escrow.json"
    assert admin("init", "--db", str(db), "--clinic", "A", env=keyless).returncode == 0
    assert (tmp_path / "ws.db.key").exists()

    short = admin("key", "export-recovery", "--db", str(db), "--out", str(escrow),
                  "--passphrase-stdin", env=keyless, stdin="short\n")
    assert short.returncode == 1 and "12 characters" in short.stderr
    exported = admin("key", "export-recovery", "--db", str(db), "--out", str(escrow),
                     "--passphrase-stdin", env=keyless, stdin="recovery passphrase 1\n")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(escrow.read_text())["format"] == "medtrack-wrapped-key/1"

    (tmp_path / "ws.db.key").unlink()
    lost = admin("info", "--db", str(db), env=keyless)
    assert lost.returncode == 1 and "recovery copy" in lost.stderr

    wrong = admin("key", "import-recovery", str(escrow), "--db", str(db), "--passphrase-stdin",
                  env=keyless, stdin="not it at all\n")
    assert wrong.returncode == 1 and "passphrase is not correct" in wrong.stderr
    recovered = admin("key", "import-recovery", str(escrow), "--db", str(db),
                      "--passphrase-stdin", env={**keyless, "MEDTRACK_DB_PASSPHRASE": "new one"},
                      stdin="recovery passphrase 1\n")
    assert recovered.returncode == 0, recovered.stderr
    assert admin("info", "--db", str(db),
                 env={**keyless, "MEDTRACK_DB_PASSPHRASE": "new one"}).returncode == 0


def test_user_administration(env: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "ws.db"
    assert admin("init", "--db", str(db), "--clinic", "A", env=env).returncode == 0
    weak = admin("user", "add", "--db", str(db), "drlee", "--first", "Ana", "--last", "Lee",
                 "--role", "physician", "--password-stdin", env=env, stdin="password\n")
    assert weak.returncode == 1
    assert "Password: " in weak.stderr and "add a digit" in weak.stderr
    added = admin("user", "add", "--db", str(db), "drlee", "--first", "Ana", "--last", "Lee",
                  "--role", "physician", "--role", "admin", "--npi", "1234567893",
                  "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert admin("user", "add", "--db", str(db), "x", "--first", "a", "--last", "b",
                 "--role", "nurse", env=env).returncode == 2, "a password only from stdin"
    assert admin("user", "roles", "--db", str(db), "drlee", "--role", "physician",
                 env=env).returncode == 0
    assert admin("user", "disable", "--db", str(db), "drlee", env=env).returncode == 0
    listing = admin("user", "list", "--db", str(db), env=env)
    assert listing.returncode == 0
    line = next(row for row in listing.stdout.splitlines() if row.startswith("drlee"))
    assert "physician" in line and "admin" not in line and "disabled" in line
    assert admin("user", "enable", "--db", str(db), "drlee", env=env).returncode == 0
    assert admin("user", "unlock", "--db", str(db), "drlee", env=env).returncode == 0
    reset = admin("user", "reset-password", "--db", str(db), "drlee", "--password-stdin",
                  env=env, stdin="Temp0rary!pass\n")
    assert reset.returncode == 0, reset.stderr
    listing = admin("user", "list", "--db", str(db), env=env).stdout
    assert "must change password" in listing
    missing = admin("user", "unlock", "--db", str(db), "ghost", env=env)
    assert missing.returncode == 1 and "no user 'ghost'" in missing.stderr


def test_audit_verify_exits_1_naming_the_first_bad_entry(
    env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "demo.db"
    assert admin("demo", "--db", str(db), "--patients", "10", env=env).returncode == 0
    intact = admin("audit", "verify", "--db", str(db), env=env)
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stdout

    # Someone with the key and a SQL shell drops the trigger and edits an entry.
    connection = connect_raw(db, bytes.fromhex(env["MEDTRACK_DB_KEY"]))
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("UPDATE audit_log SET action = 'nothing.to.see' WHERE seq = 5")
    connection.close()
    broken = admin("audit", "verify", "--db", str(db), env=env)
    assert broken.returncode == 1
    assert "BROKEN at entry 5" in broken.stdout
    assert "does not verify" in broken.stderr


def test_an_anchor_finds_removed_newest_entries(env: dict[str, str], tmp_path: Path) -> None:
    db, anchors = tmp_path / "demo.db", tmp_path / "anchors.json"
    assert admin("demo", "--db", str(db), "--patients", "3", env=env).returncode == 0
    assert admin("audit", "anchor", "--db", str(db), "--out", str(anchors),
                 env=env).returncode == 0
    assert admin("audit", "verify", "--db", str(db), "--anchor", str(anchors),
                 env=env).returncode == 0

    connection = connect_raw(db, bytes.fromhex(env["MEDTRACK_DB_KEY"]))
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute("DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)")
    connection.close()
    assert admin("audit", "verify", "--db", str(db), env=env).returncode == 0, (
        "without an anchor a cut tail cannot be seen")
    cut = admin("audit", "verify", "--db", str(db), "--anchor", str(anchors), env=env)
    assert cut.returncode == 1
    assert "newest entries are missing" in cut.stdout
    garbage = tmp_path / "garbage.json"
    garbage.write_text("[]")
    bad = admin("audit", "verify", "--db", str(db), "--anchor", str(garbage), env=env)
    assert bad.returncode == 1 and "not a MedTrack audit anchor file" in bad.stderr


def test_patient_restrict_sets_and_lifts_a_restriction(
    env: dict[str, str], tmp_path: Path
) -> None:
    from medtrack_desktop.demo import DEMO_RESTRICTED_MRN, FIRST_MRN
    from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit

    db = tmp_path / "demo.db"
    assert admin("demo", "--db", str(db), "--patients", "5", env=env).returncode == 0
    other = mrn_with_check_digit(FIRST_MRN)
    done = admin("patient", "restrict", "--db", str(db), "--mrn", other, "--care-team", "nurse",
                 env=env)
    assert done.returncode == 0, done.stderr
    assert f"MRN {other}: restricted; care team: nurse." in done.stderr
    lifted = admin("patient", "restrict", "--db", str(db), "--mrn", DEMO_RESTRICTED_MRN,
                   "--off", env=env)
    assert lifted.returncode == 0 and "no longer restricted" in lifted.stderr
    missing = admin("patient", "restrict", "--db", str(db), "--mrn", "0000000", env=env)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    ghost = admin("patient", "restrict", "--db", str(db), "--mrn", other, "--care-team",
                  "ghost", env=env)
    assert ghost.returncode == 1 and "no user ghost" in ghost.stderr
    assert admin("patient", "restrict", "--help", env=env).returncode == 0
