"""How the administration dialogs word a refused password and find the field a message is
about."""

from __future__ import annotations

from medtrack_desktop.domain.identity.policy import PasswordRejected


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
