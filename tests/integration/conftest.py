"""Fixtures shared by the alerting integration tests: a real local SMTP
server and an App built through the composition root on a fake clock."""
import pytest

from contracts.clock import FakeClock
from tests.kit import SmtpRecorder, build_test_app


@pytest.fixture
def smtp():
    with SmtpRecorder() as rec:
        yield rec


@pytest.fixture
def app(tmp_path, smtp):
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock())
    yield app
    app.close()
