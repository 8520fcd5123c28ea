"""Settings: a TOML file and the environment, with data directories from platformdirs.

Precedence: command-line arguments > environment (``MEDTRACK_*``) > config file > defaults.

Config file (``MEDTRACK_CONFIG`` or ``<user config dir>/config.toml``)::

    database = "/srv/medtrack/workstation.db"
    backup_dir = "/srv/medtrack/backups"

    [reminders.smtp]          # appointment reminders by email (``medtrack-admin reminders``)
    host = "smtp.example.org"
    security = "starttls"     # "starttls" (port 587), "tls" (implicit, 465) or "none"
    username = "reminders@riverside.example"
    from = "Riverside Family Clinic <reminders@riverside.example>"

    [reminders.sms]           # text messages through an HTTP gateway
    url = "https://sms.example.org/v1/messages"

Secrets never go in this file: the SMTP password and the gateway's token come from the OS
keyring or the environment (see ``medtrack_desktop.cli.reminders``).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "MedTrack Desktop"
APP_AUTHOR = "MedTrack"


# The demo database's key file passphrase, only where no OS keyring exists: documented, demo
# only. Here, not in the demo package, so that opening the demo does not import what builds it.
DEMO_KEY_PASSPHRASE = "medtrack-demo"


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


# -- reminders ----------------------------------------------------------------------------------

SMTP_SECURITY = ("starttls", "tls", "none")
_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_SMTP_KEYS = {"host", "port", "security", "username", "from", "ca_file"}
_SMS_KEYS = {"url", "ca_file", "region"}
_SECRET_KEYS = {"password", "token", "secret", "api_key"}


@dataclass(frozen=True)
class SmtpSettings:
    """The clinic's mail server for email reminders (the password is not here)."""

    host: str
    port: int
    security: str  # "starttls", "tls" (implicit TLS) or "none" (to this computer only)
    sender: str
    username: str | None = None
    ca_file: Path | None = None  # a private CA to trust besides the system's


@dataclass(frozen=True)
class SmsSettings:
    """The HTTP text-message gateway (its bearer token is not here)."""

    url: str
    ca_file: Path | None = None
    region: str = "US"  # how a national mobile number is read, for E.164


@dataclass(frozen=True)
class ReminderSettings:
    """How reminders leave the clinic; a channel without settings is not sent (it waits)."""

    smtp: SmtpSettings | None
    sms: SmsSettings | None
    source: Path


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _table(values: dict[str, Any], name: str, allowed: set[str], source: Path
           ) -> dict[str, Any] | None:
    table = values.get(name)
    if table is None:
        return None
    where = f"{source}: [reminders.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table.")
    secrets = sorted(set(table) & _SECRET_KEYS)
    if secrets:
        raise ConfigError(f"{where}: {secrets[0]!r} does not belong in the settings file; "
                          "keep it in the OS keyring (medtrack-admin reminders set-password) "
                          "or the environment.")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} "
                          f"(known: {', '.join(sorted(allowed))}).")
    for key, value in table.items():
        if key != "port" and not (isinstance(value, str) and value.strip()):
            raise ConfigError(f"{where}: {key} must be a non-empty text.")
    return table


def _smtp_settings(table: dict[str, Any], source: Path) -> SmtpSettings:
    where = f"{source}: [reminders.smtp]"
    for key in ("host", "from"):
        if key not in table:
            raise ConfigError(f"{where} needs {key} = \"…\".")
    security = table.get("security", "starttls")
    if security not in SMTP_SECURITY:
        raise ConfigError(f"{where}: security must be one of {', '.join(SMTP_SECURITY)}.")
    if security == "none" and not _is_loopback(table["host"]):
        raise ConfigError(f"{where}: security = \"none\" is allowed only for a server on this "
                          "computer (reminders name patients and their appointments).")
    port = table.get("port", _SMTP_PORTS[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"{where}: port must be a whole number from 1 to 65535.")
    return SmtpSettings(host=table["host"], port=port, security=security, sender=table["from"],
                        username=table.get("username"),
                        ca_file=Path(table["ca_file"]) if "ca_file" in table else None)


def _sms_settings(table: dict[str, Any], source: Path) -> SmsSettings:
    where = f"{source}: [reminders.sms]"
    if "url" not in table:
        raise ConfigError(f"{where} needs url = \"https://…\".")
    parts = urlsplit(table["url"])
    if not parts.hostname or parts.scheme not in ("https", "http") or (
            parts.scheme == "http" and not _is_loopback(parts.hostname)):
        raise ConfigError(f"{where}: url must be https:// (http:// only to this computer).")
    return SmsSettings(url=table["url"],
                       ca_file=Path(table["ca_file"]) if "ca_file" in table else None,
                       region=table.get("region", "US"))


def load_reminder_settings(*, environ: Mapping[str, str] | None = None,
                           config_file: Path | None = None) -> ReminderSettings:
    """The ``[reminders.smtp]`` and ``[reminders.sms]`` tables of the settings file
    (``config_file``, else ``MEDTRACK_CONFIG``, else the user's); ``ConfigError`` says what is
    wrong with them."""
    source = config_file or _config_file(os.environ if environ is None else environ)
    if config_file is not None and not config_file.exists():
        raise ConfigError(f"The settings file {config_file} does not exist.")
    reminders = _read_config(source).get("reminders", {})
    if not isinstance(reminders, dict):
        raise ConfigError(f"{source}: [reminders] must be a table.")
    smtp = _table(reminders, "smtp", _SMTP_KEYS, source)
    sms = _table(reminders, "sms", _SMS_KEYS, source)
    return ReminderSettings(smtp=_smtp_settings(smtp, source) if smtp is not None else None,
                            sms=_sms_settings(sms, source) if sms is not None else None,
                            source=source)
