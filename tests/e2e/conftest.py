"""Fixtures of the end-to-end tests: a local SMTP recorder and an empty demo site."""
from __future__ import annotations

import pytest

from demo.site import DemoSite
from tests.kit import SmtpRecorder


@pytest.fixture
def smtp():
    with SmtpRecorder() as rec:
        yield rec


@pytest.fixture
def site():
    s = DemoSite(port=0, script=False)
    s.start()
    yield s
    s.stop()
