"""Crawlers: one Scrapy spider per kind of source, publishing to ``docs.raw``.

* ``run``          — ``run_source(cfg, source_id)`` and ``python -m crawlers.run``: one crawl, one process
* ``spiders/``     — ``listdetail`` (news, blogs, Discuz forums, Tieba), ``rss`` (RSS/Atom, overseas
  feeds), ``epaper`` (issue → 版面 → article), ``weibo``, ``douyin``, ``jsonapi`` (vendor feeds) on
  ``api``, and ``wechat`` (Sogou WeChat search)
* ``presets.yaml`` — what the platforms' APIs and pages look like (JMESPath, selectors): data
* ``extract``      — selectors, generic fallback extraction (trafilatura); ``encoding`` — lying charsets;
  ``fields`` — counts, canonical URLs, language; ``dates`` — Chinese (and English) publish times
* ``state``        — published URLs and per-source cursors (``<data_dir>/crawl_state.db``)
* ``publish``      — the item pipeline: send, flush, then mark seen
* ``middlewares``  — retries with backoff, proxy rotation
* ``health``       — per-source health and ops alerts for blind sources; ``source_health(cfg)`` for the console
* ``evaluate``     — extraction scores on the shared extraction-dev pages
* ``scheduler``    — APScheduler runs each source on its interval, each crawl a ``python -m crawlers.run`` subprocess

The fixture-site server for tests is ``tests/kit/sites.py``; the demo site is ``demo/site``.

Nothing here connects to anything at import time. See README.md beside this file.
"""
