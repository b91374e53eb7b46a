"""Publish times as Chinese sites write them -> timezone-aware datetimes.

Handles, anywhere inside a string (``发表于 2022-03-11 09:30`` works):

* ``2022年03月11日 09:30``, ``2022-03-11 09:30:15``, ``2022/3/11``, ``2022.03.11``,
  ``2022年3月11日 下午2:30``
* ``3小时前``, ``5分钟前``, ``30秒前``, ``2天前``, ``半小时前``, ``刚刚``
* ``今天 08:00``, ``昨天 14:20``, ``前天``
* ``11-25 09:30``, ``11月25日`` (no year: the most recent such day, as
  Weibo and forums print it)
* RFC 822 (``Wed, 25 Nov 2026 09:30:00 +0800``) and ISO 8601
* Weibo's API (``Wed Nov 25 09:30:00 +0800 2026``)
* English as overseas media print it (``November 25, 2026 9:30 AM``,
  ``Nov. 25, 2026``, ``25 November 2026 09:30``)
* Unix timestamps (10 or 13 digits alone)

Naive times are taken in ``tz`` (Asia/Shanghai unless told otherwise);
relative ones are computed against ``now``, which tests inject. Anything
unparseable gives None: a bad date must never lose the document.
"""
from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone, tzinfo

try:
    from zoneinfo import ZoneInfo

    SHANGHAI: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database on the machine: China has had no DST since 1991
    SHANGHAI = timezone(timedelta(hours=8), "CST")

__all__ = ["FUTURE_SKEW", "SHANGHAI", "clamp_future", "get_tz", "parse_date"]

# How far ahead of the crawl a publish time may be and still count as the
# site's clock running a little fast rather than a wrong date.
FUTURE_SKEW = timedelta(minutes=10)

_TIME = (r"(?:\s*(?:T|\s)?\s*(?P<ampm>上午|下午|中午|晚上|凌晨)?\s*"
         r"(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?"
         r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?")
# Year first: 2022年03月11日 / 2022-03-11 / 2022/3/11 / 2022.03.11, then an optional time.
_ABSOLUTE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})(?!\d)\s*日?" + _TIME)
# No year: 11月25日 09:30 / 11-25 09:30 (the time is required for the dashed form,
# otherwise "3-5" in running text would be read as a date).
_MONTH_DAY = re.compile(
    r"(?<![\d\-/.])(?:(?P<m>\d{1,2})月(?P<d>\d{1,2})日" + _TIME +
    r"|(?P<m2>\d{1,2})-(?P<d2>\d{1,2})\s+(?P<H2>\d{1,2}):(?P<M2>\d{2}))(?![\d\-])")
_AGO = re.compile(r"(?P<n>\d+|半|一|两|几)\s*(?:个)?\s*(?P<unit>秒|分钟|分|小时|钟头|天|日|周|星期|月)\s*[以之]?前")
_DAY_WORD = re.compile(r"(?P<word>今天|今日|昨天|昨日|前天)" + _TIME)
_JUST_NOW = re.compile(r"刚刚|刚才|片刻前")
_TIMESTAMP = re.compile(r"^\s*(?P<ts>\d{10}|\d{13})\s*$")
_RFC822_HINT = re.compile(r"\b\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\b")
# Weibo (and Twitter's old API): "Wed Nov 25 09:30:00 +0800 2026".
_CTIME_TZ = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_EN_MONTH = (r"(?P<mon>(?:January|February|March|April|May|June|July|August|September|October|November"
             r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)")
_EN_TIME = r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
_ENGLISH = re.compile(
    r"\b(?:" + _EN_MONTH + r"\s+(?P<d>\d{1,2}),?\s+(?P<y>(?:19|20)\d{2})"
    r"|(?P<d2>\d{1,2})\s+" + _EN_MONTH.replace("mon", "mon2") + r",?\s+(?P<y2>(?:19|20)\d{2}))" + _EN_TIME, re.I)

_UNIT_SECONDS = {"秒": 1, "分钟": 60, "分": 60, "小时": 3600, "钟头": 3600, "天": 86400,
                 "日": 86400, "周": 7 * 86400, "星期": 7 * 86400, "月": 30 * 86400}
_NUMBER_WORDS = {"半": 0.5, "一": 1, "两": 2, "几": 3}


def get_tz(name: str | None) -> tzinfo:
    """The named zone, or Asia/Shanghai when the name is empty or unknown."""
    if not name or name == "Asia/Shanghai":
        return SHANGHAI
    try:
        return ZoneInfo(name)
    except Exception:
        return SHANGHAI


