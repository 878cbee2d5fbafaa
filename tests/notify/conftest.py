import pytest

from tests.notify.smtp import SmtpServer, free_port


@pytest.fixture
def smtp_settings(settings):
    """Django's SMTP backend pointed at a local port; returns the port."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_USE_TLS = False
    return port


@pytest.fixture
def smtp_server(smtp_settings):
    with SmtpServer(port=smtp_settings) as server:
        yield server
