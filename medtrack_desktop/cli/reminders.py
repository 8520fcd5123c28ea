"""``medtrack-admin reminders run|status|set-password``: the runner that makes appointment
reminders actually go out, and what an administrator needs around it.

``run`` queues the coming appointments' reminders and sends the due ones, once (``--once``, for
a timer such as ``packaging/systemd/medtrack-reminders.timer``) or every ``--interval``
seconds, printing one line per pass with counts only (no patient data). It acts as the
workstation's system user ``system:reminders``, which the audit trail names on every
``reminder.sent``. ``status`` counts the queue by state.

Where the mail server and the gateway are: ``[reminders.smtp]`` and ``[reminders.sms]`` in the
settings file (``medtrack_desktop.config``). Their secrets never go in that file nor on the
command line: the SMTP password comes from ``MEDTRACK_SMTP_PASSWORD`` or the OS keyring
(service ``medtrack-desktop-smtp``, put there by ``reminders set-password``), the gateway's
bearer token from ``MEDTRACK_SMS_TOKEN`` or the keyring (``medtrack-desktop-sms``,
``reminders set-password --sms``).

The runner does not upgrade the database (a timer must not migrate under an open app): a
schema behind this version's is an error that says to run ``medtrack-admin migrate``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import keyring
import keyring.backend
import keyring.errors

from medtrack_desktop.cli.common import (
    CommandError,
    CommandTree,
    ask_secret,
    db_option,
    load_key,
    positive,
    stdin_line,
    system_actor,
)
from medtrack_desktop.config import (
    ConfigError,
    ReminderSettings,
    SmsSettings,
    SmtpSettings,
    load_reminder_settings,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.reminder_senders import (
    HttpSmsGateway,
    Senders,
    SmtpSecurity,
    SmtpSender,
)
from medtrack_desktop.domain.scheduling.reminders import (
    RunReport,
    reminder_status,
    run_reminders,
)
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.store.migrate import schema_status

SMTP_PASSWORD_ENV = "MEDTRACK_SMTP_PASSWORD"
SMS_TOKEN_ENV = "MEDTRACK_SMS_TOKEN"
SMTP_KEYRING_SERVICE = "medtrack-desktop-smtp"
SMS_KEYRING_SERVICE = "medtrack-desktop-sms"
RUNNER = "reminders"  # the audit trail's ``system:reminders``
DEFAULT_INTERVAL = 300


class DeliverySecrets:
    """The SMTP password and the gateway's token: from the environment (automation, a
    service's environment file), else the OS keyring. The keyring backend is injectable for
    tests."""

    def __init__(self, *, environ: Mapping[str, str] | None = None,
                 keyring_backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._environ = environ
        self._backend = keyring_backend

    @property
    def _keyring(self) -> keyring.backend.KeyringBackend:
        if self._backend is None:
            self._backend = keyring.get_keyring()
        return self._backend

    def _env(self, name: str) -> str | None:
        return (os.environ if self._environ is None else self._environ).get(name) or None

    def _get(self, service: str, entry: str) -> str | None:
        try:
            return self._keyring.get_password(service, entry)
        except keyring.errors.KeyringError:
            return None  # no usable keyring here: only the environment counts

    def _keep(self, service: str, entry: str, secret: str, env: str) -> None:
        try:
            self._keyring.set_password(service, entry, secret)
        except keyring.errors.KeyringError:
            raise CommandError(f"No OS keyring can keep it here: give it to the runner in {env} "
                               "instead (e.g. a service's environment file, readable by its "
                               "user only).") from None

    def smtp_password(self, smtp: SmtpSettings) -> str | None:
        return self._env(SMTP_PASSWORD_ENV) or self._get(SMTP_KEYRING_SERVICE, _smtp_entry(smtp))

    def sms_token(self, sms: SmsSettings) -> str | None:
        return self._env(SMS_TOKEN_ENV) or self._get(SMS_KEYRING_SERVICE, sms.url)

    def keep_smtp_password(self, smtp: SmtpSettings, password: str) -> None:
        self._keep(SMTP_KEYRING_SERVICE, _smtp_entry(smtp), password, SMTP_PASSWORD_ENV)

    def keep_sms_token(self, sms: SmsSettings, token: str) -> None:
        self._keep(SMS_KEYRING_SERVICE, sms.url, token, SMS_TOKEN_ENV)


def _smtp_entry(smtp: SmtpSettings) -> str:
    return f"{smtp.username}@{smtp.host}"


def _settings(args: argparse.Namespace) -> ReminderSettings:
    try:
        return load_reminder_settings(config_file=args.config)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def senders_from(settings: ReminderSettings, secrets: DeliverySecrets
                 ) -> tuple[Senders, list[str]]:
    """The senders the settings describe, and what keeps a configured one from working
    (its channel then waits, as an unconfigured one does)."""
    problems: list[str] = []
    email = sms = None
    if settings.smtp is not None:
        smtp = settings.smtp
        password = secrets.smtp_password(smtp) if smtp.username else None
        if smtp.username and not password:
            problems.append(f"No SMTP password for {smtp.username} at {smtp.host}: run "
                            f"`medtrack-admin reminders set-password` or set {SMTP_PASSWORD_ENV}.")
        else:
            email = SmtpSender(smtp.host, smtp.port, smtp.sender,
                               security=cast(SmtpSecurity, smtp.security),
                               username=smtp.username, password=password,
                               ca_file=str(smtp.ca_file) if smtp.ca_file else None)
    if settings.sms is not None:
        token = secrets.sms_token(settings.sms)
        if not token:
            problems.append("No token for the SMS gateway: run `medtrack-admin reminders "
                            f"set-password --sms` or set {SMS_TOKEN_ENV}.")
        else:
            sms = HttpSmsGateway(settings.sms.url, token=token, region=settings.sms.region,
                                 ca_file=str(settings.sms.ca_file) if settings.sms.ca_file
                                 else None)
    return Senders(email=email, sms=sms), problems


# -- run ----------------------------------------------------------------------------------------


def _existing(db: Path) -> Path:
    if not db.exists():
        raise CommandError(f"There is no database at {db}.")
    return db


def _open_current(db: Path, key: bytes) -> Store:
    """The database at this version's schema, or a CommandError saying what to do."""
    store = Store.open(db, key)
    try:
        status = schema_status(store.engine)
    except BaseException:
        store.close()
        raise
    if status.state != "current":
        store.close()
        raise CommandError(
            f"{db} is at schema {status.current}, this MedTrack at {status.head}: "
            + ("run `medtrack-admin migrate` first." if status.state == "behind"
               else "install the MedTrack version that wrote it."))
    return store


