"""Messages: schema version, unknown fields kept, ids derived for idempotency."""
import json

from contracts.messages import Alert, Document, ScoredDocument, notification_id
from contracts.urls import canonical_url


def make(url="https://News.Example.cn/a/1.html?utm_source=wx&id=7#comments"):
    return Document.create(url=url, source_id="s", channel="weibo", site="news.example.cn",
                           title="标题", text="正文")


def test_document_id_comes_from_canonical_url():
    a = make()
    b = make("https://news.example.cn/a/1.html?id=7&spm=a.b.c")
    assert a.id == b.id and a.url == "https://news.example.cn/a/1.html?id=7"
    assert make("https://news.example.cn/a/2.html").id != a.id


def test_canonical_url_keeps_meaningful_query_and_port():
    assert canonical_url("http://a.cn:8080/x?b=2&a=1") == "http://a.cn:8080/x?a=1&b=2"
    assert canonical_url("https://a.cn:443/") == "https://a.cn/"


def test_round_trip_keeps_schema_version_and_unknown_fields():
    raw = json.loads(make().to_bytes())
    raw["sentiment_v2"] = {"score": 0.3}  # written by a newer producer
    doc = Document.from_bytes(json.dumps(raw))
    assert doc.schema_version == 1
    again = json.loads(ScoredDocument.from_document(doc, negativity=0.5).to_bytes())
    assert again["sentiment_v2"] == {"score": 0.3}
    assert again["negativity"] == 0.5


def test_alert_and_notification_ids_are_stable():
    assert Alert.id_for("story1", "unit1") == Alert.id_for("story1", "unit1")
    assert Alert.id_for("story1", "unit1") != Alert.id_for("story1", "unit2")
    assert notification_id("a", "x@y.cn", "email", 0) != notification_id("a", "x@y.cn", "email", 1)
