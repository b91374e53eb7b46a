"""crawlers.encoding: GBK, GB2312, GB18030, Big5 and mislabelled pages decode
correctly. Responses are real Scrapy HtmlResponses, so the first decoding
under test is Scrapy's own."""
from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawlers.encoding import common_share, decode_body, decoded_html

SIMPLIFIED = "<p>平安产险代理人销售误导，续保被搭售意外险，大家续保时一定要看清保单明细，镕基也要完好。</p>"
TRADITIONAL = "<p>香港保險業監管局對一家保險經紀公司處以罰款，原因是該公司未有妥善處理客戶保費。</p>"
FRENCH = "<p>Les assurés reçoivent une indemnité élevée après la tempête, a déclaré hier l'assureur à Genève.</p>"
PLAIN_GB2312 = "<p>吉林省保险行业协会通报一季度消费投诉情况，理赔纠纷仍占六成以上，退保投诉明显增加。</p>"
GB18030_ONLY = "<p>少数民族文字与生僻字：𠮷野家、䶮，都要原样保留，保险理赔材料齐全。</p>"


def page(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body>{text}</body></html>"


def response(body: bytes, charset: str | None) -> HtmlResponse:
    ctype = f"text/html; charset={charset}" if charset else "text/html"
    return HtmlResponse(url="http://x.example.cn/a.html", body=body, headers={"Content-Type": ctype})


@pytest.mark.parametrize("text, encoding, label, meta", [
    (SIMPLIFIED, "gbk", "gbk", ""),
    (SIMPLIFIED, "gbk", "gb2312", ""),                      # 镕 is GBK, not GB2312: the superset decodes it
    (SIMPLIFIED, "gbk", None, '<meta charset="gb2312">'),
    (GB18030_ONLY, "gb18030", "gb18030", ""),
    (GB18030_ONLY, "gb18030", "gbk", ""),                    # four-byte GB18030 under a gbk label
    (TRADITIONAL, "big5", "big5", ""),
    (TRADITIONAL, "big5", None, '<meta http-equiv="Content-Type" content="text/html; charset=big5">'),
    # mislabelled
    (SIMPLIFIED, "gbk", "utf-8", '<meta charset="gbk">'),     # old CMS behind a new CDN
    (SIMPLIFIED, "gbk", "utf-8", ""),                         # ... without a meta tag
    (TRADITIONAL, "big5", "utf-8", ""),
    (SIMPLIFIED, "utf-8", "gb2312", '<meta charset="gb2312">'),  # migrated to UTF-8, old template header
    (TRADITIONAL, "utf-8", "big5", ""),
    (SIMPLIFIED, "gbk", "iso-8859-1", '<meta charset="gbk">'),  # the server's default label
    (SIMPLIFIED, "gbk", "iso-8859-1", ""),
    (TRADITIONAL, "big5", "gb2312", ""),                      # the wrong Chinese family
    (SIMPLIFIED, "gbk", "big5", ""),
    # No charset anywhere: a detector's single-byte label that is not Latin
    (PLAIN_GB2312, "gb2312", "ptcp154", ""),                   # Scrapy's label for such a GB2312 page
    (SIMPLIFIED, "gbk", "windows-1251", ""),
    (SIMPLIFIED, "gbk", "cp1252", ""),
    (TRADITIONAL, "big5", "ptcp154", ""),
    (SIMPLIFIED, "gbk", "koi8-r", '<meta charset="gbk">'),
])
def test_decodes(text, encoding, label, meta):
    body = page(text, meta).encode(encoding)
    assert text in decoded_html(response(body, label))


def test_a_latin1_page_stays_latin1():
    body = page(FRENCH, '<meta charset="iso-8859-1">').encode("latin-1")
    assert FRENCH in decoded_html(response(body, "iso-8859-1"))


RUSSIAN = "<p>Страховая компания выплатила компенсацию клиентам после наводнения в регионе.</p>"


@pytest.mark.parametrize("label", ["windows-1251", "ptcp154"])
def test_a_real_single_byte_page_keeps_its_label(label):
    body = page(RUSSIAN).encode("windows-1251")
    assert RUSSIAN in decoded_html(response(body, label))


def test_a_correct_page_is_returned_as_scrapy_decoded_it():
    resp = response(page(SIMPLIFIED).encode("gbk"), "gbk")
    assert decoded_html(resp) is resp.text


def test_unlabelled_gb2312_through_scrapy_reads_as_chinese():
    """Whatever Scrapy's detector makes of a GB2312 page that declares no
    charset, the text reads as the Chinese it is."""
    for n in (1, 3, 10):
        text = "<p>" + "吉林保险理赔投诉通报" * n + "</p>"
        assert text in decoded_html(response(page(text).encode("gb2312"), None))


def test_plain_ascii_is_left_alone():
    assert decode_body(b"<p>hello</p>", "gbk") == ("<p>hello</p>", "gbk")


def test_common_share_tells_chinese_from_mojibake():
    assert common_share(SIMPLIFIED) > 0.5 and common_share(TRADITIONAL) > 0.5
    mojibake = TRADITIONAL.encode("big5").decode("gb18030", errors="replace")
    assert common_share(mojibake) < 0.35
