"""The distributed index: Elasticsearch through the official ``elasticsearch`` client.

How the contract of ``pipeline.index.base`` is met:

* One index template ``<prefix>`` (default ``yuqing-docs``) for monthly
  indices ``<prefix>-YYYY.MM`` (UTC month of the effective time), each joined
  to the alias ``<prefix>`` that every read goes through. Text is tokenized
  here by the same jieba tokenizer as queries and stored as
  ``title_tokens``/``text_tokens`` under the ``whitespace`` analyzer, so each
  jieba token is one term (documents that are not Chinese: each lower-cased
  word, as in the embedded adapter; ``document_tokens`` in base.py); the exact ScoredDocument is kept in ``doc``
  (``enabled: false``: stored, never indexed) and returned by get/search.
* ``upsert`` is one bulk request with op ``index`` and ``_id`` = document id,
  sent with ``refresh="wait_for"`` so writes are visible when it returns.
  Because the target index depends on the effective time, a document whose
  month changed would leave a copy behind: ``upsert`` first asks the alias
  where the ids live and deletes copies in other months in the same bulk
  (after the index ops, so a document is never missing from search). Two
  writers moving the same document at the same moment can still race; the
  indexer's per-key partitioning keeps one document on one writer.
* ``prune`` is one delete-by-query over the alias (``refresh`` so searches
  stop seeing the documents when it returns, ``conflicts=proceed`` so a
  concurrent upsert of a pruned document does not fail it); months left
  empty are deleted as indices, the rest shrink as Lucene merges segments.
* Requests and bulk items refused with 429 or 5xx are retried with
  exponential backoff (``max_retries``, ``retry_backoff``); anything else,
  or retries running out, raises ``IndexError_`` and the batch is replayed.
* Query tokens, highlights and count ordering come from
  ``pipeline.index.highlight``, shared with the embedded adapter, so both
  return the same hits, fragments and buckets. Scores differ (both BM25,
  different statistics). ``from + size`` may not exceed 10,000
  (``index.max_result_window``).

Server versions: every request carries the REST compatibility headers
``Accept``/``Content-Type: application/vnd.elasticsearch+json;
compatible-with=N``, N being the installed client's major version, and a
cluster accepts N only up to its own major. ``compatible_with`` (default 9)
names the cluster's major; when the installed client does not match it the
adapter refuses at start-up and says which ``pip install`` fixes it (an
Elasticsearch 8 cluster needs ``elasticsearch>=8,<9``).

Chinese analysis inside Elasticsearch: the adapter never needs it (tokens
come from jieba here, so the embedded and distributed indexes agree). For
people querying the cluster directly (Kibana), ``raw_analyzer: ik_max_word``
(the IK plugin) or ``smartcn`` (the analysis-smartcn plugin) indexes the raw
``title``/``text`` with that analyzer too; the plugin must be installed on
every node before the template is put (deploy/README.md).

Nothing connects at import or construction; the template is put on the
first upsert.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elastic_transport.client_utils import DEFAULT
from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import __version__ as elasticsearch_version

from contracts.messages import Channel, ScoredDocument
from pipeline.index.base import (
    CountField,
    Hit,
    Index,
    IndexError_,
    SearchQuery,
    SearchResult,
    document_tokens,
    effective_time,
    query_tokenizer,
)
from pipeline.index.highlight import Tokenizer, highlights_for, match_terms, order_counts, query_tokens

log = logging.getLogger(__name__)

TITLE_BOOST = 3.0  # as TITLE_WEIGHT in the embedded adapter
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_SORTS: dict[str, list[Any]] = {
    "relevance": [{"_score": "desc"}, {"effective_time": "desc"}, {"id": "asc"}],
    "time_desc": [{"effective_time": "desc"}, {"id": "asc"}],
    "time_asc": [{"effective_time": "asc"}, {"id": "asc"}],
    "negativity_desc": [{"negativity": "desc"}, {"effective_time": "desc"}, {"id": "asc"}],
}
_COUNT_FIELDS = {"unit": "units.unit_id", "channel": "channel", "level": "level", "source": "source_id"}
# Reads go through an alias that does not exist until the first write.
_MAYBE_MISSING = {"ignore_unavailable": True, "allow_no_indices": True}

MAPPINGS: dict[str, Any] = {
    "dynamic": False,  # fields we do not list are kept in _source, not indexed
    "properties": {
        "id": {"type": "keyword"},
        "title_tokens": {"type": "text", "analyzer": "whitespace"},
        "text_tokens": {"type": "text", "analyzer": "whitespace"},
        "title": {"type": "text", "index": False},  # raw, for people reading the index directly
        "text": {"type": "text", "index": False},
        "channel": {"type": "keyword"},
        "source_id": {"type": "keyword"},
        "site": {"type": "keyword"},
        "level": {"type": "keyword"},
        "units": {"properties": {"unit_id": {"type": "keyword"}}},
        "published_at": {"type": "date"},
        "crawled_at": {"type": "date"},
        # Exact like the embedded adapter: microsecond range edges, float64 negativity.
        "effective_time": {"type": "date_nanos"},
        "negativity": {"type": "double"},
        "doc": {"type": "object", "enabled": False},
    },
}


CLIENT_MAJOR = int(elasticsearch_version[0])  # the compatible-with=N every request of this client carries


def mappings(raw_analyzer: str | None = None) -> dict[str, Any]:
    """The template's mappings; with ``raw_analyzer`` the raw title and text are indexed by it as well."""
    if raw_analyzer is None:
        return MAPPINGS
    raw = {"type": "text", "analyzer": raw_analyzer}
    return {**MAPPINGS, "properties": {**MAPPINGS["properties"], "title": raw, "text": raw}}


