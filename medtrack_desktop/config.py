"""Settings: a TOML file and the environment, with data directories from platformdirs.

Precedence: command-line arguments > environment (``MEDTRACK_*``) > config file > defaults.

Config file (``MEDTRACK_CONFIG`` or ``<user config dir>/config.toml``)::

    database = "/srv/medtrack/workstation.db"
    backup_dir = "/srv/medtrack/backups"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "MedTrack Desktop"
APP_AUTHOR = "MedTrack"


class ConfigError(ValueError):
    """The config file cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_path: Path
    backup_dir: Path
    demo: bool


def _config_file(environ: Mapping[str, str]) -> Path:
    explicit = environ.get("MEDTRACK_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "config.toml"


def _read_config(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The settings file {path} cannot be read: {exc}") from None


def load_settings(
    *, demo: bool = False, db_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    file_values = _read_config(_config_file(environ))
    data_dir = Path(
        environ.get("MEDTRACK_DATA_DIR") or platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)
    )
    if demo:
        database = data_dir / "demo" / "medtrack-demo.db"
    else:
        database = Path(
            db_path
            or environ.get("MEDTRACK_DB")
            or str(file_values.get("database") or data_dir / "workstation.db")
        )
    backup_dir = Path(
        environ.get("MEDTRACK_BACKUP_DIR")
        or str(file_values.get("backup_dir") or database.parent / "backups")
    )
    return Settings(data_dir=data_dir, db_path=database, backup_dir=backup_dir, demo=demo)
