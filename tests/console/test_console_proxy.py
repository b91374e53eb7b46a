"""Login throttling behind a reverse proxy (issue 12): X-Forwarded-For counts only when the
request comes from an address in settings.yaml console.trusted_proxies. The test client
reaches the console from 127.0.0.1, which plays the proxy when it is trusted."""
import pytest
import requests

from console.users import MAX_FAILURES
from pipeline.config import ConfigError, load_config
from tests.console.conftest import PASSWORD, start_console, stop_console
from tests.kit import copy_config


def login(server, client: str | None, password: str = "guess") -> int:
    headers = {"X-Forwarded-For": client} if client else {}
    return requests.post(f"{server.url}/api/session", json={"username": "analyst", "password": password},
                         headers=headers, timeout=10).status_code


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(tmp_path):
    app, _, server = start_console(tmp_path, settings={"console": {"trusted_proxies": ["127.0.0.0/8", "10.9.0.0/16"]}})
    try:
        for _ in range(MAX_FAILURES):
            assert login(server, "203.0.113.7") == 401
        assert login(server, "203.0.113.7", PASSWORD) == 429  # that client waits …
        assert login(server, "198.51.100.20", PASSWORD) == 200  # … everyone else behind the proxy does not
        # A chain through a second proxy of ours: the rightmost address that is not ours is the client.
        assert login(server, "203.0.113.7, 10.9.0.4", PASSWORD) == 429
        # A client cannot escape by prepending an address of its choice: the proxy appends what it saw.
        assert login(server, "198.51.100.99, 203.0.113.7", PASSWORD) == 429
    finally:
        stop_console(app, server)


def test_without_trusted_proxies_the_header_is_ignored(tmp_path):
    app, _, server = start_console(tmp_path)
    try:
        for i in range(MAX_FAILURES):
            assert login(server, f"203.0.113.{i}") == 401  # a new "address" each time: no way around the throttle
        assert login(server, "198.51.100.20", PASSWORD) == 429
    finally:
        stop_console(app, server)


def test_trusted_proxies_must_be_addresses_or_networks(tmp_path):
    root = copy_config(tmp_path / "config", settings={"console": {"trusted_proxies": ["10.0.0.0/8", "proxy.lan"]}})
    with pytest.raises(ConfigError) as err:
        load_config(root)
    assert "settings.yaml: console.trusted_proxies: [1]: 'proxy.lan' is not an IP address or network" in str(err.value)
