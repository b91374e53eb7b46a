"""HTML and RSS of the demo site, shaped like the real thing.

* news: a provincial news portal (list ``ul.news-list``, article with
  ``h1.article-title`` / ``div.article-meta`` / ``div.article-content``) with
  the usual noise: a date bar, navigation, ads, share buttons, related links,
  ICP footer;
* blog: a WeChat-digest page (``#js_content``) behind an RSS 2.0 feed;
* weibo: m.weibo.cn's container API JSON (cards → mblog, HTML text with an
  emoticon and a topic link, engagement counts like "1.2万");
* world: an overseas English-language outlet with a full-text RSS feed;
* forum: Discuz! X3 markup (``tbody#normalthread_N``, ``a.s.xst``,
  ``td.t_f#postmessage_N``, ``a.xw1``, ``发表于 …``), encoded as GBK by the
  server.

Pure functions of the items; the server (``site.py``) decides what is visible.
"""
from __future__ import annotations

import email.utils
from html import escape

WEEKDAYS = "一二三四五六日"
SITE_NAME = "吉林保险资讯网"
FORUM_NAME = "长春社区"
FEED_NAME = "吉林保险观察"
WORLD_NAME = "Asia Insurance Wire"


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r", "").split("\n") if p.strip()]


def _news_chrome(title: str, body: str, now) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{escape(title)}_吉林新闻_{SITE_NAME}</title>
<meta name="keywords" content="吉林,保险,新闻"><meta name="description" content="{SITE_NAME}新闻频道">
<link rel="stylesheet" href="/static/css/main.css"><script src="/static/js/stat.js"></script>
</head><body>
<div class="top-bar">今天是{now:%Y年%m月%d日} 星期{WEEKDAYS[now.weekday()]} | <a href="/">设为首页</a> | <a href="/">加入收藏</a></div>
<div class="header"><a class="logo" href="/"><img src="/static/logo.png" alt="{SITE_NAME}"></a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/news/">吉林新闻</a></li>
<li><a href="/rss.xml">订阅</a></li><li><a href="/forum/forum-2-1.html">社区论坛</a></li></ul></div>
<div class="ad ad-banner"><a href="/ad/click?id=17" rel="nofollow"><img src="/static/ad/banner17.gif" alt="广告"></a><span>广告</span> 冬季车险优惠进行中，扫码立享折扣！</div>
{body}
<div class="footer"><p>主办：{SITE_NAME} | 吉ICP备00000000号-1 | 吉公网安备 22010202000000号</p>
<p>本网站所刊登的各种新闻、信息和各种专题专栏资料，均为{SITE_NAME}版权所有，未经协议授权禁止下载使用。</p>
<p>违法和不良信息举报电话：0431-00000000</p></div>
<script>var _hmt = _hmt || []; /* 统计代码 */</script>
</body></html>"""


def news_list(items, page: int, pages: int, now) -> str:
    rows = "\n".join(
        f'<li><a href="{escape(it.path)}" target="_blank">{escape(it.title)}</a>'
        f'<span class="date">{it.published_at:%Y-%m-%d %H:%M}</span></li>' for it in items)
    links = []
    for n in range(1, pages + 1):
        href = "index.html" if n == 1 else f"index_{n}.html"
        links.append(f'<span class="current">{n}</span>' if n == page else f'<a href="{href}">{n}</a>')
    if page < pages:
        links.append(f'<a class="next" href="index_{page + 1}.html">下一页</a>')
    body = f"""<div class="main"><div class="crumb">当前位置：<a href="/">首页</a> &gt; 吉林新闻</div>
<div class="list-box"><h2>吉林新闻</h2>
<ul class="news-list">
{rows}
</ul>
<div class="pages">{''.join(links)}</div></div>
<div class="sidebar"><h3>热点排行</h3><ul class="hot"><li><a href="/special/2026.html">专题：保险消费者权益保护</a></li></ul></div>
</div>"""
    return _news_chrome("吉林新闻" + (f"_第{page}页" if page > 1 else ""), body, now)


def news_detail(item, related, now) -> str:
    content = "\n".join(f"<p>\u3000\u3000{escape(p)}</p>" for p in _paragraphs(item.text))
    rel = "\n".join(f'<li><a href="{escape(r.path)}">{escape(r.title)}</a></li>' for r in related)
    body = f"""<div class="main"><div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/news/">吉林新闻</a> &gt; 正文</div>
