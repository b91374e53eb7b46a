"""Decoding pages whose charset label lies.

Scrapy (w3lib) decodes with the charset of the ``Content-Type`` header, else
a BOM, else the ``<meta>`` tag, and maps gbk/gb2312 to gb18030 and big5 to
big5hkscs. That is right for most pages. Chinese sites get it wrong in three
ways we see in practice, and ``decoded_html`` repairs each:

* the header says utf-8 but the body is GBK/Big5 (an old CMS behind a new
  CDN): the text fills with U+FFFD;
* the header says gb2312/gbk/big5 but the body is UTF-8 (a CMS migrated to
  UTF-8 that kept its old template header): no U+FFFD at all, just mojibake.
  A GBK or Big5 body with real Chinese in it is practically never valid
  UTF-8, so a body that decodes strictly as UTF-8 *is* UTF-8;
* the label is neither UTF-8 nor a CJK charset — iso-8859-1 (servers'
  default), or whatever a detector guessed for a page that declares
  nothing (Scrapy labels some GB2312 pages ``ptcp154``, others cp1252) —
  for a GBK/Big5 page: every byte is "valid" in a single-byte charset, so
  again only mojibake. When the bytes look CJK, a ``<meta>`` charset, else
  the GB or Big5 decoding that reads as common Chinese, else a statistical
  guess (charset-normalizer) decides; a real Latin-1 or Cyrillic page
  does not read as Chinese in either and keeps its label;
* GBK labelled Big5 or the other way round: gb18030 accepts almost any byte
  pair, so the wrong one decodes "fine" into rare characters. The decoding
  whose Chinese characters are mostly common ones wins.
"""
from __future__ import annotations

import logging
import re

from scrapy.http import TextResponse

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([a-zA-Z0-9_\-]+)""", re.I)
_UTF8 = {"utf-8", "utf8"}
_LATIN = {"cp1252", "windows-1252", "iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii"}
_CJK = {"gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950", "cp936", "euc-jp", "shift_jis", "euc-kr",
        "cp949", "iso2022-jp"}
# A label that is a subset of what pages really use: decode with the superset.
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs"}
_MIN_HIGH_BYTES = 8  # fewer non-ASCII bytes than this: nothing to judge by
_GB = {"gb18030", "gbk", "gb2312", "cp936"}
_BIG5 = {"big5", "big5hkscs", "cp950"}
# ~580 of the most frequent characters, simplified and traditional. Real text
# has roughly half its ideographs among them; mojibake has almost none.
_COMMON = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其"
    "些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建"
    "月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接"
    "知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议"
    "声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复"
    "容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标"
    "写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞险赔费吉"
    "們個這來時說國會對為與發經學業過從點實還頭問現進樣動當種開關麼聞於產長門見間員電車處記錄報導險賠費權體機構區議論"
    "單據內條灣後幾歲億萬讓認識變")


def _norm(encoding: str | None) -> str:
    return (encoding or "").lower().replace("_", "-")


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii").lower() if m else None


_ASCII = bytes(range(0x80))


def _high_bytes(body: bytes) -> int:
    return len(body[:65536].translate(None, _ASCII))  # non-ASCII bytes, at C speed


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(_SUPERSET.get(encoding.lower(), encoding))
    except (UnicodeDecodeError, LookupError):
        return None


def guess_encoding(body: bytes) -> str | None:
    """charset-normalizer's best guess, or None when it has none."""
    from charset_normalizer import from_bytes  # only mislabelled pages pay for it

    best = from_bytes(body[:65536]).best()
    return best.encoding.replace("_", "-") if best else None


