"""Report charts as PNG images (Pillow), for the Word report and the
standalone HTML report file.

Why not ECharts here: a report is a file that is mailed and opened
offline, in Word or a browser without the console; a PNG works everywhere.
The console's interactive charts (search page) use the vendored ECharts.

Chinese labels need a CJK font. Common system fonts are tried (Debian's
fonts-wqy-microhei / fonts-noto-cjk, Windows' msyh); without one, labels
fall back to Pillow's built-in font and Chinese characters show as boxes —
the numbers stay right, and the tables beside each chart carry the names.
"""
from __future__ import annotations

import io
import logging
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
]
BLUE, RED, GREY, TEXT = (47, 125, 225), (217, 54, 62), (220, 220, 220), (40, 40, 40)


@lru_cache(maxsize=8)
def font(size: int = 14):
    for path in FONT_CANDIDATES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    log.warning("no CJK font found (install fonts-wqy-microhei); report chart labels will not show Chinese")
    return ImageFont.load_default(size)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _text(draw: ImageDraw.ImageDraw, xy, text: str, size: int = 13, fill=TEXT, anchor: str = "la") -> None:
    draw.text(xy, text, font=font(size), fill=fill, anchor=anchor)


def axis_step(peak: int) -> int:
    """The smallest readable grid step (1, 2, 5, 10, 20, 50…) whose 4 steps reach ``peak``."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude * 4 >= peak:
                return m * magnitude
        magnitude *= 10


def trend(days: list[str], volume: list[int], negative: list[int], title: str,
          width: int = 900, height: int = 340) -> bytes:
    """Bars: documents per day; red bars: negative documents; line: negative share (right axis)."""
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    left, right, top, bottom = 60, width - 60, 46, height - 46
    _text(d, (width // 2, 12), title, 16, anchor="ma")
    step = axis_step(max([0, *volume]))
    top_value = step * 4  # four whole-number grid steps, so every label is exact
    d.line([(left, bottom), (right, bottom)], fill=TEXT)
    for i in range(5):  # horizontal grid and left axis labels
        y = bottom - (bottom - top) * i / 4
        d.line([(left, y), (right, y)], fill=GREY)
        _text(d, (left - 6, y), str(step * i), 11, anchor="rm")
        _text(d, (right + 6, y), f"{25 * i}%", 11, anchor="lm")
    n = max(1, len(days))
    slot = (right - left) / n
    bar = max(2.0, slot * 0.35)
    points = []
    for i, day in enumerate(days):
        x = left + slot * (i + 0.5)
        h_all = (bottom - top) * volume[i] / top_value
        h_neg = (bottom - top) * negative[i] / top_value
        if volume[i]:
            d.rectangle([x - bar, bottom - h_all, x, bottom], fill=BLUE)
        if negative[i]:
            d.rectangle([x, bottom - h_neg, x + bar, bottom], fill=RED)
        share = negative[i] / volume[i] if volume[i] else 0.0
        points.append((x, bottom - (bottom - top) * share))
        if n <= 16 or i % max(1, n // 12) == 0:
            _text(d, (x, bottom + 6), day[5:], 11, anchor="ma")
    if len(points) > 1:
        d.line(points, fill=(245, 130, 42), width=2)
    for p in points:
        d.ellipse([p[0] - 3, p[1] - 3, p[0] + 3, p[1] + 3], fill=(245, 130, 42))
    legend = [(BLUE, "信息总量"), (RED, "负面信息"), ((245, 130, 42), "负面占比（右轴）")]
    x = left
    for colour, label in legend:
        d.rectangle([x, height - 20, x + 12, height - 8], fill=colour)
        _text(d, (x + 16, height - 14), label, 12, anchor="lm")
        x += 150
    return _png(img)


def bars(items: list[tuple[str, int, int]], title: str, width: int = 900, row: int = 26) -> bytes:
    """Horizontal bars, one row per (label, total, negative)."""
    items = items[:15] or [("（无数据）", 0, 0)]
    height = 60 + row * len(items) + 30
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    _text(d, (width // 2, 12), title, 16, anchor="ma")
    label_w, left, right = 260, 270, width - 80
    top_value = max([1, *(t for _, t, _ in items)])
    for i, (label, total, neg) in enumerate(items):
        y = 50 + i * row
        short = label if len(label) <= 18 else label[:17] + "…"
        _text(d, (label_w, y + row / 2), short, 12, anchor="rm")
        w_all = (right - left) * total / top_value
        w_neg = (right - left) * neg / top_value
        d.rectangle([left, y + 4, left + w_all, y + row / 2], fill=BLUE)
        d.rectangle([left, y + row / 2, left + w_neg, y + row - 4], fill=RED)
        _text(d, (left + w_all + 6, y + row / 2), f"{total} / {neg}", 11, anchor="lm")
    _text(d, (left, height - 16), "蓝：信息总量  红：负面信息", 12, anchor="lm")
    return _png(img)
