"""Where the project's own files (migrations, resources) are, relative to the package."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
RESOURCES_DIR = PROJECT_ROOT / "resources"


def resource(*parts: str) -> Path:
    """A file under ``resources/`` (icons, stylesheets, seed data)."""
    return RESOURCES_DIR.joinpath(*parts)
