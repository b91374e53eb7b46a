"""Readiness (yuqing/health.py, served at /ready): a role is not ready when a store or bus it needs cannot be
reached, and says which; what lives in the pod's own folder (SQLite, the embedded bus, tantivy) is always
there. The real PostgreSQL outage, with the pods' commands, is tests/integration/test_deploy_k8s.py."""
from __future__ import annotations

import requests

from pipeline import metrics
from tests.kit import build_test_app, free_port
from yuqing.health import NEEDS, readiness
from yuqing.roles import ROLES


def test_every_role_has_a_readiness_check():
    assert set(NEEDS) == set(ROLES)


def test_a_role_on_local_stores_is_ready(tmp_path):
    app = build_test_app(tmp_path)
    assert all(readiness(app, role)() == [] for role in ROLES)


def test_a_role_whose_database_or_bus_cannot_be_reached_is_not_ready_and_says_which(tmp_path):
    nobody = free_port()  # nothing listens there
    app = build_test_app(tmp_path, settings={"alert_store": {"url": f"postgresql://yuqing@127.0.0.1:{nobody}/yuqing"},
                                             "bus": {"url": f"kafka://127.0.0.1:{nobody}"}})
    problems = readiness(app, "route")()
    assert [p.split(":")[0] for p in problems] == ["bus unreachable", "alert store unreachable"]
    # The console's stores follow the alert store into one database: asked once, named together.
    [console] = readiness(app, "console")()
    assert console.startswith("alert store and console store unreachable")
    [crawl] = readiness(app, "crawl")()
    assert crawl.startswith("bus unreachable: ConnectionRefusedError")


def test_the_metrics_port_answers_ready_and_still_serves_metrics():
    problems: list[str] = []
    port = metrics.serve("test", "127.0.0.1", 0, ready=lambda: problems)
    assert port is not None
    assert requests.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200
    problems.append("alert store unreachable: OperationalError")
    r = requests.get(f"http://127.0.0.1:{port}/ready", timeout=5)
    assert r.status_code == 503 and r.text == "alert store unreachable: OperationalError\n"
    assert "yuqing_records_consumed" in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
