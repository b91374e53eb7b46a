"""The page's furniture at the edges of an extracted text: lines that are not the article.

Generic extraction (trafilatura after crawlers.boilerplate's pruning) keeps what sits inside or next to the
article's container: the headline and its "发布时间：… 来源：…" line on top, an app's download banner, a
原创 badge; below the last paragraph the share bar (分享到 ×), 举报 / 收藏 buttons, the QR-code invitation to
a public account, the site's footer (违法和不良信息举报电话, Copyright © … 版权所有). They cost the analyst a
scroll, put 举报 and 版权 into search hits, and read as the article's last words in an alert.

Only whole lines at the two edges go, and only lines of such shapes: a paragraph that mentions a public
account or a report in a sentence of its own stays (it ends like a sentence, or is longer than furniture is).
Editor credits (责任编辑：…) and disclaimers (免责声明：…) stay: they are the article's page, not the site's.
"""
from __future__ import annotations

import re

# Furniture wherever it is found at an edge (anchored at the line's start; "- " is a list item's dash).
_FURNITURE = re.compile(
    r"^(?:- )?(?:"
    r"分享到[:：]?\S{0,12}|分享(?:至|给好友)?|[×✕]|收藏|点赞|打印|关闭(?:窗口)?|返回(?:顶部|首页|搜狐.*)|"
    r"举报(?:文章问题)?|违法和不良信息举报.*|举报(?:电话|邮箱)[:：].*|"
    r"扫一扫.{0,12}|.{0,40}(?:扫描|识别|长按).{0,12}二维码.*|.{0,40}二维码关注.*|关注公众号.{0,12}|"
    r"\S{0,12}(?:微信)?公众号|"
    r"(?:Copyright|©|\(c\)).*|All Rights Reserved.*|.{0,30}版权所有.{0,20}|"
    r"收起|展开(?:全文)?|阅读全文|查看(?:全文|更多)|(?:点击|进入)(?:查看|阅读|进入)?.{0,10}(?:专题|专区|全文)"
    r")$", re.IGNORECASE)
# A download banner for the site's app, on top (安装新浪财经客户端…【下载地址】, 打开XX APP阅读).
_APP_BANNER = re.compile(r"(?:安装|下载|打开).{0,12}(?:客户端|APP|App|app).{0,40}$|【下载地址】")
# A badge standing alone on a line of its own above the article.
_BADGE = re.compile(r"^(?:原创|独家|转载|置顶|精华|推荐|热门)$")
_DATE_LABEL = re.compile(r"(?:发布时间|发表时间|发布日期|发表于|发布于|更新时间|时间|日期)\s*[:：]?\s*([^\n]{6,40})")
_META_WORDS = re.compile(r"来源|作者|记者|发布|编辑|点击|阅读")
# What an article's own line looks like at its end: a sentence.
_SENTENCE_END = re.compile(r"[。！？!?…”」』）)]$")
# Between two furniture lines, the names of the things they advertise (公司资本论, 连接每日热点，).
_SHORT = 16
_TAIL_REACH = 14  # furniture is a few lines; never look further up than this


def strip_edges(text: str, title: str) -> str:
    """``text`` without the headline, meta lines and banners on top and the furniture below (see the module)."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and _head_furniture(lines[start], title):
        start += 1
    return "\n".join(lines[start:start + _kept_until(lines[start:])])


def _head_furniture(line: str, title: str) -> bool:
    return (line == title or bool(_BADGE.match(line)) or bool(_FURNITURE.match(line))
            or (len(line) < 80 and bool(_APP_BANNER.search(line)))
            or (len(line) < 80 and bool(_DATE_LABEL.search(line)) and bool(_META_WORDS.search(line))))


def _kept_until(lines: list[str]) -> int:
    """How many lines to keep: the lines up to the topmost furniture line of the last few, if everything from
    there down is furniture, a bare date, or a short line that is no sentence (the names between two buttons)."""
    cut = len(lines)
    for i in range(len(lines) - 1, max(-1, len(lines) - 1 - _TAIL_REACH), -1):
        line = lines[i]
        if _FURNITURE.match(line):
            cut = i
        elif not (len(line) <= _SHORT and not _SENTENCE_END.search(line)):
            break
    return cut
