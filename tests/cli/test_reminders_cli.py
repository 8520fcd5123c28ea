"""``medtrack-admin reminders run|status|set-password`` against a real local SMTP server
(aiosmtpd) and a real local HTTP text-message gateway, over a real encrypted database with
appointments 47 hours from now (so that their 48-hour reminders are due at once)."""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from keyring.backends import fail
from keyrings import MemoryKeyring
from outside_world import Certificate, free_port, self_signed, sms_gateway, smtp_server
from sqlalchemy import select, update
from test_admin_cli import admin, env  # noqa: F401  (``env`` is a fixture)

from medtrack_desktop.cli import main
from medtrack_desktop.cli.reminders import SMTP_KEYRING_SERVICE, DeliverySecrets
from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.domain.scheduling.appointments import Booking, book_appointment
from medtrack_desktop.domain.scheduling.models import Reminder
from medtrack_desktop.domain.scheduling.setup import CategoryInput, add_facility, save_category
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import ENV_KEY, KeyStore
from medtrack_desktop.store.lifecycle import open_workstation_store

ZONE = ZoneInfo("America/Chicago")
SMTP_PASSWORD = "Sm7p-only-in-the-keyring"


@dataclass(frozen=True)
class Clinic:
    path: Path
    key: bytes
    ada_starts: datetime  # Ada: email only
    ben_starts: datetime  # Ben: mobile only


def build_clinic(folder: Path) -> Clinic:
    """A clinic with Dr Ana Lee at Main Street, Ada (email) at ``now + 47 h`` and Ben (mobile)
    half an hour later, made through the services."""
    key = secrets.token_bytes(32)
    path = folder / "ws.db"
    store = open_workstation_store(path, key, backup_dir=folder / "backups", create=True)
    try:
        with store.session() as session:
            seat = initialize_workstation(session, clinic_name="Riverside Reminders Clinic",
                                          workstation_name="Front 1")
        system = Actor.system(seat, name="test")
        provider = perform(store, system, add_user, username="drlee", password=DEMO_PASSWORD,
                           first_name="Ana", last_name="Lee", roles=("physician",)).id
        facility = perform(store, system, add_facility, name="Main Street",
                           address="12 Main Street, Austin TX")
        category = perform(store, system, save_category,
                           category=CategoryInput(name="Follow-up", default_minutes=20))
        quarter = utcnow().replace(second=0, microsecond=0)
        ada_starts = quarter - timedelta(minutes=quarter.minute % 15) + timedelta(hours=47)
        for first, email, mobile, starts in (
                ("Ada", "ada@example.org", "", ada_starts),
                ("Ben", "", "(512) 555-0102", ada_starts + timedelta(minutes=30))):
            patient = perform(store, system, register_patient, today=utcnow().date(),
                              demographics=Demographics(
                                  last_name="Reminded", first_name=first, sex="female",
                                  date_of_birth=date(1970, 1, 2), email=email,
                                  phone_mobile=mobile))
            perform(store, system, book_appointment, booking=Booking(
                patient_id=patient.id, provider_id=provider, facility_id=facility,
                category_id=category, starts_at=starts, reason="Chest pain follow-up"))
    finally:
        store.close()
    return Clinic(path, key, ada_starts, ada_starts + timedelta(minutes=30))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    return build_clinic(tmp_path_factory.mktemp("reminder-clinic"))


