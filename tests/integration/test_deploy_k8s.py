"""deploy/k8s/yuqing.yaml without a single point of failure in alerting: route, notify and the console
are Deployments of 2+ replicas with disruption budgets and no ReadWriteOnce volume, every role reads
the alert store's URL (and the alerting roles the ack secret) from the Secret, and each probe asks an
endpoint the role serves. Then the pods' own commands run with the pods' environment against a real
PostgreSQL: the probes answer (readiness fails while the database is away, liveness does not), the
stores land in PostgreSQL (nothing in the pods' emptyDir data folders), a user added through one console replica logs in on the other, and an ack link signed by a
notifier verifies in any console."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from console.reports.service import ReportService
from pipeline.config import load_config
from tests.integration.test_deploy_k8s_console import manifest
from tests.kit import REPO_ROOT, terminate, wait_for
from yuqing.bootstrap import App
from yuqing.console_role import free_port
from yuqing.roles import ROLES

ALERTING = ("route", "notify", "console")
SECRET = "yuqing-secrets"


def workloads(docs: list[dict]) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}


def container(workload: dict) -> dict:
    [one] = workload["spec"]["template"]["spec"]["containers"]
    return one


def pod_env(docs: list[dict], c: dict, secret: dict[str, str]) -> dict[str, str]:
    """The container's environment as the kubelet builds it; a missing required Secret key raises
    KeyError (the kubelet refuses to start the container: CreateContainerConfigError)."""
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in c.get("envFrom", []):
        if "configMapRef" in source:
            env.update({k: str(v) for k, v in maps[source["configMapRef"]["name"]].items()})
        else:
            assert source["secretRef"]["name"] == SECRET
            env.update(secret)
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            assert ref["name"] == SECRET and not ref.get("optional", False)
            env[e["name"]] = secret[ref["key"]]
    return env


def test_alerting_runs_replicated_on_postgresql_without_a_node_bound_volume():
    docs = manifest()
    loads = workloads(docs)
    assert {container(w)["args"][0] for w in loads.values()} == set(ROLES)
    # No credential in a ConfigMap.
    for d in docs:
        if d["kind"] == "ConfigMap":
            assert not [k for k, v in d["data"].items() if "SECRET" in k or "PASSWORD" in k or "postgresql:" in str(v)]
    claims = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for role in ALERTING:
        w = loads[role]
        assert w["kind"] == "Deployment" and w["spec"]["replicas"] >= 2
        labels = w["spec"]["template"]["metadata"]["labels"]
        assert w["spec"]["selector"]["matchLabels"].items() <= labels.items()
        # A drain keeps one replica; the replicas are spread over nodes.
        [pdb] = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert pdb["spec"]["minAvailable"] == 1
        [spread] = w["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        # Any claim it mounts can be mounted on every node at once.
        for v in w["spec"]["template"]["spec"]["volumes"]:
            if "persistentVolumeClaim" in v:
                assert claims[v["persistentVolumeClaim"]["claimName"]]["accessModes"] == ["ReadWriteMany"]
        # Links signed by one pod verify in every console: the ack secret is one required Secret key.
        with pytest.raises(KeyError, match="YUQING_ACK_SECRET"):
            pod_env(docs, container(w), {"YUQING_ALERT_STORE_URL": "postgresql://u@db/yuqing"})
    for name, w in loads.items():
        c = container(w)
        # Every role's stores follow the alert store's URL, a required key of the Secret: a pod never
        # falls back to settings.yaml's SQLite default because the key is missing.
        with pytest.raises(KeyError, match="YUQING_ALERT_STORE_URL"):
            pod_env(docs, c, {"YUQING_ACK_SECRET": "x" * 32})
        res = c["resources"]
        assert {"cpu", "memory"} <= set(res["requests"]) and "memory" in res["limits"], name
        # Probes ask what the role serves: readiness /ready (its stores and bus answer) on its --metrics-port,
        # the console's on its web port; liveness /metrics, which never asks the database.
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        metrics = int(c["args"][c["args"].index("--metrics-port") + 1])
        assert ports["metrics"] == metrics
        ready, live = c["readinessProbe"]["httpGet"], c["livenessProbe"]["httpGet"]
        assert (ready["path"], ports[ready["port"]]) == ("/ready", ports["http"] if name == "console" else metrics)
        assert (live["path"], ports[live["port"]]) == ("/metrics", metrics)
    # The console's reports (the one thing it keeps in files) are on the shared claim, where the
    # report service writes them.
    console = container(loads["console"])
    data_dir = Path(pod_env(docs, console, {"YUQING_ALERT_STORE_URL": "", "YUQING_ACK_SECRET": ""})["YUQING_DATA_DIR"])
    [reports] = [m for m in console["volumeMounts"] if m["name"] == "reports"]
    assert Path(reports["mountPath"]) == ReportService(SimpleNamespace(data_dir=data_dir)).dir  # type: ignore[arg-type]


def _start(role: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-c", "from yuqing.cli import main; raise SystemExit(main())",
                                 role, "--metrics-port", "0"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def _metrics_port(data_dir: Path, role: str, pid: int) -> int | None:
    f = data_dir / "run" / f"{role}-{pid}.metrics"
    return int(f.read_text()) if f.exists() and f.read_text() else None


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:
        return None


def outage(server_url: str, database: str, down: bool) -> None:
    """``database`` refuses new connections and its open ones are cut (``down``), or takes them again."""
    import psycopg
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))


@pytest.mark.slow
def test_the_pods_commands_run_on_postgresql_and_keep_nothing_in_their_data_folders(tmp_path, postgres_server):
    if not postgres_server.url:
        pytest.skip(postgres_server.unavailable)
    docs = manifest()
    loads = workloads(docs)
    secret = {"YUQING_ALERT_STORE_URL": postgres_server.new_database(), "YUQING_ACK_SECRET": secrets.token_hex(32)}
    # Two replicas of each alerting role and a scorer, each with its own (emptyDir) data folder. Kafka and
    # Elasticsearch are outside this test: an embedded bus and index in a folder no pod owns.
    pods = [(role, i) for role in ALERTING for i in (0, 1)] + [("score", 0)]
    procs: dict[tuple[str, int], tuple[subprocess.Popen, Path, dict[str, str]]] = {}
    try:
        for role, i in pods:
            c = container(loads[role])
            assert c["args"] == [role, "--metrics-port", c["args"][2]]
            data = tmp_path / f"{role}-{i}"
            env = {**os.environ, **pod_env(docs, c, secret), "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1",
                   "YUQING_CONFIG": str(REPO_ROOT / "config" / "demo"),  # the yuqing-config ConfigMap
                   "YUQING_DATA_DIR": str(data), "YUQING_METRICS_HOST": "127.0.0.1",
                   "YUQING_BUS_URL": f"sqlite:///{tmp_path}/shared/bus.db",
                   "YUQING_INDEX_URL": f"tantivy:///{tmp_path}/shared/index"}
            env.pop("PGPASSWORD", None)  # the test server trusts local connections
            if role == "console":
                env.update(YUQING_CONSOLE_HOST="127.0.0.1", YUQING_CONSOLE_PORT=str(free_port()))
            data.mkdir()
            procs[role, i] = (_start(role, env, tmp_path, tmp_path / f"{role}-{i}.log"), data, env)

        def probes(kind: str) -> list[int | None]:
            """Each pod's answer to its ``kind`` probe (None: no answer)."""
            codes = []
            for (role, i), (proc, data, env) in procs.items():
                assert proc.poll() is None, (tmp_path / f"{role}-{i}.log").read_text(errors="replace")[-3000:]
                probe = container(loads[role])[kind]["httpGet"]
                bound = env["YUQING_CONSOLE_PORT"] if probe["port"] == "http" else _metrics_port(data, role, proc.pid)
                codes.append(_status(f"http://127.0.0.1:{bound}{probe['path']}") if bound else None)
            return codes

        def probes_answer() -> bool:
            return set(probes("readinessProbe")) == set(probes("livenessProbe")) == {200}

        wait_for(probes_answer, 240, "every pod's readiness and liveness probe answering")

        # The database goes away (no new connection, the open ones cut): every pod is not ready, none is
        # restarted (liveness answers); when it is back, every pod is ready again.
        database = secret["YUQING_ALERT_STORE_URL"].rsplit("/", 1)[1]
        outage(postgres_server.url, database, True)
        try:
            wait_for(lambda: set(probes("readinessProbe")) == {503}, 60, "every pod not ready without its database")
            assert set(probes("livenessProbe")) == {200}
        finally:
            outage(postgres_server.url, database, False)
        wait_for(probes_answer, 120, "every pod ready again once the database is back")

        # A first admin added through one console replica (as `kubectl exec … yuqing user add`) logs in
        # on the other: users and sessions are in PostgreSQL, not in the pod.
        _, data0, env0 = procs["console", 0]
        password = "a-k8s-admin-password-2026"
        made = subprocess.run([sys.executable, "-c", "from yuqing.cli import main; raise SystemExit(main())",
                               "user", "add", "admin", "--role", "admin", "--password-env", "ADMIN_PW"],
                              cwd=tmp_path, env={**env0, "ADMIN_PW": password}, capture_output=True, text=True,
                              timeout=300)
        assert made.returncode == 0, made.stderr
        other = procs["console", 1][2]["YUQING_CONSOLE_PORT"]
        r = requests.post(f"http://127.0.0.1:{other}/api/session", json={"username": "admin", "password": password},
                          timeout=30)
        assert r.status_code == 200 and r.json()["user"]["role"] == "admin", r.text
    finally:
        for proc, _, _ in procs.values():
            terminate(proc)

    # Nothing a store keeps is in a pod's data folder: no SQLite alert, story or user store, no ack.secret.
    for (role, i), (_, data, _) in procs.items():
        left = sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file() and "run" not in p.parts)
        assert not [p for p in left if p.endswith((".db", ".db-wal", ".secret"))], (role, i, left)

    # An ack link signed with one notifier's environment verifies with another pod's console: each reads
    # the Secret's key (a secret made in a pod's own data folder would differ per pod).
    apps = []
    for key in (("notify", 0), ("console", 1)):
        with pytest.MonkeyPatch.context() as mp:
            for k, v in procs[key][2].items():
                mp.setenv(k, v)
            app = App(load_config(procs[key][2]["YUQING_CONFIG"]))
            app.ack_signer  # noqa: B018  (built now, from this pod's environment)
            apps.append(app)
    notifier, console = apps
    try:
        for app in apps:
            assert str(app.state_url(app.config.settings.alert_store.url, "x")).startswith("postgresql://")
            assert str(app.console_store).startswith("postgresql://") and app.story_store_url[1] == "alert_store.url"
        token = notifier.ack_signer.token("alert-1", "duty@example.cn", notifier.clock.now())
        assert console.ack_signer.verify(token, console.clock.now()).alert_id == "alert-1"
        assert not list(tmp_path.rglob("ack.secret"))
    finally:
        for app in apps:
            app.close()