<div class="article">
<h1 class="article-title">{escape(item.title)}</h1>
<div class="article-meta"><span class="source">来源：{escape(item.source or SITE_NAME)}</span>
<span class="time">{item.published_at:%Y年%m月%d日 %H:%M}</span>
<span class="author">{escape(item.author)}</span><span class="views">阅读：<em>1024</em></span></div>
<div class="article-content">
{content}
</div>
<div class="editor">责任编辑：王晓</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="ad ad-inline"><a href="/ad/click?id=23" rel="nofollow">【推广】家庭财产险一年只要99元</a></div>
<div class="related"><h3>相关阅读</h3><ul>
{rel}
</ul></div>
</div></div>"""
    return _news_chrome(item.title, body, now)


def blog_detail(item) -> str:
    content = "\n".join(f"<p>{escape(p)}</p>" for p in _paragraphs(item.text))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(item.title)}</title>
<meta property="og:title" content="{escape(item.title)}"><meta property="og:type" content="article">
</head><body id="activity-detail" class="zh_CN">
<div class="rich_media"><div class="rich_media_inner"><div id="page-content" class="rich_media_area_primary">
<h1 class="rich_media_title" id="activity-name">{escape(item.title)}</h1>
<div id="meta_content" class="rich_media_meta_list">
<span class="rich_media_meta rich_media_meta_text">{escape(item.author)}</span>
<span class="rich_media_meta rich_media_meta_nickname"><a href="/rss.xml" id="js_name">{FEED_NAME}</a></span>
<em id="publish_time" class="rich_media_meta rich_media_meta_text">{item.published_at:%Y-%m-%d %H:%M}</em></div>
<div class="rich_media_content" id="js_content"><section>
{content}
</section></div>
<div id="js_tags" class="article-tag__list">#保险 #吉林</div>
<div class="rich_media_tool"><span id="readNum">阅读 2356</span> <span id="likeNum">在看 18</span></div>
</div>
<div class="qr_code_pc"><img src="/static/qrcode.jpg" alt=""><p>微信扫一扫<br>关注该公众号</p></div>
</div></div>
</body></html>"""


def _rss_item(it, base: str, desc: str, author_tag: str) -> str:
    link = base + it.path
    return f"""<item>
<title>{escape(it.title)}</title>
<link>{escape(link)}</link>
<guid isPermaLink="true">{escape(link)}</guid>
<description><![CDATA[{desc}]]></description>
<pubDate>{email.utils.format_datetime(it.published_at)}</pubDate>
{author_tag}
</item>"""


def rss(items, base: str, now, summary_chars: int = 60) -> str:
    entries = []
    for it in items:
        if it.full_text:
            desc = "".join(f"<p>{escape(p)}</p>" for p in _paragraphs(it.text))
        else:
            flat = "".join(_paragraphs(it.text))
            desc = escape(flat[:summary_chars] + ("……" if len(flat) > summary_chars else ""))
        entries.append(_rss_item(it, base, desc, f"<author>{escape(it.author)}</author>"))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{FEED_NAME}（公众号文章汇总）</title>
<link>{base}/blog/</link>
<atom:link href="{base}/rss.xml" rel="self" type="application/rss+xml"/>
<description>吉林保险行业公众号文章精选</description>
<language>zh-cn</language>
<lastBuildDate>{email.utils.format_datetime(now)}</lastBuildDate>
{chr(10).join(entries)}
</channel>
</rss>"""


def _forum_chrome(title: str, body: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<title>{escape(title)} - {FORUM_NAME} -  Powered by Discuz!</title>
<meta name="generator" content="Discuz! X3.4" />
<script type="text/javascript">var STYLEID = '1', STATICURL = 'static/', IMGDIR = 'static/image/common';</script>
</head><body id="nv_forum" class="pg_forumdisplay">
<div id="toptb" class="cl"><div class="wp"><div class="z"><a href="javascript:;">设为首页</a><a href="javascript:;">收藏本站</a></div></div></div>
<div id="hd"><div class="wp"><div class="hdc cl"><h2><a href="./" title="{FORUM_NAME}"><img src="static/image/common/logo.png" alt="{FORUM_NAME}" border="0" /></a></h2></div>
<div id="nv"><ul><li><a href="forum-2-1.html">车友会</a></li><li><a href="forum-3-1.html">生活杂谈</a></li></ul></div></div></div>
<div id="wp" class="wp">
<div id="pt" class="bm cl"><div class="z"><a href="./" class="nvhm" title="首页">{FORUM_NAME}</a> <em>&rsaquo;</em> <a href="forum-2-1.html">车友会</a></div></div>
<div class="a_t"><a href="/ad/click?id=5" target="_blank">【广告】车险到期？一键比价省更多</a></div>
{body}
</div>
<div id="ft" class="wp cl"><div id="flk" class="y"><p><a href="archiver/">Archiver</a><span class="pipe">|</span><a href="forum.php?mobile=yes">手机版</a><span class="pipe">|</span><strong><a href="./" target="_blank">{FORUM_NAME}</a></strong> ( 吉ICP备00000001号 )</p></div>
<div id="frt"><p>Powered by <strong><a href="http://www.discuz.net" target="_blank">Discuz!</a></strong> <em>X3.4</em></p></div></div>
</body></html>"""