def _one_pass(db: Path, key: bytes, senders: Senders) -> tuple[Actor, RunReport]:
    store = _open_current(db, key)
    try:
        actor = system_actor(store, name=RUNNER)
        return actor, run_reminders(store, actor, senders)
    finally:
        store.close()


def summary(report: RunReport) -> str:
    """One line of counts (no patient data) for the log."""
    sending = report.sending
    parts = [f"queued {report.queued}", f"sent {sending.sent}",
             f"failed {sending.retrying + sending.failed}", f"will retry {sending.retrying}",
             f"gave up {sending.failed}"]
    parts += [f"{name} {count}" for name, count in (("cancelled", sending.cancelled),
                                                    ("deferred", sending.deferred)) if count]
    parts += [f"waiting {count} (no {what} configured)"
              for count, what in ((sending.no_smtp, "SMTP server"),
                                  (sending.no_sms_gateway, "SMS gateway")) if count]
    return "reminders: " + ", ".join(parts)


def cmd_run(args: argparse.Namespace, keys: KeyStore) -> None:
    """Queue and send, once or every ``--interval`` seconds until stopped (SIGTERM ends it
    after the pass under way)."""
    settings = _settings(args)
    senders, problems = senders_from(settings, args.delivery_secrets)
    for problem in problems:
        print(f"medtrack-admin: {problem}", file=sys.stderr)
    db = _existing(args.db)
    key = load_key(keys, db)
    stop = threading.Event()
    if not args.once and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        actor, report = _one_pass(db, key, senders)
        when = datetime.now(ZoneInfo(actor.seat.clinic_timezone))
        print(f"{when:%Y-%m-%d %H:%M:%S %Z} {summary(report)}", flush=True)
        if args.once or stop.wait(args.interval):
            break
    if args.once and report.sending.failed:
        raise CommandError(f"{report.sending.failed} reminder(s) given up in this run: see "
                           "`medtrack-admin reminders status`.")
    if problems:
        raise CommandError("Reminders are set up only in part (see above).")


# -- status -------------------------------------------------------------------------------------


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}" if moment else "-"


