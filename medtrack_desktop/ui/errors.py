"""What a user sees when a job fails: the service's own message, never a traceback. Only errors
whose messages are written for people are shown as they are."""

from __future__ import annotations

from medtrack_desktop.domain.identity.accounts import AccountError
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.policy import PasswordRejected
from medtrack_desktop.domain.patients.access import PatientNotFound

SAFE_ERRORS = (PermissionDenied, PatientNotFound, AccountError, PasswordRejected, ValueError,
               OSError)


def plain_message(error: Exception, *, doing: str) -> str:
    if isinstance(error, OSError) and not isinstance(error, PermissionError):
        return f"Could not {doing}: {error.strerror or 'the file could not be written'}."
    if isinstance(error, SAFE_ERRORS):
        return str(error)
    return f"Could not {doing}. The error was logged ({type(error).__name__})."