class ElasticIndex(Index):
    def __init__(self, hosts: str | list[str], tokenizer: Tokenizer | None = None, tz: str = "Asia/Shanghai",
                 prefix: str = "yuqing-docs", shards: int = 1, replicas: int = 1,
                 request_timeout: float = 30.0, max_retries: int = 5, retry_backoff: float = 0.5,
                 verify_certs: bool = True, ca_certs: str | None = None, max_buckets: int = 10_000,
                 api_key: str | None = None, basic_auth: tuple[str, str] | None = None,
                 compatible_with: int = 9, raw_analyzer: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        from pipeline.index.highlight import tokenize_for_index

        if not _NAME.match(prefix):
            raise IndexError_(f"elasticsearch index: prefix must be lower-case letters, digits, '-', '_' or '.', "
                              f"got {prefix!r}")
        try:
            ZoneInfo(tz)  # fail at start-up, not on the first counts() call
        except (ValueError, ZoneInfoNotFoundError):
            raise IndexError_(f"elasticsearch index: unknown time zone tz={tz!r}") from None
        if compatible_with not in (8, 9):
            raise IndexError_(f"elasticsearch index: compatible_with must be 8 or 9 (the cluster's major "
                              f"version), got {compatible_with!r}")
        if compatible_with != CLIENT_MAJOR:
            raise IndexError_(f"elasticsearch index: the cluster is Elasticsearch {compatible_with} "
                              f"(compatible_with) but the installed client is {CLIENT_MAJOR}.x, whose requests "
                              f"a {compatible_with}.x cluster refuses: pip install "
                              f"'elasticsearch>={compatible_with},<{compatible_with + 1}'")
        if raw_analyzer is not None and not _NAME.match(raw_analyzer):
            raise IndexError_(f"elasticsearch index: raw_analyzer must be an analyzer name such as ik_max_word "
                              f"or smartcn, got {raw_analyzer!r}")
        self.mappings = mappings(raw_analyzer)
        self.hosts = [hosts] if isinstance(hosts, str) else list(hosts)
        self.tokenizer = tokenizer or tokenize_for_index
        self._query_tokens = query_tokenizer(self.tokenizer)
        self.tz = tz
        self.prefix = self.alias = prefix
        self.shards, self.replicas = shards, replicas
        self.max_retries, self.retry_backoff, self.max_buckets = max_retries, retry_backoff, max_buckets
        self._sleep = sleep
        self._template_ready = False
        # The client only opens connections on its first request. It retries
        # connection errors itself; statuses we retry with backoff below.
        self.client = Elasticsearch(self.hosts, request_timeout=request_timeout, max_retries=max_retries,
                                    retry_on_timeout=True, retry_on_status=(), verify_certs=verify_certs,
                                    ca_certs=DEFAULT if ca_certs is None else ca_certs,  # DEFAULT: certifi's CAs
                                    api_key=api_key, basic_auth=basic_auth)

    # ------------------------------------------------------------ plumbing

    def _label(self) -> str:
        return f"elasticsearch {','.join(self.hosts)} {self.alias}"

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn(**kwargs)``, retrying 429/5xx with exponential backoff."""
        for attempt in range(self.max_retries + 1):
            try:
                response = fn(**kwargs)
                return getattr(response, "body", response)  # the plain dict behind ObjectApiResponse
            except ApiError as exc:
                if not (exc.meta.status == 429 or exc.meta.status >= 500) or attempt == self.max_retries:
                    raise IndexError_(f"{self._label()}: {what} failed: {exc.meta.status} {exc.message}") from exc
                log.warning("%s: %s got %s, retrying", self._label(), what, exc.meta.status)
            except TransportError as exc:  # connection refused, timeouts: already retried by the client
                raise IndexError_(f"{self._label()}: {what} failed: {exc.message}") from exc
            self._sleep(self.retry_backoff * 2 ** attempt)
        raise AssertionError("unreachable")

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        self._call("put index template", self.client.indices.put_index_template,
                   name=self.prefix, index_patterns=[f"{self.prefix}-*"], priority=200,
                   template={"settings": {"number_of_shards": self.shards, "number_of_replicas": self.replicas},
                             "mappings": self.mappings, "aliases": {self.alias: {}}})
        self._template_ready = True

    def index_for(self, doc: ScoredDocument) -> str:
        return f"{self.prefix}-{effective_time(doc).astimezone(timezone.utc):%Y.%m}"

    def _source(self, doc: ScoredDocument) -> dict[str, Any]:
        title_tokens, text_tokens = document_tokens(doc, self.tokenizer)
        return {
            "id": doc.id, "title": doc.title, "text": doc.text,
            "title_tokens": " ".join(title_tokens), "text_tokens": " ".join(text_tokens),
            "channel": doc.channel.value, "source_id": doc.source_id, "site": doc.site,
            "level": doc.level.value if doc.level else None,
            "units": [{"unit_id": u.unit_id} for u in doc.units],
            "published_at": doc.published_at.isoformat() if doc.published_at else None,
            "crawled_at": doc.crawled_at.isoformat(), "effective_time": effective_time(doc).isoformat(),
            "negativity": doc.negativity, "doc": doc.model_dump(mode="json"),
        }

    # ------------------------------------------------------------ writing

    def upsert(self, docs: Sequence[ScoredDocument]) -> None:
        latest = {doc.id: doc for doc in docs}  # a batch may repeat an id; the later one wins
        if not latest:
            return
        self._ensure_template()
        ops: list[tuple[dict, dict | None]] = []
        for doc in latest.values():
            ops.append(({"index": {"_index": self.index_for(doc), "_id": doc.id}}, self._source(doc)))
        for hit in self._locate(list(latest)):
            if hit["_index"] != self.index_for(latest[hit["_id"]]):
                ops.append(({"delete": {"_index": hit["_index"], "_id": hit["_id"]}}, None))
        for attempt in range(self.max_retries + 1):
            body = [line for action, source in ops for line in ((action,) if source is None else (action, source))]
            result = self._call("bulk upsert", self.client.bulk, operations=body, refresh="wait_for")
            retry: list[tuple[tuple[dict, dict | None], dict]] = []
            failed: list[tuple[tuple[dict, dict | None], dict]] = []
            for op, item in zip(ops, result["items"]):
                outcome = next(iter(item.values()))
                status = outcome.get("status", 500)
                if status < 300 or (status == 404 and "delete" in item):
                    continue
                (retry if status == 429 or status >= 500 else failed).append((op, outcome))
            if failed or (retry and attempt == self.max_retries):
                op, outcome = (failed or retry)[0]
                raise IndexError_(f"{self._label()}: bulk upsert: {len(failed) + len(retry)} of {len(ops)} "
                                  f"operations failed, first {op[0]}: {outcome.get('status')} {outcome.get('error')}")
            if not retry:
                return
            ops = [op for op, _ in retry]
            log.warning("%s: %d bulk operations refused, retrying", self._label(), len(ops))
            self._sleep(self.retry_backoff * 2 ** attempt)

    def _locate(self, ids: list[str], chunk: int = 1000) -> list[dict]:
        """Every stored copy (``_index``, ``_id``) of ``ids``."""
        hits: list[dict] = []
        for i in range(0, len(ids), chunk):
            part = ids[i:i + chunk]
            # size 2x: an id has one copy, two while a month change is pending.
            found = self._call("locate ids", self.client.search, index=self.alias, query={"ids": {"values": part}},
                               source=False, size=2 * len(part), **_MAYBE_MISSING)
            hits += found["hits"]["hits"]
        return hits

    def prune(self, before: datetime, channels: Sequence[Channel] = ()) -> int:
        query = self._query(SearchQuery(end=before, channels=list(channels)), [])
        found = self._call("prune", self.client.delete_by_query, index=self.alias, query=query, refresh=True,
                           conflicts="proceed", **_MAYBE_MISSING)
        if found.get("failures"):
            raise IndexError_(f"{self._label()}: prune: {len(found['failures'])} failures, first "
                              f"{found['failures'][0]}")
        self._drop_empty_months(before)
        return int(found.get("deleted", 0))

    def _drop_empty_months(self, before: datetime) -> None:
        # Only months wholly before the cutoff: any document written there now would be pruned anyway.
        stats = self._call("index stats", self.client.indices.stats, index=f"{self.prefix}-*", metric="docs",
                           **_MAYBE_MISSING)
        empty = [name for name, s in (stats.get("indices") or {}).items()
                 if s["primaries"]["docs"]["count"] == 0 and name < f"{self.prefix}-{before.astimezone(timezone.utc):%Y.%m}"]
        if empty:
            self._call("delete empty months", self.client.indices.delete, index=",".join(sorted(empty)))

    # ------------------------------------------------------------ reading

    def get(self, doc_id: str) -> ScoredDocument | None:
        found = self._call("get", self.client.search, index=self.alias, query={"ids": {"values": [doc_id]}},
                           source_includes=["doc"], size=1, **_MAYBE_MISSING)
        hits = found["hits"]["hits"]
        return ScoredDocument.model_validate(hits[0]["_source"]["doc"]) if hits else None

    def search(self, query: SearchQuery) -> SearchResult:
        tokens = query_tokens(query.text, self._query_tokens)
        sort = query.sort if tokens or query.sort != "relevance" else "time_desc"
        found = self._call("search", self.client.search, index=self.alias, query=self._query(query, tokens),
                           sort=_SORTS[sort], from_=query.offset, size=query.limit, track_total_hits=True,
                           track_scores=bool(tokens), source_includes=["doc"], **_MAYBE_MISSING)
        hits = []
        for h in found["hits"]["hits"]:
            doc = ScoredDocument.model_validate(h["_source"]["doc"])
            hits.append(Hit(doc=doc, score=float(h.get("_score") or 0.0) if tokens else 0.0,
                            highlights=highlights_for(doc.title, doc.text, tokens)))
        return SearchResult(total=found["hits"]["total"]["value"], hits=hits)

    def counts(self, query: SearchQuery, by: CountField) -> dict[str, int]:
        if by == "day":
            agg = {"date_histogram": {"field": "effective_time", "calendar_interval": "day",
                                      "time_zone": self.tz, "format": "yyyy-MM-dd", "min_doc_count": 1}}
        elif by in _COUNT_FIELDS:
            agg = {"terms": {"field": _COUNT_FIELDS[by], "size": self.max_buckets}}
        else:
            raise IndexError_(f"{self._label()}: cannot count by {by!r}")
        tokens = query_tokens(query.text, self._query_tokens)
        found = self._call("counts", self.client.search, index=self.alias, query=self._query(query, tokens),
                           size=0, aggs={"by": agg}, **_MAYBE_MISSING)
        buckets = (found.get("aggregations") or {}).get("by", {}).get("buckets", [])
        key = "key_as_string" if by == "day" else "key"
        return order_counts({b[key]: b["doc_count"] for b in buckets if b["doc_count"]}, by)

    def _query(self, query: SearchQuery, tokens: list[str]) -> dict[str, Any]:
        if query.text and query.text.strip() and not tokens:
            return {"match_none": {}}  # only punctuation: nothing can match (as in the embedded adapter)
        must: list[dict] = []
        for term in match_terms(tokens):  # every term, in the title or the text
            must.append({"bool": {"minimum_should_match": 1, "should": [
                {"term": {"title_tokens": {"value": term, "boost": TITLE_BOOST}}},
                {"term": {"text_tokens": term}}]}})
        filters: list[dict] = []
        if query.start is not None or query.end is not None:
            bounds = {}
            if query.start is not None:
                bounds["gte"] = query.start.isoformat()
            if query.end is not None:
                bounds["lt"] = query.end.isoformat()
            filters.append({"range": {"effective_time": bounds}})
        for field, values in (("channel", [c.value for c in query.channels]), ("source_id", list(query.sources)),
                              ("level", [lv.value for lv in query.levels]), ("units.unit_id", list(query.units))):
            if values:
                filters.append({"terms": {field: values}})
        if query.min_negativity is not None:
            filters.append({"range": {"negativity": {"gte": query.min_negativity}}})
        if not must and not filters:
            return {"match_all": {}}
        return {"bool": {"must": must, "filter": filters}}

    # ------------------------------------------------------------ lifecycle

    def drop(self) -> None:
        """Delete every index and the template of this prefix (tests, rebuilds)."""
        existing = self._call("list indices", self.client.indices.get, index=f"{self.prefix}-*",
                              allow_no_indices=True, expand_wildcards="open,closed")
        # Named one by one: clusters refuse wildcard deletes (destructive_requires_name).
        if existing:
            self._call("delete indices", self.client.indices.delete, index=",".join(sorted(existing)))
        try:
            self.client.indices.delete_index_template(name=self.prefix)
        except ApiError as exc:
            if exc.meta.status != 404:
                raise IndexError_(f"{self._label()}: delete template failed: {exc.message}") from exc
        self._template_ready = False

    def close(self) -> None:
        self.client.close()
