"""The senders against real local servers: SMTP with STARTTLS, implicit TLS and a login
(aiosmtpd), a text-message gateway over HTTP(S) (``http.server``). Certificates are checked,
plain text is never a fallback, redirects are refused, secrets stay out of ``repr``."""

from __future__ import annotations

from pathlib import Path

import pytest
from outside_world import Certificate, free_port, self_signed, sms_gateway, smtp_server

from medtrack_desktop.domain.scheduling.reminder_senders import (
    HttpSmsGateway,
    SendFailed,
    SmtpSender,
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_starttls_with_a_login_delivers_when_the_certificate_is_trusted(
    certificate: Certificate,
) -> None:
    with smtp_server(tls_context=certificate.server_context(), require_starttls=True) as (
            controller, inbox):
        sender = SmtpSender("localhost", controller.port, "Riverside <desk@riverside.test>",
                            security="starttls", username="desk", password="s3cret-Pass",
                            ca_file=str(certificate.cert_file), timeout=5)
        sender.send("ada@example.org", "Your appointment", "Hello Ada")
        with pytest.raises(SendFailed, match=r"^SMTP: SSLCertVerificationError$"):
            SmtpSender("localhost", controller.port, "desk@riverside.test",
                       security="starttls", timeout=5).send("ben@example.org", "s", "b")
    (mail,) = inbox.messages
    assert (mail["To"], mail["Subject"]) == ("ada@example.org", "Your appointment")
    assert mail["Date"] and mail["Message-ID"].endswith("@riverside.test>")
    assert inbox.logins == [("desk", "s3cret-Pass")]
    assert "s3cret" not in repr(sender)


def test_no_plain_text_fallback_when_the_server_offers_no_starttls() -> None:
    with smtp_server() as (controller, inbox), pytest.raises(
            SendFailed, match=r"^SMTP: SMTPNotSupportedError$"):
        SmtpSender("127.0.0.1", controller.port, "desk@riverside.test",
                   security="starttls", timeout=5).send("ada@example.org", "s", "b")
    assert inbox.messages == []


def test_implicit_tls_delivers(certificate: Certificate) -> None:
    with smtp_server(ssl_context=certificate.server_context()) as (controller, inbox):
        SmtpSender("127.0.0.1", controller.port, "desk@riverside.test", security="tls",
                   ca_file=str(certificate.cert_file), timeout=5).send(
            "ada@example.org", "Your appointment", "Hello Ada")
    assert [mail["To"] for mail in inbox.messages] == ["ada@example.org"]


def test_nobody_listening_is_a_send_failure_naming_no_content() -> None:
    with pytest.raises(SendFailed, match=r"^SMTP: ConnectionRefusedError$"):
        SmtpSender("127.0.0.1", free_port(), "desk@riverside.test", security="none",
                   timeout=5).send("ada@example.org", "s", "b")


def test_the_gateway_gets_json_with_an_e164_number_and_the_bearer_token() -> None:
    with sms_gateway() as gateway:
        sender = HttpSmsGateway(gateway.url, token="tok-123", timeout=5)
        sender.send("(512) 555-0101", "Riverside: reminder of your appointment")
        gateway.status = 503
        with pytest.raises(SendFailed, match=r"^SMS gateway: HTTP 503$"):
            sender.send("(512) 555-0102", "text")
    first = gateway.received[0]
    assert first.path == "/v1/messages"
    assert first.body == {"to": "+15125550101",
                          "text": "Riverside: reminder of your appointment"}
    assert first.headers["authorization"] == "Bearer tok-123"
    assert first.headers["content-type"] == "application/json"
    assert "tok-123" not in repr(sender)


def test_a_redirect_is_refused_so_the_token_goes_nowhere_else() -> None:
    with sms_gateway() as elsewhere, sms_gateway() as gateway:
        gateway.redirect_to = elsewhere.url
        with pytest.raises(SendFailed, match=r"^SMS gateway: HTTP 302$"):
            HttpSmsGateway(gateway.url, token="tok-123", timeout=5).send("5125550101", "t")
    assert len(gateway.received) == 1 and elsewhere.received == []


def test_https_gateway_checks_its_certificate(certificate: Certificate, tmp_path: Path) -> None:
    with sms_gateway(certificate) as gateway:
        HttpSmsGateway(gateway.url, ca_file=str(certificate.cert_file), timeout=5).send(
            "+44 20 7946 0958", "hello")
        with pytest.raises(SendFailed, match=r"^SMS gateway: SSLCertVerificationError$"):
            HttpSmsGateway(gateway.url, timeout=5).send("5125550101", "hello")
    assert [request.body["to"] for request in gateway.received] == ["+442079460958"]


def test_no_gateway_listening_or_an_unreadable_number_fail_plainly() -> None:
    with pytest.raises(SendFailed, match=r"^SMS gateway: ConnectionRefusedError$"):
        HttpSmsGateway(f"http://127.0.0.1:{free_port()}/send", timeout=5).send("5125550101", "t")
    with pytest.raises(SendFailed, match="cannot be read"):
        HttpSmsGateway("http://127.0.0.1:9/send").send("call me", "t")
