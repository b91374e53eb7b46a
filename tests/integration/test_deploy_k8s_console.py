"""deploy/k8s/yuqing.yaml's console: the settings, ports and shared volume of compose.yml's console
service (tests/integration/test_deploy_console.py runs compose's first-admin command), and a
documented first-admin command that the CLI accepts."""
from __future__ import annotations

import re
import shlex

import yaml

from tests.integration.test_deploy_console import DEPLOY, compose_env, documented_command
from yuqing.cli import build_parser

COMPOSE_CONSOLE_KEYS = ("YUQING_CONSOLE_HOST", "YUQING_CONSOLE_PORT", "YUQING_DEMO_USERS")


def manifest() -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "yuqing.yaml").read_text(encoding="utf-8")) if d]


def container_env(docs: list[dict], container: dict) -> dict[str, str]:
    """What the container sees: its ConfigMaps (envFrom) overridden by its own ``env``."""
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update({k: str(v) for k, v in maps[source["configMapRef"]["name"]].items()})
    env.update({e["name"]: str(e["value"]) for e in container.get("env", [])})
    return env


def pod_of(docs: list[dict], container_name: str) -> tuple[dict, dict]:
    [(workload, container)] = [(d, c) for d in docs if d["kind"] in ("Deployment", "StatefulSet")
                               for c in d["spec"]["template"]["spec"]["containers"] if c["name"] == container_name]
    return workload, container


def test_the_k8s_console_has_compose_settings_ports_and_shared_volume():
    docs = manifest()
    services = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))["services"]
    compose = services["console"]
    workload, console = pod_of(docs, "console")
    assert console["args"] == compose["command"]
    env, want = container_env(docs, console), compose_env(compose)
    assert {k: env.get(k) for k in COMPOSE_CONSOLE_KEYS} == {k: want[k] for k in COMPOSE_CONSOLE_KEYS}
    # The published port (host:container) and the metrics port of the command line are the container's.
    published = {int(p.rsplit(":", 1)[1]) for p in compose["ports"]}
    metrics = int(compose["command"][compose["command"].index("--metrics-port") + 1])
    assert {p["containerPort"] for p in console["ports"]} == published | {metrics}
    probe = console["readinessProbe"]["httpGet"]
    assert probe["path"] in compose["healthcheck"]["test"][-1] and probe["port"] in published
    # Compose shares one volume between console, route and notify (alert store, users, ack secret):
    # here the console mounts route's and notify's volumes at the same places, in their pod.
    shared = set(compose["volumes"]) & set(services["route"]["volumes"]) & set(services["notify"]["volumes"])
    assert shared
    mounts = {(m["name"], m["mountPath"]) for m in console["volumeMounts"]}
    for role in ("route", "notify"):
        other, container = pod_of(docs, role)
        assert other is workload and mounts == {(m["name"], m["mountPath"]) for m in container["volumeMounts"]}
    # Every role renders links with the console's address, set once.
    urls = {container_env(docs, c).get("YUQING_CONSOLE_BASE_URL") for d in docs
            if d["kind"] in ("Deployment", "StatefulSet") for c in d["spec"]["template"]["spec"]["containers"]}
    assert len(urls) == 1 and re.match(r"https://", urls.pop() or "")
    # A Service reaches the console's port in that pod.
    [service] = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "console"]
    labels = workload["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= {p["name"] for p in console["ports"]}


def test_the_documented_first_admin_command_names_the_console_container_and_parses():
    text = (DEPLOY / "k8s" / "yuqing.yaml").read_text(encoding="utf-8") + (DEPLOY / "README.md").read_text(encoding="utf-8")
    lines = {ln.strip(" #") for ln in text.splitlines() if "kubectl" in ln and " user add " in ln}
    assert len(lines) == 1, lines
    argv = shlex.split(lines.pop())
    workload, _ = pod_of(manifest(), "console")
    assert argv[argv.index("-c") + 1] == "console" and argv[argv.index("exec") + 2].startswith(workload["metadata"]["name"])
    command = argv[argv.index("--") + 2:]  # after `-- yuqing`
    assert command == [a for a in documented_command() if a not in ("--password-env", "YUQING_ADMIN_PASSWORD")]
    args = build_parser().parse_args(command)
    assert (args.command, args.action, args.username, args.role) == ("user", "add", "admin", "admin")
