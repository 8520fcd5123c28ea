"""``medtrack-admin patients search|import-csv|restrict`` (``patient`` is an alias)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medtrack_desktop.cli.common import (
    CommandError,
    CommandTree,
    clinic_today,
    column_field,
    db_option,
    encoding,
    open_store,
    positive,
    system_actor,
)
from medtrack_desktop.domain.patients.access import (
    PatientNotFound,
    patient_id_for_mrn,
    set_privacy,
)
from medtrack_desktop.domain.patients.csv_import import (
    FIELDS,
    ImportFileError,
    ImportPlan,
    ImportRefused,
    apply_import,
    decoded_lines,
    plan_import,
)
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.store.keys import KeyStore


def cmd_patient_restrict(args: argparse.Namespace, keys: KeyStore) -> None:
    """Restrict a record to its care team (or lift it); everyone else breaks the glass."""
    store = open_store(keys, args.db)
    try:
        actor = system_actor(store)
        with store.session() as session:
            patient_id = patient_id_for_mrn(session, actor, mrn=args.mrn)
            team = set_privacy(session, actor, patient_id=patient_id, restricted=not args.off,
                               care_team=tuple(args.care_team or ()))
    except (PatientNotFound, ValueError) as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    state = "no longer restricted" if args.off else "restricted"
    print(f"MRN {args.mrn}: {state}; care team: {', '.join(team) or 'nobody'}.",
          file=sys.stderr)


def cmd_patients_search(args: argparse.Namespace, keys: KeyStore) -> None:
    """The search box's ranked matches, one per line (the search is audited)."""
    store = open_store(keys, args.db)
    try:
        actor = system_actor(store)
        with store.session() as session:
            matches = search_patients(session, actor, query=" ".join(args.query),
                                      today=clinic_today(actor), limit=args.limit)
    finally:
        store.close()
    if not matches:
        print("No patient matches.", file=sys.stderr)
        return
    lines = [("MRN", "NAME", "DOB", "SEX", "MATCHED")] + [
        (m.mrn, m.display_name, m.date_of_birth.isoformat(), m.sex,
         " ".join([m.matched_on, *(["restricted"] if m.restricted else []),
                   *(["deceased"] if m.deceased else [])]))
        for m in matches]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False))
              + "  " + line[4])


def _print_import_report(plan: ImportPlan, *, imported: int | None) -> None:
    header_of = {name: header for header, name in plan.columns if name}

    def where(line: int, name: str) -> str:
        return f"line {line}" + (f" ({header_of[name]})" if name in header_of else "")

    print(f"{plan.rows_read} row(s) read; columns: "
          + ", ".join(f"{header} -> {name}" for header, name in plan.columns if name)
          + (f"; ignored: {', '.join(plan.ignored)}" if plan.ignored else ""))
    for title, issues in (("Errors", plan.errors), ("Warnings", plan.warnings)):
        if issues:
            print(f"{title} ({len(issues)}):")
            for issue in issues:
                print(f"  {where(issue.line, issue.field)}: {issue.message}")
    if plan.duplicates:
        print(f"Likely duplicates ({len(plan.duplicates)}):")
        for duplicate in plan.duplicates:
            found = duplicate.patient
            other = (f"MRN {found.mrn} {found.display_name} ({found.date_of_birth})" if found
                     else f"line {duplicate.other_line} of the file")
            print(f"  line {duplicate.line} is like {other}: {'; '.join(duplicate.reasons)}")
    if imported is not None:
        print(f"Imported {imported} patient(s).")
    elif not plan.errors:
        print(f"Would import {len(plan.records)} patient(s) (dry run: nothing written).")


def cmd_patients_import(args: argparse.Namespace, keys: KeyStore) -> None:
    """Plan the import of a patient list, print the report, and import it unless there is
    an error or it is a dry run (all or nothing)."""
    try:
        raw = args.file.open("rb")
    except OSError as exc:
        raise CommandError(f"Cannot read {args.file}: {exc.strerror or exc}.") from None
    with raw:
        store = open_store(keys, args.db)
        try:
            actor = system_actor(store)
            with store.session() as session:
                plan = plan_import(session, actor, lines=decoded_lines(raw, encoding=args.encoding),
                                   mapping=dict(args.map or ()), today=clinic_today(actor))
                imported = (apply_import(session, actor, plan=plan)
                            if not plan.errors and not args.dry_run else None)
        except (ImportFileError, ImportRefused) as exc:
            raise CommandError(f"{args.file}: {exc} Nothing was imported.") from None
        finally:
            store.close()
    _print_import_report(plan, imported=imported)
    if plan.errors:
        raise CommandError(f"{len(plan.errors)} error(s) in {args.file}; nothing was imported.")


def add_patient_commands(tree: CommandTree) -> None:
    patient_commands = tree.group("patients", "Patient records: search, import, privacy.",
                                  aliases=("patient",))
    search = tree.command("search", cmd_patients_search,
                          "Print the patients the search box finds for QUERY, best first (name "
                          "parts in any order, DOB, MRN, phone, SSN or its last 4).",
                          patient_commands)
    db_option(search)
    search.add_argument("query", nargs="+", metavar="QUERY", help="what would be typed")
    search.add_argument("--limit", type=positive, default=25, metavar="N",
                        help="at most N matches (default 25)")
    import_csv = tree.command("import-csv", cmd_patients_import,
                              "Import a practice's patient list (CSV with a header row): print "
                              "a report of errors and likely duplicates, and write nothing if "
                              "there is any error.", patient_commands)
    db_option(import_csv)
    import_csv.add_argument("file", type=Path, metavar="FILE", help="the CSV file")
    import_csv.add_argument("--map", action="append", type=column_field,
                            metavar="COLUMN=FIELD",
                            help="read COLUMN as FIELD (COLUMN= ignores it); repeat for "
                            f"several. Fields: {', '.join(FIELDS)}")
    import_csv.add_argument("--dry-run", action="store_true",
                            help="only check the file and report; never write")
    import_csv.add_argument("--encoding", type=encoding, default="utf-8",
                            help="the file's text encoding (default utf-8; e.g. cp1252)")
    restrict = tree.command("restrict", cmd_patient_restrict,
                            "Restrict a record to its care team; anyone else must give a "
                            "reason to open it (break the glass).", patient_commands)
    db_option(restrict)
    restrict.add_argument("--mrn", required=True, help="the patient's MRN")
    restrict.add_argument("--care-team", action="append", metavar="USER",
                          help="a user who opens it as usual (repeat for several)")
    restrict.add_argument("--off", action="store_true", help="lift the restriction")
