"""The demo pipeline with its bus on a Kafka-protocol broker: demo site →
crawl → score → index → route → notify → a real SMTP server, every role its
own process, every arrow between them a Kafka topic and consumer group.

The broker is the session's ``kafka_broker`` (tests/conftest.py): a real Kafka
when KAFKA_BOOTSTRAP_SERVERS is set, else Tansu started for the session. The
pipeline's topics are fixed names, so this is the only test that runs the
pipeline on that broker."""
from __future__ import annotations

import os
import time

import pytest

from tests.e2e.test_embedded_pipeline import CHINALIFE, DUTY, PICC, Pipeline, publish
from tests.kit import free_port, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", "postgresql"])
def kafka_pipeline(request, tmp_path, smtp, site, kafka_broker, monkeypatch):
    """The demo pipeline on Kafka, its alert and story stores embedded, then on PostgreSQL."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        if not server.url:
            pytest.skip(server.unavailable)
        monkeypatch.setenv("YUQING_ALERT_STORE_URL", server.new_database())  # the story store follows it
    monkeypatch.setenv("YUQING_BUS_URL", kafka_broker.url)  # config/demo: bus.url: ${YUQING_BUS_URL:-…}
    monkeypatch.setenv("YUQING_CONSOLE_PORT", str(free_port()))  # not 8080, which a running demo may hold
    p = Pipeline(tmp_path, smtp.port, site.url)
    assert p.config.settings.bus.url == kafka_broker.url
    yield p
    p.stop()
    os.environ.pop("YUQING_DEMO_SITE", None)


def test_negative_item_on_kafka_alerts_its_unit_once(kafka_pipeline, site, smtp):
    pipeline = kafka_pipeline
    pipeline.start()
    publish(site, "news", "投保人控诉中国人寿吉林省分公司理赔推诿拖延",
            "吉林市的李先生反映，其母亲重病住院后向中国人寿吉林省分公司申请重疾险理赔，公司一再推诿，"
            "理赔拖延三个多月仍无结果。李先生表示已向监管部门投诉，要求公司给个说法。")
    publish(site, "news", "人保财险吉林省分公司举办车险服务开放日",  # same source: one crawl takes both
            "人保财险吉林省分公司近日举办车险服务开放日，邀请车主参观理赔服务中心，了解快速理赔流程。")

    mail = wait_for(lambda: smtp.to(CHINALIFE), 240,
                    "the alert email to the unit contact, over Kafka")  # six processes start and join their groups
    assert "理赔推诿" in mail[0].subject
    assert "中国人寿保险股份有限公司吉林省分公司" in mail[0].body
    wait_for(lambda: pipeline.index_total(text="理赔推诿") == 1, 30, "the negative story in the index")
    wait_for(lambda: pipeline.index_total(text="车险服务开放日") == 1, 30, "the neutral story in the index")

    time.sleep(4)  # two more crawl cycles: nothing may be sent again
    assert len(smtp.to(CHINALIFE)) == 1
    assert len(smtp.to(DUTY)) == 1
    assert smtp.to(PICC) == []
    assert not (pipeline.data_dir / "bus.db").exists()  # nothing went through the embedded log
    if pipeline.config.settings.alert_store.url.startswith("postgresql://"):
        assert not (pipeline.data_dir / "alerts.db").exists() and not (pipeline.data_dir / "stories.db").exists()
    assert pipeline.proc.poll() is None, pipeline.log_tail()
