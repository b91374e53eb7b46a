"""A crawl stopped by a signal (a restart, a deploy, the scheduler stopping) is not a failure of its
source: recorded as one, the source would show as failing — 失明渠道 on the duty room's wall and the
feed's 有信息源失明 — until its next run, though nothing is wrong with it."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import yaml

from crawlers.health import source_health
from pipeline.config import load_config
from tests.kit import REPO_ROOT, copy_config


def test_a_crawl_stopped_by_a_signal_is_not_recorded_as_a_failure(tmp_path):
    with socket.socket() as server:  # accepts and never answers: the crawl waits on its first request
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(120)
        config = copy_config(tmp_path / "config", settings={"data_dir": str(tmp_path / "data")})
        source = {"id": "fx-hang", "name": "不应答的网站", "channel": "blog", "spider": "listdetail",
                  "start_urls": [f"http://127.0.0.1:{server.getsockname()[1]}/list.html"], "interval": "10m",
                  "politeness": {"retries": 0, "delay": 0},
                  "selectors": {"list_links": "a", "title": "h1", "content": "div"}}
        (config / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}, allow_unicode=True),
                                             encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")} | {"PYTHONPATH": str(REPO_ROOT)}
        proc = subprocess.Popen([sys.executable, "-m", "crawlers.run", "--config", str(config), "--source", "fx-hang"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            conn, _ = server.accept()  # the crawl is under way
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=120)
            conn.close()
        finally:
            proc.kill()
    (health,) = source_health(load_config(config))
    assert health.state == "never_run" and health.last_error is None, err[-2000:]
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats.get("interrupted") and not stats["ok"]