def cmd_status(args: argparse.Namespace, keys: KeyStore) -> None:
    """Counts by state, next due, last sent, the commonest errors (no patient data)."""
    db = _existing(args.db)
    store = _open_current(db, load_key(keys, db))
    try:
        actor = system_actor(store, name=RUNNER)
        with store.read_session() as session:
            status = reminder_status(session, actor)
    finally:
        store.close()
    zone = ZoneInfo(actor.seat.clinic_timezone)
    if args.json:
        values: dict[str, Any] = asdict(status)
        for name in ("next_due", "last_sent_at"):
            values[name] = values[name].isoformat() if values[name] else None
        values["last_errors"] = list(status.last_errors)
        print(json.dumps(values, indent=2))
    else:
        for label, value in (
                ("queued", status.queued), ("retrying", f"{status.retrying}  (failed, tried "
                                            "again later)"),
                ("sent", status.sent), ("gave up", f"{status.gave_up}  (not sent: call the "
                                         "patient)" if status.gave_up else 0),
                ("cancelled", status.cancelled), ("due now", status.due_now),
                ("by channel", f"email {status.waiting_email}, text {status.waiting_sms} "
                               "(queued or retrying)"),
                ("next due", _when(status.next_due, zone)),
                ("last sent", _when(status.last_sent_at, zone)),
                ("last errors", "; ".join(status.last_errors) or "-")):
            print(f"{label:12} {value}")
    try:
        settings = load_reminder_settings(config_file=args.config)
    except ConfigError as exc:
        print(f"medtrack-admin: {exc}", file=sys.stderr)
        return
    for waiting, configured, what in ((status.waiting_email, settings.smtp, "SMTP server"),
                                      (status.waiting_sms, settings.sms, "SMS gateway")):
        if waiting and configured is None:
            print(f"medtrack-admin: no {what} configured ({settings.source}): those "
                  "reminders stay queued.", file=sys.stderr)


# -- set-password -------------------------------------------------------------------------------


def cmd_set_password(args: argparse.Namespace, keys: KeyStore) -> None:
    """Keep the SMTP password (or, with ``--sms``, the gateway's token) in the OS keyring."""
    settings = _settings(args)
    secrets: DeliverySecrets = args.delivery_secrets
    what = "SMS gateway token" if args.sms else "SMTP password"
    if args.sms and settings.sms is None:
        raise CommandError(f"Set up [reminders.sms] (url) in {settings.source} first.")
    if not args.sms and (settings.smtp is None or not settings.smtp.username):
        raise CommandError(f"Set up [reminders.smtp] with a username in {settings.source} "
                           "first (a server without a login needs no password).")
    secret = (stdin_line(what) if args.password_stdin
              else ask_secret(f"{what[0].upper()}{what[1:]}: ", confirm=True))
    if settings.sms is not None and args.sms:
        secrets.keep_sms_token(settings.sms, secret)
        where = f"{SMS_KEYRING_SERVICE}, {settings.sms.url}"
    else:
        assert settings.smtp is not None
        secrets.keep_smtp_password(settings.smtp, secret)
        where = f"{SMTP_KEYRING_SERVICE}, {_smtp_entry(settings.smtp)}"
    print(f"The {what} is kept in the OS keyring ({where}).", file=sys.stderr)


# -- parser -------------------------------------------------------------------------------------


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="the settings file with [reminders.smtp] and [reminders.sms] "
                        "(default: MEDTRACK_CONFIG, else the user's config.toml)")


def add_reminder_commands(tree: CommandTree) -> None:
    group = tree.group("reminders", "Appointment reminders by email and text message.")
    run = tree.command("run", cmd_run,
                       "Queue the coming appointments' reminders and send the due ones, "
                       "printing one line of counts per pass (no patient data). Exit 1 when "
                       "a reminder was given up or a channel lacks its password.", group)
    db_option(run)
    _config_option(run)
    run.add_argument("--once", action="store_true",
                     help="one pass, then exit (for a timer)")
    run.add_argument("--interval", type=positive, default=DEFAULT_INTERVAL, metavar="SECONDS",
                     help=f"without --once, seconds between passes (default {DEFAULT_INTERVAL})")
    status = tree.command("status", cmd_status,
                          "Count the reminders by state (queued, retrying, sent, gave up, "
                          "cancelled), with the next due and the commonest errors.", group)
    db_option(status)
    _config_option(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    password = tree.command("set-password", cmd_set_password,
                            "Keep the SMTP password (or the SMS gateway's token) in the OS "
                            "keyring; asked for without echo.", group)
    _config_option(password)
    password.add_argument("--sms", action="store_true",
                          help="the SMS gateway's bearer token instead")
    password.add_argument("--password-stdin", action="store_true",
                          help="read it from standard input instead of asking")