@pytest.fixture
def clinic(template: Clinic, tmp_path: Path) -> Clinic:
    shutil.copyfile(template.path, tmp_path / "ws.db")
    return Clinic(tmp_path / "ws.db", template.key, template.ada_starts, template.ben_starts)




Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(clinic: Clinic, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Run:
    """``medtrack-admin ARGS`` in-process -> (exit code, stdout, stderr); ``--db`` and
    ``--config`` (``tmp_path/config.toml``) are added where the command takes them."""
    keys = KeyStore(environ={ENV_KEY: clinic.key.hex()}, keyring_backend=fail.Keyring())

    def admin_in_process(*args: str, secrets: DeliverySecrets | None = None) -> tuple[
            int, str, str]:
        extra = ["--config", str(tmp_path / "config.toml")]
        if "set-password" not in args:
            extra += ["--db", str(clinic.path)]
        code = main([*args, *extra], keys=keys,
                    secrets=secrets or DeliverySecrets(environ={},
                                                       keyring_backend=fail.Keyring()))
        out, err = capsys.readouterr()
        return code, out, err

    return admin_in_process


def settings(tmp_path: Path, text: str) -> None:
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")


def smtp_settings(port: int, **more: str) -> str:
    lines = [f'{name} = "{value}"' for name, value in more.items()]
    return "\n".join(['[reminders.smtp]', 'host = "127.0.0.1"', f"port = {port}",
                      'security = "none"', 'from = "Riverside <desk@riverside.test>"', *lines,
                      ""])


def stored(clinic: Clinic) -> list[Reminder]:
    store = Store.open(clinic.path, clinic.key)
    try:
        with store.read_session() as session:
            rows = list(session.scalars(select(Reminder).order_by(Reminder.next_attempt_at,
                                                                  Reminder.channel)))
            session.expunge_all()
        return rows
    finally:
        store.close()


def later(clinic: Clinic, reminder: Reminder) -> None:
    """Time passes (the retry's delay): its next attempt is made due now."""
    store = Store.open(clinic.path, clinic.key)
    try:
        with store.session() as session:
            session.execute(update(Reminder).where(Reminder.id == reminder.id).values(
                next_attempt_at=utcnow() - timedelta(seconds=1)))
    finally:
        store.close()


def status(run: Run) -> dict[str, object]:
    code, out, _err = run("reminders", "status", "--json")
    assert code == 0
    return json.loads(out)


def test_help_on_the_reminder_commands(env: dict[str, str]) -> None:  # noqa: F811
    for command in (["reminders"], ["reminders", "run"], ["reminders", "status"],
                    ["reminders", "set-password"]):
        result = admin(*command, "--help", env=env)
        assert result.returncode == 0, command
        assert "usage: medtrack-admin reminders" in result.stdout


def test_a_missing_database_or_wrong_usage_fail_plainly(
    env: dict[str, str], tmp_path: Path,  # noqa: F811
) -> None:
    missing = tmp_path / "nowhere.db"
    for command in (["run", "--once"], ["status"]):
        result = admin("reminders", *command, "--db", str(missing), env=env)
        assert result.returncode == 1, command
        assert result.stderr == f"medtrack-admin: There is no database at {missing}.\n"
    assert not missing.exists()
    assert admin("reminders", "run", "--once", env=env).returncode == 2, "--db is required"
    assert admin("reminders", "run", "--db", str(missing), "--interval", "0",
                 env=env).returncode == 2


def test_run_once_delivers_the_email_with_when_and_where_and_audits_the_send(
    run: Run, clinic: Clinic, tmp_path: Path,
) -> None:
    with smtp_server() as (controller, inbox):
        settings(tmp_path, smtp_settings(controller.port))
        code, out, err = run("reminders", "run", "--once")
    assert code == 0, err
    assert out.endswith("reminders: queued 4, sent 1, failed 0, will retry 0, gave up 0, "
                        "waiting 1 (no SMS gateway configured)\n")
    (mail,) = inbox.messages
    when = clinic.ada_starts.astimezone(ZONE)
    assert (mail["To"], mail["Subject"].strip()) == (  # a long subject is folded
        "ada@example.org", f"Your appointment at Riverside Reminders Clinic on {when:%A %d %B %Y}")
    body = mail.get_payload(decode=True).decode()
    assert "Hello Ada," in body and f"Ana Lee on {when:%A %d %B %Y} at {when:%H:%M}" in body
    assert "Main Street" in body and "12 Main Street, Austin TX" in body
    assert "Chest pain" not in body
    assert "Ada" not in out + err and "example.org" not in out + err, "no PHI printed"

    store = Store.open(clinic.path, clinic.key)
    with store.read_session() as session:
        (sent,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "reminder.sent"))
    store.close()
    assert sent.username == "system:reminders"
    assert sent.changes == {"channel": "email", "minutes_before": 2880, "attempt": 1}
    shown = status(run)
    assert (shown["queued"], shown["sent"], shown["waiting_sms"]) == (3, 1, 2)
    _code, _out, err = run("reminders", "status")
    assert "no SMS gateway configured" in err and "stay queued" in err


