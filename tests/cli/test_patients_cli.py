"""`medtrack-admin patients search|import-csv` and `clinic registry`, run in-process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from keyring.backends import fail
from sqlalchemy import func, select

from medtrack_desktop.cli import main
from medtrack_desktop.demo import FIRST_MRN
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import ENV_KEY, KeyStore

NEXT_MRN = mrn_with_check_digit(FIRST_MRN + 40)  # after the 40 demo patients
Admin = Callable[..., tuple[int, str, str]]
DemoDb = tuple[Path, bytes]


@pytest.fixture
def run(demo_db: DemoDb, capsys: pytest.CaptureFixture[str]) -> Admin:
    """``medtrack-admin ARGS --db <the demo copy>`` -> (exit code, stdout, stderr)."""
    path, key = demo_db
    keys = KeyStore(environ={ENV_KEY: key.hex()}, keyring_backend=fail.Keyring())

    def admin(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--db", str(path)], keys=keys)
        out, err = capsys.readouterr()
        return code, out, err

    return admin


def patients(demo_db: DemoDb) -> int:
    store = Store.open(*demo_db)
    try:
        with store.read_session() as session:
            return session.scalar(select(func.count()).select_from(Patient)) or 0
    finally:
        store.close()


def test_help_on_every_new_command(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["patients"], ["patients", "search"], ["patients", "import-csv"],
                    ["patient", "restrict"], ["clinic", "registry"]):
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0, command
        assert "usage: medtrack-admin" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["patients", "search"],
    ["patients", "search", "x", "--limit", "0"],
    ["patients", "import-csv", "f.csv", "--map", "no-equals-sign"],
    ["patients", "import-csv", "f.csv", "--encoding", "klingon"],
    ["clinic", "registry", "--mrn-digits", "many"],
])
def test_wrong_usage_exits_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*args, "--db", "x.db"])
    assert done.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_search_prints_what_the_search_box_ranks(
    run: Admin, demo_db: DemoDb, tmp_path: Path
) -> None:
    csv_file = tmp_path / "few.csv"
    csv_file.write_text("Last Name,First Name,DOB,Sex\nGarcía,Mariana,1970-03-04,F\n"
                        "Garcia,Marco,1980-05-06,M\nMarquez,Garcia,1990-01-02,F\n",
                        encoding="utf-8")
    assert run("patients", "import-csv", str(csv_file))[0] == 0
    code, out, err = run("patients", "search", "garcia", "mar")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["MRN", "NAME", "DOB", "SEX", "MATCHED"]
    store = Store.open(*demo_db)
    try:
        with store.session() as session:
            actor = Actor.system(current_seat(session))  # type: ignore[arg-type]
            ranked = search_patients(session, actor, query="garcia mar",
                                     today=date(2026, 11, 25))
    finally:
        store.close()
    assert [line.split()[0] for line in lines[1:]] == [match.mrn for match in ranked]
    assert [line.split("  ")[1].strip() for line in lines[1:]] == [
        "Garcia, Marco", "García, Mariana", "Marquez, Garcia"]
    assert lines[2].split()[-3:] == ["1970-03-04", "female", "name"]
    code, out, _ = run("patients", "search", "garcia", "--limit", "1")
    assert len(out.splitlines()) == 2
    assert run("patients", "search", "nobody-has-this-name") == (0, "", "No patient matches.\n")


def test_import_dry_run_then_import(run: Admin, demo_db: DemoDb, tmp_path: Path) -> None:
    csv_file = tmp_path / "practice.csv"
    csv_file.write_bytes(
        "\ufeffSurname;Given Name;Birth Date;Gender;Mobile;Insurance\r\n"
        "Nguyễn;Thi Mai;3/4/1970;F;(512) 555-0101;Aetna\r\n"
        "Nguyen;Mai;03/04/1970;F;;\r\n".encode())
    code, out, err = run("patients", "import-csv", str(csv_file), "--dry-run")
    assert (code, err) == (0, "")
    assert "2 row(s) read; columns: Surname -> last_name" in out
    assert "ignored: Insurance" in out
    assert "line 3 is like line 2 of the file: same date of birth and similar name" in out
    assert "Would import 2 patient(s) (dry run: nothing written)." in out
    assert patients(demo_db) == 40

    code, out, err = run("patients", "import-csv", str(csv_file), "--map", "insurance=notes")
    assert (code, err) == (0, "")
    assert "Insurance -> notes" in out and "ignored" not in out
    assert "Imported 2 patient(s)." in out
    assert patients(demo_db) == 42
    code, out, _ = run("patients", "import-csv", str(csv_file), "--dry-run")
    assert f"line 2 is like MRN {NEXT_MRN} Nguyễn, Thi Mai (1970-03-04): same name and " \
        "date of birth" in out


def test_any_error_writes_nothing_and_exits_1(
    run: Admin, demo_db: DemoDb, tmp_path: Path
) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("Last,DOB,Phone\nGood,1970-01-01,\nBad,1970-13-45,12\n",
                        encoding="utf-8")
    code, out, err = run("patients", "import-csv", str(csv_file))
    assert code == 1
    assert "Errors (2):" in out
    assert "line 3 (DOB): Date of birth: not a past date" in out
    assert "line 3 (Phone): Home phone: not a valid phone number" in out
    assert err == f"medtrack-admin: 2 error(s) in {csv_file}; nothing was imported.\n"
    assert patients(demo_db) == 40

    for content, message in ((b"", "The file is empty"),
                             (b"Last,DOB\nM\xfcller,1970-01-01\n", "Line 2 is not utf-8 text"),
                             (b"Smith,John,1970-01-01\n", "Line 1 is not a header")):
        csv_file.write_bytes(content)
        code, out, err = run("patients", "import-csv", str(csv_file))
        assert (code, out) == (1, "")
        assert message in err and "Nothing was imported." in err
    csv_file.write_bytes("Last,DOB\nMüller,1970-01-01\n".encode("cp1252"))
    assert run("patients", "import-csv", str(csv_file), "--encoding", "cp1252")[0] == 0
    code, _, err = run("patients", "import-csv", str(tmp_path / "missing.csv"))
    assert code == 1 and "Cannot read" in err and "No such file" in err
    code, _, err = run("patients", "import-csv", str(csv_file), "--map", "DOB=birthday")
    assert code == 1 and "birthday is not a field" in err


def test_clinic_registry_shows_and_changes_the_settings(run: Admin) -> None:
    code, out, _ = run("clinic", "registry")
    assert code == 0
    assert out.splitlines() == ["mrn_prefix = ", "mrn_digits = 7", "retention_years = 10",
                                "retention_minor_until_age = 20", f"next_mrn = {NEXT_MRN}"]
    code, out, _ = run("clinic", "registry", "--mrn-prefix", "RV", "--mrn-digits", "6",
                       "--retention-years", "7", "--minor-until-age", "21")
    assert code == 0
    assert "mrn_prefix = RV" in out and "retention_minor_until_age = 21" in out
    assert f"next_mrn = {mrn_with_check_digit(1, width=6, prefix='RV')}" in out
    code, _, err = run("clinic", "registry", "--retention-years", "3")
    assert code == 1 and "retention_years: must be from 6 to 30" in err
    assert "mrn_prefix = " in run("clinic", "registry", "--mrn-prefix", "")[1].splitlines()
