"""The README's two set-up commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_gives_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    start, test = commands
    assert "medtrack-desktop --demo" in start
    assert test.endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _setup_commands()[1] in ci.splitlines()


def test_console_scripts_exist() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"] == {
        "medtrack-desktop": "medtrack_desktop.__main__:main",
        "medtrack-admin": "medtrack_desktop.cli:main",
    }
    assert "test" in project["optional-dependencies"]
