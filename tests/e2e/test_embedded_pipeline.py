"""The whole embedded pipeline in real processes: demo site → crawl → score →
index → route → notify → a real SMTP server. No servers to install."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from contracts.messages import Document
from demo.site import DemoSite
from pipeline.config import load_config
from pipeline.index import SearchQuery
from tests.kit import copy_config, publish_raw, terminate, wait_for
from yuqing.bootstrap import App

pytestmark = pytest.mark.e2e

CHINALIFE = "sunwei@chinalife-jl.example.cn"
PICC = "liming@picc-jl.example.cn"
DUTY = "duty@jiaxh.example.cn"


# How long the roles may take to start (each process loads the models and dictionaries): seconds on a quiet
# machine, but CI once timed out at 30 s (pid file) and 90 s (first alert e-mail) at load 18-25. A wait that
# passes returns at once: generous limits cost nothing when the pipeline works.
STARTUP = 180


class Pipeline:
    """``yuqing run`` in a subprocess over a temp copy of the demo config."""

    def __init__(self, tmp: Path, smtp_port: int, site_url: str, interval: str = "2s") -> None:
        self.root = copy_config(tmp / "config", settings={
            "data_dir": str(tmp / "data"),
            "smtp": {"host": "127.0.0.1", "port": smtp_port},
            "demo": {"site_port": None, "mailsink_port": None},
        })
        sources = self.root / "sources.yaml"
        sources.write_text(re.sub(r"interval: .*", f"interval: {interval}", sources.read_text(encoding="utf-8")),
                           encoding="utf-8")
        # The demo's red alerts wait for a duty officer's review, forwarded by the timer after
        # YUQING_REVIEW_TIMEOUT (2m in the demo): short here, so the review path runs end to end.
        self.env = {**os.environ, "YUQING_DEMO_SITE": site_url, "PYTHONUNBUFFERED": "1", "YUQING_REVIEW_TIMEOUT": "5s"}
        os.environ["YUQING_DEMO_SITE"] = site_url  # for load_config in this process
        self.config = load_config(self.root)
        self.data_dir = self.config.data_dir
        self.log = open(tmp / "pipeline.log", "wb")  # noqa: SIM115 (open for the pipeline's lifetime)
        self.proc: subprocess.Popen | None = None

    def start(self) -> Pipeline:
        self.proc = subprocess.Popen([sys.executable, "-m", "yuqing.cli", "run", "--config", str(self.root)],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def pid(self, role: str) -> int:
        return int(wait_for(lambda: self._read_pid(role), STARTUP, f"{role} pid"))

    def _read_pid(self, role: str) -> str | None:
        try:
            return (self.data_dir / "run" / f"{role}.pid").read_text() or None
        except FileNotFoundError:
            return None

    def index_total(self, **query) -> int:
        # Read through the composition root, as the console will: same tokenizer as the indexer.
        app = App(self.config)
        try:
            return app.index.search(SearchQuery(limit=0, **query)).total
        finally:
            app.close()

    def stop(self) -> None:
        if self.proc:
            terminate(self.proc)
        self.log.close()

    def log_tail(self) -> str:
        return (self.log.name and Path(self.log.name).read_text(errors="replace")[-4000:])


@pytest.fixture
def pipeline(tmp_path, smtp, site):
    p = Pipeline(tmp_path, smtp.port, site.url)
    yield p
    p.stop()
    os.environ.pop("YUQING_DEMO_SITE", None)


def publish(site: DemoSite, section: str, title: str, text: str, author: str = "记者 王强") -> str:
    r = requests.post(f"{site.url}/_admin/publish", json={"section": section, "title": title, "text": text,
                                                            "author": author}, timeout=5)
    r.raise_for_status()
    return r.json()["url"]


def test_negative_item_alerts_its_unit_once_and_neutral_item_alerts_nobody(pipeline, site, smtp):
    pipeline.start()
    publish(site, "news", "市民投诉中国人寿吉林省分公司拖延理赔长达半年",
            "长春市民张女士反映，其父亲住院后向中国人寿吉林省分公司申请理赔，公司以材料不全为由迟迟不赔，"
            "至今已拖延半年。张女士表示非常愤怒，已向监管部门投诉。")
    publish(site, "forum", "人保财险吉林省分公司开展“保险进社区”宣传活动",
            "近日，人保财险吉林省分公司走进长春市南关区多个社区，向居民普及车险、家财险知识，受到居民欢迎。")

    mail = wait_for(lambda: smtp.to(CHINALIFE), STARTUP + 60, "the alert email to the unit contact")
    assert "拖延理赔" in mail[0].subject
    assert "中国人寿保险股份有限公司吉林省分公司" in mail[0].body
    assert "来源：吉林保险资讯网·吉林新闻（www.jlbxzx.cn）" in mail[0].body  # the source as people name it
    wait_for(lambda: pipeline.index_total(text="拖延理赔") == 1, 30, "the negative story in the index")
    wait_for(lambda: pipeline.index_total(text="保险进社区") == 1, 30, "the neutral story in the index")
    assert pipeline.index_total(units=["chinalife-jl"], levels=["red", "orange", "yellow", "blue"]) == 1

    time.sleep(5)  # a few more crawl cycles: nothing may be sent again
    assert len(smtp.to(CHINALIFE)) == 1
    assert len(smtp.to(DUTY)) == 1
    if "待复核" in smtp.to(DUTY)[0].subject:  # red: association first, then the unit (forward: review)
        assert "超时未复核，已自动转发" in mail[0].body
    assert smtp.to(PICC) == []
    assert pipeline.proc.poll() is None, pipeline.log_tail()


UNITS = [("中国人寿吉林省分公司", "sunwei@chinalife-jl.example.cn"),
         ("人保财险吉林省分公司", "liming@picc-jl.example.cn"),
         ("太平洋保险", "fengtao@cpic-jl.example.cn"),
         ("新华保险", "chuhong@newchina-jl.example.cn"),
         ("泰康人寿", "weidong@taikang-jl.example.cn")]
FILLER = ("吉林省保险行业协会组织会员单位开展保险知识宣传，围绕农业保险、健康保险和养老保障等主题，"
          "深入城乡社区和企业园区，帮助群众了解保险产品和理赔流程。") * 8


def _docs(total: int, negative_every: int, first: int = 0):
    docs, negatives = [], []
    for i in range(first, first + total):
        if i % negative_every == 0:
            unit, email = UNITS[(i // negative_every) % len(UNITS)]
            title = f"第{i}号投诉：{unit}拒赔车险理赔，客户维权无果"
            text = f"客户反映{unit}以各种理由拒赔，理赔难问题突出，已向监管部门投诉。" + FILLER
            negatives.append((title, email))
        else:
            title, text = f"吉林保险业动态第{i}期", FILLER
        docs.append(Document.create(url=f"http://feed.example.cn/item/{i}.html", source_id="vendor-feed",
                                    channel="news", site="feed.example.cn", title=title, text=text))
    return docs, negatives


def test_scoring_worker_killed_mid_stream_loses_nothing_and_sends_nothing_twice(pipeline, smtp):
    batch, every = 1200, 120
    pipeline.start()
    total, negatives = 0, list[tuple[str, str]]()
    # Killed once the first of a batch are indexed; on a machine so loaded that the test process got no
    # time until the scorer had done the whole batch, another batch is published and the kill tried again.
    for _ in range(3):
        scorer_pid = pipeline.pid("score")
        docs, more = _docs(batch, every, first=total)
        publish_raw(pipeline.config, docs)
        total, negatives = total + batch, negatives + more
        wait_for(lambda start=total - batch: pipeline.index_total() >= start + 60, STARTUP,
                 "the first documents to be indexed", interval=0.05)
        before = pipeline.index_total()
        os.kill(scorer_pid, signal.SIGKILL)
        wait_for(lambda pid=scorer_pid: pipeline.pid("score") != pid, STARTUP, "the supervisor to restart the scorer")
        if before < total:
            break
    else:
        pytest.fail("the scorer finished each batch before it could be killed mid-stream")

    wait_for(lambda: pipeline.index_total() == total, 180, f"all {total} documents in the index")
    assert pipeline.index_total(units=[]) == total
    expected_mails = len(negatives) * 2  # the unit's primary contact and the duty officer
    wait_for(lambda: len(smtp.messages) >= expected_mails, 60, f"{expected_mails} emails")
    time.sleep(3)
    assert len(smtp.messages) == expected_mails, [m.subject for m in smtp.messages]
    for title, email in negatives:
        assert len([m for m in smtp.to(email) if title in m.subject or title[:30] in m.subject]) == 1, title
    assert len(smtp.to(DUTY)) == len(negatives)
    assert pipeline.proc.poll() is None, pipeline.log_tail()
