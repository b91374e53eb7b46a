"""crawlers.edges, the generic title and author: the page's furniture at the edges of a text goes, the article
stays; a badge or a site's name is no part of a title, a site or an outlet no author.

Shapes from real Chinese news pages (the share bar, 举报 / 收藏 buttons, the QR-code invitation, the site
footer, an app banner, a 原创 badge), each beside a look-alike that is the article's own line.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from crawlers.dates import SHANGHAI
from crawlers.edges import strip_edges
from crawlers.extract import extract_generic

TITLE = "某财险公司吉林分公司回应车主理赔投诉"
BODY = [
    "近日，有车主在网络平台反映，其车辆出险后理赔迟迟未到账，多次联系客服无果。",
    "记者就此联系该公司，公司相关负责人表示，已成立专班核查，将于三个工作日内给出答复。",
    "业内人士提醒，消费者遇到理赔纠纷，可通过行业协会调解或向监管部门投诉。",
]


def text(*lines: str) -> str:
    return "\n".join(lines)


@pytest.mark.parametrize("tail", [
    ["分享到：", "×"],
    ["举报", "举报文章问题", "分享到", "收藏"],
    ["更多猛料！欢迎扫描左方二维码关注新浪新闻官方微信（xinlang-xinwen）", "违法和不良信息举报电话：010-00000000",
     "举报邮箱：jubao@example.com", "Copyright © 1996-2026 Example Corporation", "All Rights Reserved 某某公司 版权所有"],
    ["关注公众号查看全文", "公司资本论", "连接每日热点，", "点评股市众生相", "微信公众号", "扫一扫 关注我",
     "24小时滚动播报最新的财经资讯和视频，更多粉丝福利扫描二维码关注（example）"],
    ["某某财经公众号"],
    ["- 收起"],
])
def test_furniture_below_the_article_goes(tail):
    assert strip_edges(text(*BODY, *tail), TITLE) == text(*BODY)


@pytest.mark.parametrize("own", [
    "（完）",
    "记者从该公司官方微信公众号获悉，理赔款已于昨日到账，车主对处理结果表示认可。",  # a sentence mentioning one
    "责任编辑：张三",
    "免责声明：本文来自自媒体，不代表本站观点。",
    "中国人寿保险股份有限公司吉林省分公司\n2026年11月20日",  # an announcement's signature and date
    "相关资讯请关注:车险专区",
])
def test_the_articles_own_last_lines_stay(own):
    assert strip_edges(text(*BODY, own), TITLE) == text(*BODY, own)


def test_furniture_in_the_middle_of_the_article_stays():
    middle = text(BODY[0], "分享到：", BODY[1], BODY[2])
    assert strip_edges(middle, TITLE) == middle


def test_short_lines_go_only_below_furniture():
    """Short lines that are no sentence (a list's items) end an article; without a button above them they stay."""
    listed = text(*BODY, "一、理赔时效", "二、服务态度")
    assert strip_edges(listed, TITLE) == listed


@pytest.mark.parametrize("head", [
    [TITLE],
    ["原创", TITLE],
    ["安装某某财经客户端第一时间接收最全面的市场资讯→【下载地址】"],
    ["发布时间：2026-11-20 10:15 来源：吉林日报"],
])
def test_headline_badges_banners_and_meta_on_top_go(head):
    assert strip_edges(text(*head, *BODY), TITLE) == text(*BODY)


def test_a_first_paragraph_that_mentions_an_app_stays():
    first = "近日，不少车主反映，在某保险公司APP上提交理赔材料后，系统长时间显示审核中，无人跟进处理，多次拨打客服电话也无人接听。"
    assert strip_edges(text(first, *BODY), TITLE) == text(first, *BODY)


def page(title_tag: str, heading: str = "", body_extra: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    return (f"<html><head><meta charset='utf-8'><title>{title_tag}</title></head><body>"
            f"<div class='article'>{heading}{paragraphs}</div>{body_extra}</body></html>")


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("title_tag, expected", [
    (f"{TITLE}-新华网", TITLE),  # a hyphen without spaces before a site's name
    (f"{TITLE}—经济参考报", TITLE),
    ("新冠疫苗BNT162b2研发进展-COVID-19", "新冠疫苗BNT162b2研发进展-COVID-19"),  # not a site's name: kept whole
    ("理赔难-消费者报", "理赔难-消费者报"),  # what would be left is too short to be a headline
])
def test_a_site_name_after_a_bare_hyphen_leaves_the_title(title_tag, expected):
    assert extract_generic(page(title_tag), "http://news.example.cn/a.html", NOW).title == expected


def test_a_badge_beside_the_headline_is_not_part_of_the_title():
    """trafilatura takes the <h2> with its 原创 badge when there is no <h1>; the <title> says it without."""
    heading = f"<h2 class='title'><span>原创</span>{TITLE}\n</h2>"
    got = extract_generic(page(TITLE, heading), "http://news.example.cn/a.html", NOW)
    assert got.title == TITLE
    assert got.text.split("\n")[0] == BODY[0]


def page_with(meta_author: str | None, footer: str) -> str:
    meta = f"<meta name='author' content='{meta_author}'>" if meta_author else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    return (f"<html><head><meta charset='utf-8'>{meta}<title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
            f"<div class='article'>{paragraphs}</div><div class='ep-editor'>{footer}</div></body></html>")


@pytest.mark.parametrize("meta_author, footer, author", [
    ("网易", "责任编辑：杨倩_NF4425", "杨倩"),  # the site in <meta name="author">: the page's editor instead
    ("新浪财经-自媒体综合", "责任编辑： 郭明煜 ", "郭明煜"),
    ("新京报", "", None),  # an outlet is where the item came from, not who wrote it
    ("李明", "责任编辑：杨倩", "李明"),  # a byline wins over the editor
    (None, "作者：未知 责任编辑：棒棒不是糖", "棒棒不是糖"),
])
def test_the_author_is_a_byline_or_the_pages_editor_never_a_site(meta_author, footer, author):
    assert extract_generic(page_with(meta_author, footer), "http://news.example.cn/a.html", NOW).author == author