def _thread_row(kind: str, tid: int, title: str, author: str, posted, replies: int) -> str:
    return f"""<tbody id="{kind}_{tid}">
<tr>
<td class="icn"><a href="thread-{tid}-1-1.html" title="有新回复 - 新窗口打开" target="_blank"><img src="static/image/common/folder_new.gif" /></a></td>
<th class="new">
<a href="thread-{tid}-1-1.html" onclick="atarget(this)" class="s xst">{escape(title)}</a>
</th>
<td class="by">
<cite><a href="home.php?mod=space&amp;username={escape(author)}" c="1">{escape(author)}</a></cite>
<em><span>{posted:%Y-%m-%d %H:%M}</span></em>
</td>
<td class="num"><a href="thread-{tid}-1-1.html" class="xi2">{replies}</a><em>{100 + 37 * replies}</em></td>
</tr>
</tbody>"""


def forum_list(items, page: int, pages: int, sticky_at) -> str:
    rows = [_thread_row("stickthread", 1, "【版规】车友会发帖须知，请勿发布广告", "版主", sticky_at, 0),
            '<tbody id="separatorline"><tr class="ts"><td>&nbsp;</td><th><span>版块主题</span></th></tr></tbody>']
    rows += [_thread_row("normalthread", it.id, it.title, it.author, it.published_at, len(it.replies))
             for it in items]
    pg = "".join(f'<strong>{n}</strong>' if n == page else f'<a href="forum-2-{n}.html">{n}</a>'
                 for n in range(1, pages + 1))
    if page < pages:
        pg += f'<a href="forum-2-{page + 1}.html" class="nxt">下一页</a>'
    body = f"""<div class="boardnav"><div id="ct" class="wp cl"><div class="mn">
<div class="bm bml pbn"><div class="bm_h cl"><h1 class="xs2"><a href="forum-2-1.html">车友会</a></h1></div></div>
<div id="threadlist" class="tl bm bmw"><div class="bm_c">
<form method="post" autocomplete="off" name="moderate" id="moderate" action="forum.php?mod=topicadmin">
<table summary="forum_2" cellspacing="0" cellpadding="0" id="threadlisttableid">
{chr(10).join(rows)}
</table></form></div></div>
<div class="bm bw0 pgs cl"><div class="pg">{pg}</div></div>
</div></div></div>"""
    return _forum_chrome(f"车友会 - 第{page}页" if page > 1 else "车友会", body)


def _post(pid: int, floor: int, author: str, posted, text: str) -> str:
    message = "<br />\r\n".join(escape(p) for p in _paragraphs(text))
    return f"""<div id="post_{pid}">
<table id="pid{pid}" class="plhin" summary="pid{pid}" cellspacing="0" cellpadding="0">
<tr>
<td class="pls" rowspan="2"><div class="pi"><div class="authi"><a href="home.php?mod=space&amp;username={escape(author)}" target="_blank" class="xw1">{escape(author)}</a></div></div>
<div class="avatar"><img src="uc_server/images/noavatar_middle.gif" /></div></td>
<td class="plc"><div class="pi"><strong><a href="#pid{pid}" id="postnum{pid}"><em>{floor}</em><sup>#</sup></a></strong>
<div class="pti"><div class="authi"><img class="authicn vm" id="authicon{pid}" src="static/image/common/online_member.gif" />
<em id="authorposton{pid}">发表于 {posted:%Y-%m-%d %H:%M}</em><span class="pipe">|</span><a href="#">只看该作者</a></div></div></div>
<div class="pct"><div class="pcb"><div class="t_fsz">
<table cellspacing="0" cellpadding="0"><tr><td class="t_f" id="postmessage_{pid}">
{message}</td></tr></table>
</div></div></div></td></tr>
<tr><td class="plc plm"><div class="po hin"><div class="pob cl"><em><a class="fastre" href="#">回复</a></em></div></div></td></tr>
</table></div>"""


