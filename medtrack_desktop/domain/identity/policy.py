"""The clinic's password policy (seed documents: at least 8 characters with upper case, lower
case, digit and special character; a clinic may raise the minimum length)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MIN_LENGTH = 8
MAX_LENGTH = 1024


class PasswordRejected(ValueError):
    """The password breaks the policy; ``reasons`` are short phrases to show at the field."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("Password: " + "; ".join(reasons) + ".")
        self.reasons = reasons


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = DEFAULT_MIN_LENGTH

    def __post_init__(self) -> None:
        if not DEFAULT_MIN_LENGTH <= self.min_length <= 128:
            raise ValueError(f"The minimum password length must be {DEFAULT_MIN_LENGTH} to 128.")

    def problems(self, password: str, *, username: str | None = None) -> list[str]:
        """Every rule the password breaks, in the order a person would fix them."""
        reasons = []
        if len(password) < self.min_length:
            reasons.append(f"use at least {self.min_length} characters")
        if len(password) > MAX_LENGTH:
            reasons.append(f"use at most {MAX_LENGTH} characters")
        if not any(ch.isupper() for ch in password):
            reasons.append("add an upper-case letter")
        if not any(ch.islower() for ch in password):
            reasons.append("add a lower-case letter")
        if not any(ch.isdigit() for ch in password):
            reasons.append("add a digit")
        if all(ch.isalnum() for ch in password):
            reasons.append("add a special character such as ! ? # or -")
        if username and username.lower() in password.lower():
            reasons.append("do not include your user name")
        return reasons

    def check(self, password: str, *, username: str | None = None) -> None:
        reasons = self.problems(password, username=username)
        if reasons:
            raise PasswordRejected(reasons)
