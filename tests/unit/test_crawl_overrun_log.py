"""A source still crawling when its next run is due skips that run by design (max_instances=1):
APScheduler's warning for it is logged at INFO once the crawl scheduler exists (crawlers/scheduler.py);
its other warnings stay warnings."""
import logging
from pathlib import Path

from crawlers.scheduler import CrawlScheduler
from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_a_skipped_overrun_is_info_and_other_scheduler_warnings_stay_warnings(caplog, tmp_path):
    CrawlScheduler(load_config(ROOT / "config" / "demo"))
    log = logging.getLogger("apscheduler.scheduler")
    with caplog.at_level(logging.INFO, logger="apscheduler.scheduler"):
        log.warning('Execution of job "%s" skipped: maximum number of running instances reached (%d)', "新闻", 1)
        log.warning('Run time of job "%s" was missed by %s', "新闻", "0:01:00")
    assert [(r.levelname, r.getMessage()[:20]) for r in caplog.records] == [
        ("INFO", 'Execution of job "新闻'), ("WARNING", 'Run time of job "新闻"')]
