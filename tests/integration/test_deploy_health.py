"""Every role's health check in deploy/compose.yml asks the role's readiness (/ready) where the role
serves it — its --metrics-port (the settings' port for that role), the console on its web port —
the same endpoint deploy/k8s/yuqing.yaml's readiness probe asks; and the check, run as compose runs
it, fails while the role is not ready and passes when it is."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from pipeline.config.settings import METRICS_ROLES, Settings
from pipeline.metrics import serve
from tests.integration.test_deploy_console import DEPLOY, compose_env
from tests.integration.test_deploy_k8s_console import manifest, pod_of

URL = re.compile(r"urlopen\('http://127\.0\.0\.1:(\d+)(/\w+)'")


def services() -> dict[str, dict]:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))["services"]


def checked(service: dict) -> tuple[int, str]:
    """The (port, path) the service's health check asks."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    [(port, path)] = URL.findall(test[3])
    return int(port), path


@pytest.mark.parametrize("role", METRICS_ROLES)
def test_each_role_is_health_checked_on_its_readiness(role):
    service = services()[role]
    command = service["command"]
    assert command[0] == role
    metrics = int(command[command.index("--metrics-port") + 1])
    assert metrics == Settings().metrics_ports[role], "compose's port is the settings' port for the role"
    port, path = checked(service)
    web = int(compose_env(service)["YUQING_CONSOLE_PORT"]) if role == "console" else metrics
    assert (port, path) == (web, "/ready")
    # The Kubernetes readiness probe asks the same endpoint of the same role.
    _, container = pod_of(manifest(), role)
    probe = container["readinessProbe"]["httpGet"]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert (named[probe["port"]], probe["path"]) == (port, path)


def test_the_health_check_fails_while_the_role_is_not_ready():
    problems: list[str] = ["postgresql: connection refused"]
    bound = serve("score", "127.0.0.1", 0, ready=lambda: list(problems))
    assert bound
    service = services()["score"]
    metrics = service["command"][service["command"].index("--metrics-port") + 1]
    code = service["healthcheck"]["test"][3].replace(f":{metrics}/", f":{bound}/")

    def run() -> int:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode

    assert run() != 0  # 503: docker marks the container unhealthy
    problems.clear()
    assert run() == 0
