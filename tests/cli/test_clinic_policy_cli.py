"""`medtrack-admin clinic policy` shows and changes the clinic's security settings."""

from __future__ import annotations

from pathlib import Path

from test_admin_cli import admin, env  # noqa: F401  (``env`` is a fixture)


def test_the_command_line_shows_and_changes_the_policy(
    env: dict[str, str], tmp_path: Path  # noqa: F811
) -> None:
    db = tmp_path / "ws.db"
    assert admin("init", "--db", str(db), "--clinic", "A", env=env).returncode == 0
    shown = admin("clinic", "policy", "--db", str(db), env=env)
    assert shown.returncode == 0 and "lockout_threshold = 5" in shown.stdout
    assert "password_max_age_days = never" in shown.stdout
    changed = admin("clinic", "policy", "--db", str(db), "--idle-lock-minutes", "10",
                    "--password-max-age-days", "180", env=env)
    assert changed.returncode == 0, changed.stderr
    assert "idle_lock_minutes = 10" in changed.stdout
    assert "password_max_age_days = 180" in changed.stdout
    never = admin("clinic", "policy", "--db", str(db), "--password-max-age-days", "0", env=env)
    assert "password_max_age_days = never" in never.stdout
    bad = admin("clinic", "policy", "--db", str(db), "--lockout-minutes", "0", env=env)
    assert bad.returncode == 1 and "lockout_minutes: must be from 1" in bad.stderr
    assert admin("clinic", "policy", "--db", str(db), "--idle-lock-minutes", "x",
                 env=env).returncode == 2