def test_without_once_it_runs_every_interval_until_sigterm(
    env: dict[str, str], clinic: Clinic, tmp_path: Path,  # noqa: F811
) -> None:
    with smtp_server() as (controller, inbox):
        settings(tmp_path, smtp_settings(controller.port))
        runner = subprocess.Popen(
            [sys.executable, "-m", "medtrack_desktop.cli", "reminders", "run", "--db",
             str(clinic.path), "--interval", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**env, "MEDTRACK_DB_KEY": clinic.key.hex(),
                 "MEDTRACK_CONFIG": str(tmp_path / "config.toml")})
        try:
            assert runner.stdout is not None
            passes = [runner.stdout.readline() for _ in range(2)]
            runner.send_signal(signal.SIGTERM)
            code = runner.wait(30)
        finally:
            runner.kill()
    assert code == 0, runner.stderr.read() if runner.stderr else ""
    assert "queued 4, sent 1," in passes[0] and "queued 0, sent 0," in passes[1]
    assert len(inbox.messages) == 1


def test_smtp_down_fails_then_the_next_run_retries_and_delivers(
    run: Run, clinic: Clinic, tmp_path: Path,
) -> None:
    port = free_port()
    settings(tmp_path, smtp_settings(port))
    code, out, err = run("reminders", "run", "--once")  # nobody listens on the port
    assert code == 0, err
    assert "queued 4, sent 0, failed 1, will retry 1, gave up 0" in out
    (failed,) = [r for r in stored(clinic) if r.attempts]
    assert (failed.status, failed.attempts, failed.last_error) == (
        "pending", 1, "SMTP: ConnectionRefusedError")
    assert failed.next_attempt_at > utcnow() + timedelta(minutes=4)
    shown = status(run)
    assert (shown["retrying"], shown["sent"], shown["last_errors"]) == (
        1, 0, ["SMTP: ConnectionRefusedError"])

    code, out, _err = run("reminders", "run", "--once")
    assert "sent 0, failed 0" in out, "not retried before its delay"
    later(clinic, failed)
    with smtp_server() as (controller, inbox):
        settings(tmp_path, smtp_settings(controller.port))
        code, out, err = run("reminders", "run", "--once")
    assert code == 0, err
    assert "queued 0, sent 1, failed 0" in out
    assert [mail["To"] for mail in inbox.messages] == ["ada@example.org"]
    retried = next(r for r in stored(clinic) if r.id == failed.id)
    assert (retried.status, retried.attempts, retried.last_error) == ("sent", 2, None)


def test_a_reminder_given_up_shows_in_status_and_fails_the_run(
    run: Run, clinic: Clinic, tmp_path: Path,
) -> None:
    settings(tmp_path, smtp_settings(free_port()))
    for _attempt in range(5):
        code, out, err = run("reminders", "run", "--once")
        (tried,) = [r for r in stored(clinic) if r.attempts]
        later(clinic, tried)
    assert code == 1 and "gave up 1" in out
    assert "1 reminder(s) given up in this run" in err
    code, out, _err = run("reminders", "status")
    assert code == 0
    shown = out.splitlines()
    for label, value in (("queued", "3"), ("sent", "0"),
                         ("gave up", "1  (not sent: call the patient)"),
                         ("last errors", "SMTP: ConnectionRefusedError")):
        assert f"{label:12} {value}" in shown, label


def starttls_settings(port: int, certificate: Certificate) -> str:
    return "\n".join(["[reminders.smtp]", 'host = "localhost"', f"port = {port}",
                      'security = "starttls"', 'username = "desk"',
                      'from = "desk@riverside.test"', f'ca_file = "{certificate.cert_file}"', ""])


def test_the_smtp_password_set_in_the_keyring_logs_in_and_is_never_printed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    certificate = self_signed(tmp_path)
    vault = MemoryKeyring()
    in_keyring = DeliverySecrets(environ={}, keyring_backend=vault)
    with smtp_server(tls_context=certificate.server_context(), require_starttls=True) as (
            controller, inbox):
        settings(tmp_path, starttls_settings(controller.port, certificate))
        code, out, err = run("reminders", "run", "--once", secrets=in_keyring)
        assert code == 1 and "No SMTP password for desk at localhost" in err
        assert "waiting 1 (no SMTP server configured)" in out, "the email waits, queued"

        monkeypatch.setattr("sys.stdin", io.StringIO(SMTP_PASSWORD + "\n"))
        code, out, err = run("reminders", "set-password", "--password-stdin",
                             secrets=in_keyring)
        assert code == 0, err
        assert vault.secrets == {(SMTP_KEYRING_SERVICE, "desk@localhost"): SMTP_PASSWORD}
        code, out, err = run("reminders", "run", "--once", secrets=in_keyring)
    assert code == 0, err
    assert "sent 1" in out
    assert inbox.logins == [("desk", SMTP_PASSWORD)]
    assert len(inbox.messages) == 1
    assert SMTP_PASSWORD not in out + err


