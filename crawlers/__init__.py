"""Crawlers: one Scrapy spider per kind of source, publishing to ``docs.raw``.

* ``run``        — ``run_source(cfg, source_id)`` and ``python -m crawlers.run``: one crawl, one process
* ``spiders/``   — ``listdetail`` (selectors from sources.yaml) and ``rss`` (RSS 2.0 / Atom)
* ``extract``    — decoding, selectors, generic fallback extraction (trafilatura)
* ``dates``      — Chinese publish-time forms -> aware datetimes
* ``state``      — which URLs were published (``<data_dir>/crawl_state.db``)
* ``publish``    — the item pipeline: send, flush, then mark seen
* ``demosite/``  — a local news/RSS/GBK-forum site that publishes items over time

Nothing here connects to anything at import time.
"""
