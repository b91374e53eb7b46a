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
def app_rules():
    """rules.yaml overrides for ``app``; a module overrides this fixture to change the routes."""
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, smtp, app_rules):
    """The App, its alert store in a SQLite file and then in a PostgreSQL database."""
    settings = {}
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        if not server.url:
            pytest.skip(server.unavailable)
        settings = {"alert_store": {"url": server.new_database()}}
    app = build_test_app(tmp_path, smtp_port=smtp.port, clock=FakeClock(), settings=settings, rules=app_rules)
    yield app
    app.close()
