"""deploy/k8s/yuqing.yaml's console: the settings and ports of compose.yml's console
service, the ack secret route and notify sign with (tests/integration/test_deploy_console.py runs compose's first-admin command), and a
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
    """What the container sees of its ConfigMaps (envFrom) and its own plain ``env`` values."""
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update({k: str(v) for k, v in maps[source["configMapRef"]["name"]].items()})
    env.update({e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e})  # not Secret keys
    return env


def pod_of(docs: list[dict], container_name: str) -> tuple[dict, dict]:
    [(workload, container)] = [(d, c) for d in docs if d["kind"] in ("Deployment", "StatefulSet")
                               for c in d["spec"]["template"]["spec"]["containers"] if c["name"] == container_name]
    return workload, container


def test_the_k8s_console_has_compose_settings_ports_and_the_ack_secret():
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
    named = {p["name"]: p["containerPort"] for p in console["ports"]}
    assert probe["path"] in compose["healthcheck"]["test"][-1] and named.get(probe["port"], probe["port"]) in published
    # Compose shares one volume between console, route and notify (the ack-link secret when
    # YUQING_ACK_SECRET is not set): here each is its own Deployment on different nodes, so the three
    # read the secret from the same key of the Secret instead (tests/integration/test_deploy_k8s.py).
    shared = set(compose["volumes"]) & set(services["route"]["volumes"]) & set(services["notify"]["volumes"])
    assert shared
    for role in ("console", "route", "notify"):
        other, container = pod_of(docs, role)
        assert other["kind"] == "Deployment" and (role == "console") == (other is workload)
        [ref] = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if e["name"] == "YUQING_ACK_SECRET"]
        assert ref == {"name": "yuqing-secrets", "key": "YUQING_ACK_SECRET"}
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
    kind = {"Deployment": "deploy", "StatefulSet": "statefulset"}[workload["kind"]]
    assert argv[argv.index("-c") + 1] == "console" and argv[argv.index("-it") + 1] == f"{kind}/{workload['metadata']['name']}"
    command = argv[argv.index("--") + 2:]  # after `-- yuqing`
    assert command == [a for a in documented_command() if a not in ("--password-env", "YUQING_ADMIN_PASSWORD")]
    args = build_parser().parse_args(command)
    assert (args.command, args.action, args.username, args.role) == ("user", "add", "admin", "admin")