def test_without_a_keyring_the_password_comes_from_the_environment(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    certificate = self_signed(tmp_path)
    with smtp_server(tls_context=certificate.server_context(), require_starttls=True) as (
            controller, inbox):
        settings(tmp_path, starttls_settings(controller.port, certificate))
        monkeypatch.setattr("sys.stdin", io.StringIO("typed-secret\n"))
        code, out, err = run("reminders", "set-password", "--password-stdin")
        assert code == 1 and "MEDTRACK_SMTP_PASSWORD" in err, "no keyring to keep it in"
        code, out, err = run("reminders", "run", "--once", secrets=DeliverySecrets(
            environ={"MEDTRACK_SMTP_PASSWORD": "from-the-env"}, keyring_backend=fail.Keyring()))
    assert code == 0, err
    assert inbox.logins == [("desk", "from-the-env")]
    assert "from-the-env" not in out + err and "typed-secret" not in out + err


def test_text_reminders_go_through_the_configured_http_gateway(
    run: Run, clinic: Clinic, tmp_path: Path,
) -> None:
    with sms_gateway() as gateway:
        settings(tmp_path, f'[reminders.sms]\nurl = "{gateway.url}"\n')
        code, out, err = run("reminders", "run", "--once", secrets=DeliverySecrets(
            environ={"MEDTRACK_SMS_TOKEN": "gw-token-9"}, keyring_backend=fail.Keyring()))
    assert code == 0, err
    assert "sent 1" in out and "waiting 1 (no SMTP server configured)" in out
    (request,) = gateway.received
    when = clinic.ben_starts.astimezone(ZONE)
    assert request.body["to"] == "+15125550102"
    assert request.body["text"] == (
        f"Riverside Reminders Clinic: reminder of your appointment with Ana Lee on "
        f"{when:%A %d %B %Y} at {when:%H:%M}, Main Street. To change it, call us.")
    assert request.headers["authorization"] == "Bearer gw-token-9"
    assert "gw-token-9" not in out + err


@pytest.mark.parametrize(("text", "message"), [
    ('[reminders.smtp]\nhost = "mail.example.org"\nfrom = "a@b.c"\npassword = "x"\n',
     "'password' does not belong in the settings file"),
    ('[reminders.smtp]\nhost = "mail.example.org"\nfrom = "a@b.c"\nsecurity = "none"\n',
     'security = "none" is allowed only for a server on this computer'),
    ('[reminders.smtp]\nhost = "mail.example.org"\nfrom = "a@b.c"\nport = "587"\n',
     "port must be a whole number"),
    ('[reminders.smtp]\nfrom = "a@b.c"\n', 'needs host = "…"'),
    ('[reminders.sms]\nurl = "http://sms.example.org/send"\n', "url must be https://"),
    ('[reminders.sms]\nurl = "https://sms.example.org/send"\ntoken = "t"\n',
     "'token' does not belong"),
    ("[reminders.smtp\n", "cannot be read"),
])
def test_settings_file_mistakes_are_refused_with_what_to_fix(
    run: Run, tmp_path: Path, text: str, message: str,
) -> None:
    settings(tmp_path, text)
    code, out, err = run("reminders", "run", "--once")
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_the_systemd_units_run_one_pass_every_five_minutes(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parents[2] / "packaging" / "systemd"
    service = (folder / "medtrack-reminders.service").read_text(encoding="utf-8")
    timer = (folder / "medtrack-reminders.timer").read_text(encoding="utf-8")
    assert ("ExecStart=%h/.local/bin/medtrack-admin reminders run --once --db ${MEDTRACK_DB}"
            in service.splitlines())
    assert "Type=oneshot" in service.splitlines()
    assert {"OnCalendar=*:0/5", "Unit=medtrack-reminders.service",
            "WantedBy=timers.target"} <= set(timer.splitlines())
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / ".local" / "bin").mkdir(parents=True)
    script = Path(shutil.which("medtrack-admin") or "")
    assert script.is_file()
    (tmp_path / ".local" / "bin" / "medtrack-admin").symlink_to(script)
    checked = subprocess.run(
        [analyze, "verify", str(folder / "medtrack-reminders.service"),
         str(folder / "medtrack-reminders.timer")],
        capture_output=True, text=True, env={**os.environ, "HOME": str(tmp_path)},
        timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
