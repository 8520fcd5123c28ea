"""The encounter editor: writing the note with autosave, signing it, amending a signed note,
verifying signatures.

Autosave: the first edit starts a short timer; when it fires, the note as shown is saved through
the service with the version the editor holds (one save at a time; edits made meanwhile are
saved next). A note therefore reaches the encrypted database a couple of seconds after it was
typed, and a killed app loses at most those seconds. A save refused because someone else saved
first stops autosave and says so: nothing is overwritten, and the text stays on screen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from medtrack_desktop.domain.chart.access import SignedRecordLocked
from medtrack_desktop.domain.chart.encounters import (
    SOAP_SECTIONS,
    EncounterDetail,
    NoteDraft,
    RosEntry,
    SignatureInfo,
    add_clinical_note,
    cancel_encounter,
    encounter,
    encounter_type_label,
    save_note,
)
from medtrack_desktop.domain.chart.signing import (
    MEANING_TEXT,
    NoteVersion,
    SignOutcome,
    note_versions,
    save_amendment,
    sign_amendment,
    sign_encounter,
    start_amendment,
    verify_signatures,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation_lock import lock_settings
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.ui.chart.encounter_editor_view import EncounterEditorView
from medtrack_desktop.ui.chart.sign_dialog import ClinicalNoteDialog, SignDialog
from medtrack_desktop.ui.chart.visit_summary_dialog import open_visit_summary
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.workspace import Changed, Workspace

AUTOSAVE_MS = 2000
STALE = ("Someone else saved this note meanwhile, so autosave stopped and nothing was "
         "overwritten. Copy what you need, then reload the encounter.")


def signature_line(signature: SignatureInfo, zone: ZoneInfo) -> str:
    """How a signature reads on screen and in print."""
    return (f"Electronically signed by {signature.printed_name} "
            f"({MEANING_TEXT[signature.meaning]}) on "
            f"{signature.signed_at.astimezone(zone):%Y-%m-%d %H:%M %Z} \u00b7 "
            f"SHA-256 {signature.content_sha256[:16]}\u2026")


class EncounterEditor(QObject):
    """``sig_changed`` when the encounter's status or versions changed (the timeline
    refreshes)."""

    sig_changed = Signal()

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self.view = EncounterEditorView()
        self.setParent(self.view)
        self._context, self._actor, self._workspace = context, actor, workspace
        self._zone = ZoneInfo(context.seat.clinic_timezone)
        self.calls = ServiceCaller(context, actor, self.view)
        self.detail: EncounterDetail | None = None
        self.versions: list[NoteVersion] = []
        self._editing: NoteVersion | None = None  # a draft amendment being written
        self._version = 0
        self._dirty = self._saving = self._stopped = False
        self._after_save: list[Callable[[], None]] = []
        self._code_required = True
        self.timer = QTimer(self.view, singleShot=True, interval=AUTOSAVE_MS)
        self.timer.timeout.connect(self.save_now)
        for area in self.view.sections.values():
            area.textChanged.connect(self._edited)
        for row in self.view.ros.values():
            row.finding.currentIndexChanged.connect(self._edited)
            row.note.textEdited.connect(self._edited)
        self.view.sign.clicked.connect(self.sign)
        self.view.amend.clicked.connect(self.amend)
        self.view.verify.clicked.connect(self.verify)
        self.view.cancel_visit.clicked.connect(self.cancel)
        self.view.add_note.clicked.connect(self.add_clinical_note)
        self.view.print.clicked.connect(self.print_summary)
        self.view.version.activated.connect(self._version_chosen)
        QShortcut(QKeySequence("Ctrl+Shift+S"), self.view, self.sign)
        QShortcut(QKeySequence("Ctrl+S"), self.view, self.save_now)
        self._loading = False
        self._asked = 0  # loads asked for (see _if_latest)
        self.calls.start("chart.lock_settings", lock_settings,
                         on_done=lambda s: setattr(self, "_code_required", s.code_required),
                         on_failed=lambda _error: None)
        self.show(None)

    # -- showing -------------------------------------------------------------------------------

    def open(self, encounter_id: uuid.UUID | None) -> None:
        """Show another encounter, after saving what this one holds."""
        self.flush(lambda: self._load(encounter_id))

    def _load(self, encounter_id: uuid.UUID | None) -> None:
        if encounter_id is None:
            self.show(None)
            return
        self.view.saved.setText("Loading\u2026")
        self.calls.start("chart.encounter", encounter, encounter_id=encounter_id,
                         on_done=self._if_latest(self.show),
                         on_failed=self._failed("open the encounter"))

    def _if_latest(self, answer: Callable[[Any], None]) -> Callable[[Any], None]:
        """``answer``, called only if nothing was shown or asked for since: loads overlap (a
        reload after signing, the list re-selecting the row) and the latest one wins."""
        self._asked += 1
        ticket = self._asked
        return lambda result: answer(result) if ticket == self._asked else None

    def reload(self) -> None:
        self._stopped = False
        self._load(self.detail.id if self.detail else None)

    def show(self, detail: EncounterDetail | None) -> None:
        self._asked += 1  # an answer to an earlier load must not replace this
        self.detail, self.versions, self._editing = detail, [], None
        self._dirty = self._stopped = False
        self.view.show_problem("")
        self.view.setEnabled(detail is not None)
        self.view.version.clear()
        if detail is None:
            self.view.title.setText("No encounter open")
            self.view.details.setText("Choose one in the list, or start a new one.")
            self._fill(NoteDraft(), editable=False)
            self.view.signature.setText("")
            self.view.notes.setText("")
            self.view.saved.setText("")
            self._update_actions()
            return
        self._version = detail.version
        when = detail.starts_at.astimezone(self._zone)
        self.view.title.setText(f"{encounter_type_label(detail.encounter_type)} "
                                f"\u00b7 {when:%Y-%m-%d %H:%M}")
        extra = " \u00b7 ".join(part for part in (detail.facility, detail.specialty) if part)
        self.view.details.setText(
            f"{detail.provider_name} \u00b7 {detail.status.replace('_', ' ').capitalize()}"
            f"{' · ' + extra if extra else ''}\nReason: {detail.reason}"
            + (f"\nCancelled: {detail.cancelled_reason}" if detail.cancelled_reason else ""))
        self.view.version.addItem("Original", None)
        self._fill(detail.note, editable=detail.editable)
        self.view.notes.setText("\n".join(f"{n.note_type.capitalize()} note \u2014 {n.title}: "
                                          f"{n.body}" for n in detail.clinical_notes))
        self.view.signature.setText("\n".join(signature_line(s, self._zone)
                                              for s in detail.signatures))
        self.view.saved.setText("")
        self._update_actions()
        if detail.status == "signed":
            self.calls.start("chart.versions", note_versions, encounter_id=detail.id,
                             on_done=self._if_latest(self._versions_loaded),
                             on_failed=self._failed("load the versions"))

    def _versions_loaded(self, versions: list[NoteVersion]) -> None:
        self.versions = versions
        self.view.version.clear()
        for version in versions:
            label = "Original" if version.sequence == 0 else (
                f"Amendment {version.sequence}" + (" (draft)" if version.status == "draft"
                                                   else ""))
            self.view.version.addItem(label, version.sequence)
        latest = versions[-1]
        self.view.version.setCurrentIndex(len(versions) - 1)
        self._show_version(latest)

    def _version_chosen(self, index: int) -> None:
        if 0 <= index < len(self.versions):
            self.flush(lambda: self._show_version(self.versions[index]))

    def _show_version(self, version: NoteVersion) -> None:
        draft = version.status == "draft"
        self._editing = version if draft else None
        if draft:
            self._version = version.version
        self._fill(NoteDraft(**{s: getattr(version.note, s) for s in SOAP_SECTIONS},
                             review_of_systems=self.detail.note.review_of_systems
                             if self.detail else None), editable=draft, ros_editable=False)
        lines = [signature_line(s, self._zone) for s in version.signatures]
        if version.reason:
            lines.insert(0, f"Amendment {version.sequence}: {version.reason}")
        self.view.signature.setText("\n".join(lines))
        self._update_actions()

    def _fill(self, note: NoteDraft, *, editable: bool, ros_editable: bool | None = None) -> None:
        self._loading = True
        for section, area in self.view.sections.items():
            area.setPlainText(getattr(note, section))
            area.setReadOnly(not editable)
        review = note.review_of_systems or {}
        ros_on = editable if ros_editable is None else ros_editable
        for system, row in self.view.ros.items():
            entry = review.get(system, RosEntry(None))
            row.finding.setCurrentIndex(max(0, row.finding.findData(entry.finding or "")))
            row.note.setText(entry.note)
            row.finding.setEnabled(ros_on)
            row.note.setReadOnly(not ros_on)
        if review:
            self.view.ros_box.setChecked(True)
        self._loading = False

    def _update_actions(self) -> None:
        detail = self.detail
        may_sign = self._actor.can("chart.sign")
        writable = self._actor.can("chart.write")
        signed = detail is not None and detail.status == "signed"
        self.view.sign.setVisible(may_sign and detail is not None
                                  and (detail.editable or self._editing is not None))
        self.view.amend.setVisible(may_sign and writable and signed and self._editing is None
                                   and not any(v.status == "draft" for v in self.versions))
        self.view.verify.setVisible(signed)
        self.view.cancel_visit.setVisible(writable and detail is not None and detail.editable)
        self.view.add_note.setVisible(writable and detail is not None and detail.editable)
        self.view.print.setVisible(detail is not None)
        self.view.version.setEnabled(len(self.versions) > 1)

    # -- autosave ------------------------------------------------------------------------------

    def draft(self) -> NoteDraft:
        review = {system: RosEntry(row.finding.currentData() or None, row.note.text())
                  for system, row in self.view.ros.items()}
        return NoteDraft(**{s: area.toPlainText() for s, area in self.view.sections.items()},
                         review_of_systems=review)

    def _edited(self, *_args: Any) -> None:
        if self._loading or self.detail is None or self._stopped:
            return
        self._dirty = True
        self.view.saved.setText("Not saved yet")
        if not self.timer.isActive():
            self.timer.start()

    def save_now(self) -> None:
        if not self._dirty or self._saving or self._stopped or self.detail is None:
            return
        self._saving, self._dirty = True, False
        self.timer.stop()
        self.view.saved.setText("Saving\u2026")
        if self._editing is not None:
            self.calls.start("chart.amendment.save", save_amendment,
                             amendment_id=self._editing.amendment_id, draft=self.draft(),
                             version=self._version, on_done=self._saved,
                             on_failed=self._save_failed)
        else:
            self.calls.start("chart.note.save", save_note, encounter_id=self.detail.id,
                             draft=self.draft(), version=self._version, on_done=self._saved,
                             on_failed=self._save_failed)

    def _saved(self, version: int) -> None:
        self._saving = False
        self._version = version
        self.view.show_problem("")
        self.view.saved.setText("Saved")
        if self._dirty:
            self.save_now()
        else:
            self._run_after_save()

    def _save_failed(self, error: Exception) -> None:
        self._saving = False
        self._dirty = True
        if isinstance(error, StaleRecord):
            self._stopped = True
            self.view.show_problem(STALE)
        elif isinstance(error, SignedRecordLocked):
            self._stopped = True
            self.view.show_problem(str(error))
        elif (errors := invalid_fields(error)) is not None:
            self.view.show_problem(" ".join(errors.values()))
        else:
            self.view.show_problem(error_text(error, doing="save the note"))
        self.view.saved.setText("Not saved")
        self._after_save.clear()

    def flush(self, then: Callable[[], None]) -> None:
        """Run ``then`` once what is typed is saved (at once when nothing is pending). If the
        save fails, ``then`` is dropped and the problem shown: nothing typed is thrown away."""
        if self._stopped and self._dirty:
            self.view.show_problem(STALE)
            return
        if not self._dirty and not self._saving:
            then()
            return
        self._after_save.append(then)
        self.save_now()

    def _run_after_save(self) -> None:
        waiting, self._after_save = self._after_save, []
        for action in waiting:
            action()

    @property
    def has_unsaved(self) -> bool:
        return self._dirty or self._saving

    # -- signing, amending, verifying ----------------------------------------------------------

    def sign(self) -> None:
        if self.detail is None or not self.view.sign.isVisible():
            return
        self.flush(self._ask_signature)

    def _ask_signature(self) -> None:
        detail = self.detail
        if detail is None:
            return
        amendment = self._editing
        meaning = "authorship" if detail.provider_id == self._actor.user_id else "review"
        dialog = SignDialog(signer=self._actor.display_name,
                            what="amendment" if amendment else "note",
                            code_required=self._code_required, meaning=meaning,
                            parent=self.view)
        dialog.sig_submit.connect(lambda: self._submit_signature(dialog))
        self.dialog = dialog
        dialog.open()

    def _submit_signature(self, dialog: SignDialog) -> None:
        dialog.set_busy(True)
        common: dict[str, Any] = {
            "version": self._version, "password": dialog.password.text(),
            "code": dialog.code.text().strip() or None,
            "meaning": dialog.meaning.currentData()}
        if self._editing is not None:
            service, key, value = sign_amendment, "amendment_id", self._editing.amendment_id
        else:
            service, key, value = sign_encounter, "encounter_id", self.detail.id  # type: ignore[union-attr]

        def done(outcome: SignOutcome) -> None:
            if outcome.signature is None:
                dialog.signature_refused(outcome.refused or "Not signed.")
                return
            dialog.accept()
            self._workspace.announce(Changed.CHART)
            self.sig_changed.emit()
            self.reload()

        self.calls.start("chart.sign", service, on_done=done,
                         on_failed=lambda error: dialog.refused(error, doing="sign"),
                         **{key: value}, **common)

    def amend(self) -> None:
        if self.detail is None or not self.view.amend.isVisible():
            return
        reason, ok = QInputDialog.getText(
            self.view, "Amend the note", "What is corrected, and why:", QLineEdit.EchoMode.Normal)
        if not ok:
            return
        self.calls.start("chart.amend", start_amendment, encounter_id=self.detail.id,
                         reason=reason, on_done=lambda _v: self.reload(),
                         on_failed=self._failed("start the amendment"))

    def verify(self) -> None:
        if self.detail is None:
            return

        def shown(checks: list[Any]) -> None:
            good = all(check.valid for check in checks)
            text = "\n".join(
                f"{'Valid' if c.valid else 'DOES NOT MATCH'} \u2014 "
                f"{signature_line(c.signature, self._zone)}" for c in checks)
            box = QMessageBox.information if good else QMessageBox.critical
            box(self.view, "Signature verification",
                (text or "No signatures.") + ("" if good else
                "\n\nThe record no longer matches what was signed. Report this to the "
                "privacy officer."))

        self.calls.start("chart.verify", verify_signatures, encounter_id=self.detail.id,
                         on_done=shown, on_failed=self._failed("verify the signatures"))

    def cancel(self) -> None:
        detail = self.detail
        if detail is None or not detail.editable:
            return
        reason, ok = QInputDialog.getText(self.view, "Cancel the encounter",
                                          "Why is it cancelled? (it is kept, not erased)")
        if not ok:
            return

        def cancelled(_detail: EncounterDetail) -> None:
            self._workspace.announce(Changed.CHART)
            self.sig_changed.emit()
            self.reload()

        self.flush(lambda: self.calls.start(
            "chart.cancel", cancel_encounter, encounter_id=detail.id, reason=reason,
            version=self._version, on_done=cancelled,
            on_failed=self._failed("cancel the encounter")))

    def print_summary(self) -> None:
        """The visit summary PDF (previewed, then printed or saved), once the note is saved."""
        detail = self.detail
        if detail is not None:
            self.flush(lambda: setattr(self, "summary_dialog", open_visit_summary(
                self._context, self._actor, detail.id, self.view)))

    def add_clinical_note(self) -> None:
        detail = self.detail
        if detail is None or not self.view.add_note.isVisible():
            return
        dialog = ClinicalNoteDialog(self.view)

        def added(_note: object) -> None:
            dialog.accept()
            self.reload()

        def submit() -> None:
            dialog.set_busy(True)
            self.calls.start(
                "chart.note.add", add_clinical_note, encounter_id=detail.id,
                note_type=dialog.note_type.currentData(), title=dialog.title.text(),
                body=dialog.body.toPlainText(), on_done=added,
                on_failed=lambda error: dialog.refused(error, doing="add the note"))

        dialog.sig_submit.connect(submit)
        self.dialog = dialog
        dialog.open()

    def _failed(self, doing: str) -> Callable[[Exception], None]:
        def show(error: Exception) -> None:
            errors = invalid_fields(error)
            self.view.saved.setText("")
            self.view.show_problem(" ".join(errors.values()) if errors is not None
                                   else error_text(error, doing=doing))
        return show

