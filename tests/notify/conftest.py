"""A real SMTP server on loopback, and users with e-mail addresses."""

import email
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from tests.processes import free_port


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.received.append(
            {
                "to": list(envelope.rcpt_tos),
                "from": envelope.mail_from,
                "subject": str(make_header(decode_header(message["Subject"]))),
                "body": message.get_payload(decode=True).decode(message.get_content_charset()),
            }
        )
        return "250 Message accepted for delivery"

    @property
    def subjects(self):
        return [item["subject"] for item in self.received]


class SmtpServer:
    """A loopback SMTP server that a test can start late, on a port chosen early."""

    def __init__(self, port):
        self.port = port
        self.mailbox = Mailbox()
        self._controller = None

    def start(self):
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_port(settings):
    """A free loopback port that Django's SMTP backend sends to (nothing listens yet)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "qitong@example.org"
    return port


@pytest.fixture
def smtp_server(smtp_port):
    """The SMTP server on ``smtp_port``, not yet started."""
    server = SmtpServer(smtp_port)
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    """A running SMTP server's mailbox."""
    smtp_server.start()
    return smtp_server.mailbox


@pytest.fixture
def clerk(unit_user):
    unit_user.email = "clerk@fgw.example.org"
    unit_user.save(update_fields=["email"])
    return unit_user


@pytest.fixture
def officer(office_user):
    office_user.email = "officer@office.example.org"
    office_user.save(update_fields=["email"])
    return office_user
