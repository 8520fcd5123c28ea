"""What a user sees when an administration job fails: the service's own message, never a
traceback. Only errors whose messages are written for people are shown as they are."""

from __future__ import annotations

from medtrack_desktop.domain.identity.accounts import AccountError
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.policy import PasswordRejected

SAFE_ERRORS = (PermissionDenied, AccountError, PasswordRejected, ValueError, OSError)


def plain_message(error: Exception, *, doing: str) -> str:
    if isinstance(error, OSError) and not isinstance(error, PermissionError):
        return f"Could not {doing}: {error.strerror or 'the file could not be written'}."
    if isinstance(error, SAFE_ERRORS):
        return str(error)
    return f"Could not {doing}. The error was logged ({type(error).__name__})."


def password_reasons(error: PasswordRejected) -> str:
    text = "; ".join(error.reasons)
    return f"{text[:1].upper()}{text[1:]}."


def field_of(message: str) -> str | None:
    """The dialog field an ``AccountError`` message is about (they start with its label)."""
    for prefix, key in (("User name:", "username"), ("Roles:", "roles"),
                        ("First and last name", "first_name"), ("Password:", "password")):
        if message.startswith(prefix):
            return key
    return None
