"""How a reminder leaves the clinic: email through an SMTP server, a text message through an
HTTP gateway. Each sender hands one message over or raises ``SendFailed`` with a reason that
never quotes the message, the address or the number (it is stored and printed).

Both verify the server's certificate (the system's CAs, or ``ca_file``) and never fall back to
plain text: a server that cannot do STARTTLS fails the send. Secrets are fields hidden from
``repr`` so that no traceback or log line shows them.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Literal, Protocol
from urllib.parse import urlsplit

import phonenumbers

SmtpSecurity = Literal["starttls", "tls", "none"]


class SendFailed(RuntimeError):
    """A reminder could not be handed over; the message says why, without its content."""


class EmailSender(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Hand an email over, or raise ``SendFailed``."""


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None:
        """Hand a text message over, or raise ``SendFailed``."""


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Certificate and host name checked (unlike smtplib's own default for STARTTLS)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _reason(error: BaseException) -> str:
    """What went wrong, by kind and SMTP code only (an SMTP reply may quote the address)."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if isinstance(code, int) else ''}"


@dataclass(frozen=True)
class SmtpSender:
    """Email through an SMTP server: ``security`` "starttls" (submission, port 587), "tls"
    (implicit TLS, port 465) or "none" (a relay on this computer); a login when given."""

    host: str
    port: int
    sender: str
    security: SmtpSecurity = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = 20.0

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Date"] = formatdate(localtime=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(body)
        try:
            context = None if self.security == "none" else _tls_context(self.ca_file)
            server = (smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                       context=context)
                      if self.security == "tls"
                      else smtplib.SMTP(self.host, self.port, timeout=self.timeout))
            with server:
                if self.security == "starttls":
                    server.starttls(context=context)
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(f"SMTP: {_reason(error)}") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: following it would hand the token and the text to whoever
    the gateway points at."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class HttpSmsGateway:
    """A generic text-message gateway: ``POST url`` with JSON ``{"to": E.164 number, "text":
    …}`` and ``Authorization: Bearer <token>``; any 2xx answer means handed over."""

    url: str
    token: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    region: str = "US"  # how a national number is read
    timeout: float = 20.0

    def _e164(self, number: str) -> str:
        try:
            parsed = phonenumbers.parse(number, self.region)
        except phonenumbers.NumberParseException:
            raise SendFailed("SMS gateway: the mobile number cannot be read") from None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def send(self, to: str, text: str) -> None:
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "User-Agent": "MedTrack-Desktop-reminders"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url, method="POST", headers=headers,
            data=json.dumps({"to": self._e164(to), "text": text}).encode("utf-8"))
        handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
        if urlsplit(self.url).scheme == "https":
            handlers.append(urllib.request.HTTPSHandler(context=_tls_context(self.ca_file)))
        try:
            with urllib.request.build_opener(*handlers).open(request,
                                                             timeout=self.timeout) as answer:
                answer.read(4096)
        except urllib.error.HTTPError as error:
            raise SendFailed(f"SMS gateway: HTTP {error.code}") from None
        except urllib.error.URLError as error:
            reason = error.reason if isinstance(error.reason, BaseException) else error
            raise SendFailed(f"SMS gateway: {type(reason).__name__}") from None
        except (OSError, ValueError) as error:
            raise SendFailed(f"SMS gateway: {type(error).__name__}") from None


@dataclass(frozen=True)
class Senders:
    """What this workstation can send with; a channel left None is not sent (it waits)."""

    email: EmailSender | None = None
    sms: SmsGateway | None = None

    def channels(self) -> tuple[str, ...]:
        return tuple(name for name, sender in (("email", self.email), ("sms", self.sms))
                     if sender is not None)