def forum_thread(item) -> str:
    posts = [_post(item.pid, 1, item.author, item.published_at, item.text)]
    for n, reply in enumerate(item.replies, start=1):
        posts.append(_post(item.pid + n, n + 1, reply["author"], reply["at"], reply["text"]))
    body = f"""<div id="ct" class="wp cl"><div id="postlist" class="pl bm">
<table cellspacing="0" cellpadding="0"><tr>
<td class="pls ptn pbn"><div class="hm ptn"><span class="xg1">查看:</span> <span class="xi1">{100 + 37 * len(item.replies)}</span><span class="pipe">|</span><span class="xg1">回复:</span> <span class="xi1">{len(item.replies)}</span></div></td>
<td class="plc ptm pbn vwthd"><h1 class="ts"><a href="forum-2-1.html">[车友会]</a> <span id="thread_subject">{escape(item.title)}</span></h1></td>
</tr></table>
{chr(10).join(posts)}
</div></div>"""
    return _forum_chrome(item.title, body)


def world_detail(item) -> str:
    content = "\n".join(f"<p>{escape(p)}</p>" for p in _paragraphs(item.text))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(item.title)} | {WORLD_NAME}</title>
<meta property="og:title" content="{escape(item.title)}"><meta property="og:site_name" content="{WORLD_NAME}">
</head><body><header><a href="/world/">{WORLD_NAME}</a> <nav>Markets · Regulation · Claims · Asia</nav></header>
<article><h1 class="headline">{escape(item.title)}</h1>
<p class="byline">By {escape(item.author)} · <time datetime="{item.published_at.isoformat()}">{item.published_at:%B %d, %Y %I:%M %p}</time></p>
<div class="story-body">
{content}
</div></article>
<footer>© {WORLD_NAME}. All rights reserved.</footer></body></html>"""


def world_rss(items, base: str, now) -> str:
    """The overseas outlet's feed: full text, English, RFC 822 dates."""
    entries = []
    for it in items:
        desc = "".join(f"<p>{escape(p)}</p>" for p in _paragraphs(it.text))
        entries.append(_rss_item(it, base, desc, f"<dc:creator>{escape(it.author)}</dc:creator>"))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{WORLD_NAME}</title>
<link>{base}/world/</link>
<description>Insurance news from Greater China and Asia</description>
<language>en</language>
<lastBuildDate>{email.utils.format_datetime(now)}</lastBuildDate>
{chr(10).join(entries)}
</channel>
</rss>"""


def _weibo_html(item) -> str:
    text = escape(" ".join(_paragraphs(item.text)))
    return (f'{text} <a href="/search?containerid=231522type%3D1%26q%3D%23保险%23">'
            f'<span class="surl-text">#吉林保险#</span></a>')


def weibo_cards(items, page: int) -> dict:
    """A search page of the container API: one type-9 card per weibo."""
    cards = []
    for it in items:
        n = it.id % 997
        cards.append({"card_type": 9, "itemid": f"seqid:1|type:1|ext:&mid={it.id}&", "mblog": {
            "id": str(it.id), "mid": str(it.id), "created_at": f"{it.published_at:%a %b %d %H:%M:%S %z %Y}",
            "text": _weibo_html(it), "isLongText": False, "source": "iPhone客户端",
            "user": {"id": 7300000000 + n, "screen_name": it.author, "verified": False},
            "reposts_count": n % 40, "comments_count": n % 90, "attitudes_count": f"{1 + n % 9}.{n % 10}万" if n % 3 == 0 else n % 300}})
    return {"ok": 1, "data": {"cardlistInfo": {"page": page + 1 if items else None}, "cards": cards}}


def weibo_detail(item) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(item.author)}的微博</title></head><body>
<div class="weibo-detail"><header><span class="m-text-box">{escape(item.author)}</span>
<span class="time">{item.published_at:%m-%d %H:%M}</span></header>
<div class="weibo-text">{_weibo_html(item)}</div></div></body></html>"""
