"""Canonical URLs: one page, one id, however it was linked."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track where a click came from.
TRACKING_PARAMS = frozenset({
    "spm", "from", "share_token", "share_source", "share_medium", "wfr", "isappinstalled",
    "scene", "srcid", "chksm", "mpshare", "sessionid", "fbclid", "gclid", "ref", "timestamp",
})


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragment, default port and tracking
    parameters, sort the rest of the query.

    >>> canonical_url("HTTP://News.Example.com:80/a?b=2&utm_source=x&a=1#top")
    'http://news.example.com/a?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def site_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
