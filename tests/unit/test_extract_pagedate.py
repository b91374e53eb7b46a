"""A page's publish time (crawlers.pagedate through generic extraction):
metadata first, then cue lines, then free text; no made-up month or day;
a birth date in an encyclopedia body is not a publish time."""
from __future__ import annotations

from datetime import datetime

import pytest

from crawlers.dates import SHANGHAI
from crawlers.extract import extract_generic

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
BODY = ("<p>省金融监管局通报了一季度保险消费投诉情况，理赔纠纷仍是投诉的主要原因，占全部投诉的六成以上。</p>"
        "<p>通报指出，部分保险公司存在理赔时效慢、资料要求反复、拒赔理由解释不清等问题。</p>")


def page(head: str = "", before: str = "", after: str = "", title: str = "一季度保险消费投诉情况通报") -> str:
    return (f"<html><head><title>{title}_某某网</title>{head}</head><body>"
            f"<div class='nav'><a href='/'>首页</a></div><h1>{title}</h1>{before}"
            f"<div class='content'>{BODY}</div>{after}</body></html>")


def date_of(html: str) -> datetime | None:
    return extract_generic(html, "https://news.example.cn/a.html", NOW).published_at


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.mark.parametrize("head, before, expected", [
    ('<meta property="article:published_time" content="2026-03-11T09:30:00+08:00">', "", sh(2026, 3, 11, 9, 30)),
    ('<meta name="pubdate" content="2026-03-11 09:30">', "", sh(2026, 3, 11, 9, 30)),
    ('<meta property="og:release_date" content="2026-03-11">', "", sh(2026, 3, 11)),
    (('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"},'
      ' {"@type": "NewsArticle", "datePublished": "2026-03-11T09:30:00+08:00"}]}</script>'), "",
     sh(2026, 3, 11, 9, 30)),
    ("", '<span itemprop="datePublished" content="2026-03-11T09:30:00+08:00">3月11日</span>', sh(2026, 3, 11, 9, 30)),
    ("", '<article><time datetime="2026-03-11T09:30:00+08:00">昨天</time></article>', sh(2026, 3, 11, 9, 30)),
])
def test_page_metadata_wins_over_cue_lines_and_free_text(head, before, expected):
    cue = '<div class="info">发布时间：2026-04-01 08:00 来源：城市晚报</div>'
    free = "<p>2026年5月2日，另一件事。</p>"
    assert date_of(page(head, before + cue, free)) == expected


@pytest.mark.parametrize("line, expected", [
    ("发布时间：2026-04-01 08:00　来源：城市晚报", sh(2026, 4, 1, 8, 0)),
    ("2026年04月01日 08:00 来源：新华网", sh(2026, 4, 1, 8, 0)),
    ("日期：2026-04-01", sh(2026, 4, 1)),
    ("2026-04-01 08:00 游民星空[整理]", sh(2026, 4, 1, 8, 0)),  # the dateline under the headline
])
def test_cue_lines_come_before_free_text(line, expected):
    html = page(before=f"<div>{line}</div>", after="<div class='related'><p>2025-12-30 另一篇文章</p></div>")
    assert date_of(html) == expected


def test_a_birth_date_in_an_encyclopedia_body_is_not_the_publish_date():
    infobox = ("<dl class='basicInfo'><dt>中文名</dt><dd>蔡健雅</dd><dt>出生日期</dt><dd>1975年1月28日</dd></dl>"
               "<div class='para'>出生日期：1975年1月28日。2017年7月18日，正式加盟环球音乐并在北京举行亚洲签约记者会。</div>")
    found = date_of(page(before=infobox, title="蔡健雅"))
    assert found is None or found.year != 1975


def test_a_page_that_shows_only_a_year_gets_no_made_up_day():
    html = page(head='<meta name="date" content="2019">', after="<div class='copy'>2019年 版权所有</div>")
    found = date_of(html)
    assert found is None or (found.month, found.day) != (1, 1)


def test_a_real_january_first_is_kept():
    assert date_of(page(before="<div>发布时间：2026年1月1日 10:00</div>")) == sh(2026, 1, 1, 10, 0)


def test_a_sentence_with_a_date_in_the_story_is_not_a_byline():
    story = "<div>2017年7月18日，正式加盟环球音乐并在北京举行亚洲签约记者会</div>"
    found = date_of(page(before=story + '<div class="time">发布时间：2026-04-01 08:00</div>'))
    assert found == sh(2026, 4, 1, 8, 0)


def test_a_free_text_date_that_is_only_a_birth_date_is_not_taken():
    from parsel import Selector

    from crawlers.pagedate import page_date
    html = page(before="<div class='para'>蔡健雅，1975年1月28日出生于新加坡，华语流行乐女歌手。</div>", title="蔡健雅")
    sel = Selector(text=html)
    assert page_date(sel, [], "蔡健雅", NOW, SHANGHAI, "1975-01-28") is None
    # The same day as a publish date elsewhere on the page is fine.
    sel = Selector(text=html.replace("</body>", "<div>2026年1月28日 本站编辑</div></body>"))
    assert page_date(sel, [], "蔡健雅", NOW, SHANGHAI, "2026-01-28") == sh(2026, 1, 28)