def clamp_future(published: datetime | None, crawled_at: datetime,
                 skew: timedelta = FUTURE_SKEW) -> tuple[datetime | None, datetime | None]:
    """``(published_at, claimed)``: a publish time is never later than the
    crawl. A time ahead by at most ``skew`` (a site's clock running fast) is
    set to ``crawled_at`` silently; one further ahead ("今天 08:10" read at
    01:00, a misparsed date) is set to ``crawled_at`` too and returned as
    ``claimed``, so the document says what the page claimed. Everything
    downstream (the crawl cursor, the index, the alert windows) then sees
    one consistent time that is never in the future."""
    if published is None or published <= crawled_at:
        return published, None
    return crawled_at, (published if published - crawled_at > skew else None)


def parse_date(value: str | None, now: datetime | None = None, tz: tzinfo = SHANGHAI) -> datetime | None:
    """Parse ``value`` (see the module docstring); None when nothing fits."""
    if not value or not isinstance(value, str):
        return None
    text = value.replace("\u3000", " ").replace("\xa0", " ").strip()
    if not text:
        return None
    if now is None:
        now = datetime.now(tz)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    for parse in (_iso, _rfc822, _ctime_tz, _timestamp, _absolute, _english, _relative, _month_day):
        try:
            result = parse(text, now, tz)
        except (ValueError, OverflowError, TypeError, IndexError):
            result = None  # e.g. 2022-02-30: try the next form, never raise
        if result is not None:
            return result
    return None


def _iso(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return None  # fromisoformat also takes forms we'd rather read ourselves
    return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")), tz)


def _rfc822(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if not _RFC822_HINT.search(text):
        return None
    return _aware(email.utils.parsedate_to_datetime(text), tz)


def _ctime_tz(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if not _CTIME_TZ.match(text):
        return None
    return _aware(datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y"), tz)


def _english(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    m = _ENGLISH.search(text)
    if not m:
        return None
    mon = (m.group("mon") or m.group("mon2")).rstrip(".").lower()[:3]
    day = datetime(int(m.group("y") or m.group("y2")), _MONTHS[mon], int(m.group("d") or m.group("d2")))
    if m.group("H") is None:
        return day.replace(tzinfo=tz)
    hour = int(m.group("H"))
    ampm = (m.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    return day.replace(hour=hour, minute=int(m.group("M")), second=int(m.group("S") or 0), tzinfo=tz)


def _timestamp(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    m = _TIMESTAMP.match(text)
    if not m:
        return None
    ts = int(m.group("ts"))
    return datetime.fromtimestamp(ts / 1000 if ts > 10**11 else ts, tz)


def _absolute(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    for m in _ABSOLUTE.finditer(text):
        try:
            return _with_time(datetime(int(m.group("y")), int(m.group("m")), int(m.group("d"))), m, tz)
        except ValueError:
            continue  # 2022-13-45: maybe a later match is a real date
    return None


def _relative(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    if _JUST_NOW.search(text):
        return now
    m = _AGO.search(text)
    if m:
        n = m.group("n")
        amount = _NUMBER_WORDS[n] if n in _NUMBER_WORDS else int(n)
        return now - timedelta(seconds=amount * _UNIT_SECONDS[m.group("unit")])
    m = _DAY_WORD.search(text)
    if m:
        back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}[m.group("word")]
        local = now.astimezone(tz)
        day = datetime(local.year, local.month, local.day) - timedelta(days=back)
        if m.group("H") is None:
            return day.replace(tzinfo=tz)  # "前天" alone: the day, at midnight
        return _with_time(day, m, tz)
    return None


def _month_day(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    m = _MONTH_DAY.search(text)
    if not m:
        return None
    local = now.astimezone(tz)
    if m.group("m") is not None:
        month, day_of_month = int(m.group("m")), int(m.group("d"))
        result = _with_time(datetime(local.year, month, day_of_month), m, tz)
    else:
        month, day_of_month = int(m.group("m2")), int(m.group("d2"))
        result = datetime(local.year, month, day_of_month, int(m.group("H2")), int(m.group("M2")), tzinfo=tz)
    # "12-31 23:00" read on Jan 1st is last year's.
    if result > now + timedelta(days=1):
        result = result.replace(year=result.year - 1)
    return result


def _with_time(day: datetime, m: re.Match, tz: tzinfo) -> datetime:
    """``day`` plus the optional time groups of ``m``, made aware."""
    if m.group("H") is None:
        return day.replace(tzinfo=tz)
    hour = int(m.group("H"))
    ampm = m.group("ampm")
    if ampm in ("下午", "晚上") and hour < 12 or ampm == "中午" and hour < 11:
        hour += 12
    elif ampm == "凌晨" and hour == 12:
        hour = 0
    result = day.replace(hour=hour, minute=int(m.group("M")), second=int(m.group("S") or 0))
    offset = m.group("tz")
    if offset:
        return _aware(datetime.fromisoformat(result.isoformat() + offset.replace("Z", "+00:00")), tz)
    return result.replace(tzinfo=tz)


def _aware(dt: datetime, tz: tzinfo) -> datetime:
    if dt.year < 1970:
        raise ValueError("implausible year")
    # email.utils gives a naive datetime for "-0000" (unknown zone): use ours.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)