def decode_body(body: bytes, declared: str | None, text: str | None = None) -> tuple[str, str]:
    """(text, encoding actually used) for ``body`` labelled ``declared``;
    ``text`` is the body decoded with the label, when the caller has it."""
    declared_n = _norm(declared)
    if text is None:
        text = body.decode(_SUPERSET.get(declared_n, declared_n or "utf-8"), errors="replace") \
            if _known(declared_n) else body.decode("utf-8", errors="replace")
    high = _high_bytes(body)
    if high < _MIN_HIGH_BYTES:
        return text, declared_n
    replaced = text.count("\ufffd")
    if declared_n not in _UTF8 and replaced <= 3:
        utf8 = _strict(body, "utf-8")
        if utf8 is not None:  # GBK/Big5/Latin-1 text is practically never valid UTF-8
            return utf8, "utf-8"
    if declared_n in _GB | _BIG5:
        better = _other_cjk_family(body, declared_n, text)
        if better:
            return better
    if declared_n not in _UTF8 | _CJK:
        # A single-byte label is never "invalid": only a CJK <meta> tag or
        # bytes that read as Chinese may overrule it (a French page stays French).
        fixed_cjk = _cjk_reading(body)
        if fixed_cjk is not None:
            return fixed_cjk
        if replaced <= max(3, len(text) // 1000):
            return text, declared_n
    if replaced > max(3, len(text) // 1000):
        meta = meta_charset(body)
        for enc in (meta, guess_encoding(body), "utf-8", "gb18030", "big5hkscs"):
            enc = _norm(enc)
            if not enc or enc in _LATIN or enc == declared_n:
                continue
            fixed = _strict(body, enc)
            if fixed is not None:
                return fixed, enc
    return text, declared_n


def _cjk_reading(body: bytes) -> tuple[str, str] | None:
    """The body as CJK text, when its bytes look CJK: the <meta> charset if
    it names a CJK one and decodes, else GB or Big5 when that decoding reads
    as mostly common Chinese, else charset-normalizer's Japanese or Korean guess."""
    meta = _norm(meta_charset(body))
    if meta in _CJK:
        fixed = _strict(body, meta)
        if fixed is not None:
            return fixed, meta
    best: tuple[float, str, str] | None = None
    for enc in ("gb18030", "big5hkscs"):
        decoded = _strict(body, enc)
        share = common_share(decoded) if decoded is not None else 0.0
        if decoded is not None and share >= 0.35 and (best is None or share > best[0]):
            best = (share, decoded, enc)
    if best is None:  # Japanese, Korean: charset-normalizer's confident guess
        guess = _norm(guess_encoding(body))
        decoded = _strict(body, guess) if guess in _CJK - _GB - _BIG5 else None
        if decoded is not None:
            best = (0.0, decoded, guess)
    return (best[1], best[2]) if best else None


def common_share(text: str) -> float:
    """Share of the Chinese characters in ``text`` that are common ones
    (0.0 when there are too few to judge)."""
    han = [c for c in text[:20000] if "\u4e00" <= c <= "\u9fff"]
    if len(han) < 20:
        return 0.0
    return sum(c in _COMMON for c in han) / len(han)


def _other_cjk_family(body: bytes, declared: str, text: str) -> tuple[str, str] | None:
    """The GB/Big5 label swapped, when that reads as much more plausible Chinese."""
    mine = common_share(text)
    if mine >= 0.35:
        return None  # reads like Chinese already: the label is right
    for enc in ("big5hkscs" if declared in _GB else "gb18030", _norm(guess_encoding(body))):
        alt = _strict(body, enc) if enc and enc != declared else None
        if alt is not None and common_share(alt) > max(0.35, mine + 0.2):
            return alt, enc
    return None


def _known(encoding: str) -> bool:
    try:
        "".encode(_SUPERSET.get(encoding, encoding))
        return bool(encoding)
    except LookupError:
        return False


def decoded_html(response: TextResponse) -> str:
    """``response.text``, unless its charset label lied (see module docstring)."""
    text, used = decode_body(response.body, response.encoding, response.text)
    if text is not response.text:
        log.info("%s: declared charset %s is wrong, decoded as %s", response.url, response.encoding, used)
    return text
