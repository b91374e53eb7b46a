"""The deployment files agree with the code: the image holds every package, and the compose
file runs real roles on Kafka, Elasticsearch and PostgreSQL."""
from __future__ import annotations

import re

import yaml

from tests.kit import REPO_ROOT
from yuqing.roles import ROLES

DEPLOY = REPO_ROOT / "deploy"


def test_the_image_copies_every_package():
    # [tool.setuptools.packages.find] include = ["contracts*", …] (tomllib is not in Python 3.10)
    include = re.search(r"^include = \[(.*)\]$", (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert include is not None
    packages = set(re.findall(r'"(\w+)\*"', include.group(1)))
    assert len(packages) >= 8
    copied = set(re.findall(r"^COPY (\w+) \1$", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"), re.M))
    assert packages == copied, f"missing from the image: {packages - copied}; not a package: {copied - packages}"


def test_compose_runs_the_roles_on_kafka_elasticsearch_and_postgresql():
    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"kafka", "elasticsearch", "postgres"} <= set(services)
    env = services["score"]["environment"]
    assert env["YUQING_BUS_URL"].startswith("kafka://kafka:")
    assert env["YUQING_INDEX_URL"].startswith("http://elasticsearch:")
    assert env["YUQING_ALERT_STORE_URL"].startswith("postgresql://") and "@postgres:" in env["YUQING_ALERT_STORE_URL"]
    for role in ("crawl", "score", "index", "route", "notify"):
        assert services[role]["command"][0] == role and role in ROLES
        assert "postgres" in services[role]["depends_on"]
