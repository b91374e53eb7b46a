"""Candidate aliases for member units, from their names as registered.

An association starts its member list from registered names
(中国人民财产保险股份有限公司吉林省分公司), but people write 人保财险, 人保,
PICC, 吉林人保财险. :func:`suggest` derives the names people use, for a human
to review (``yuqing members suggest-aliases`` writes them as YAML); nothing
here is applied automatically. Pure: no I/O.

How a registered name is read:

* the branch: ``…公司`` followed by ``<region>[省]分公司`` (or 中心支公司…);
* legal forms dropped: 股份有限公司, 有限责任公司, 有限公司, （集团）;
* the line of business at the end of the core: 财产保险 (→ 财险, 产险),
  人寿保险 (→ 人寿, 寿险), 健康保险, 养老保险, 农业保险 (→ 农险), 相互保险,
  保险; what precedes it is the brand (中国人民, 中国平安, 国华);
* brand forms: the brand, without its 中国 prefix (中国平安 → 平安), and the
  established contractions in :data:`CONTRACTIONS` (中国人民 → 人保, 中国人寿 →
  国寿, 中国太平洋 → 太保), which no rule can derive;
* candidates: each brand form alone, with 保险, and with each short line
  name (人保财险, 平安产险, 国寿财险); the bare line when the brand is only
  中国 (中国人寿 → 人寿); branch forms with the region (人保财险吉林分公司,
  吉林人保财险, 人寿吉林分公司); English names (without Company Limited…,
  their all-capital acronyms such as PICC); the parent group's short name
  (天茂集团 for 国华人寿) as a related name.

An alias needs context (``needs_context``: it counts only with an insurance
word nearby, see sentiment/matching.py) when it is an everyday word or
another organisation's name as often as the insurer's: a Chinese alias with
none of 保, 险, 寿 and no 分公司 (平安, 太平, 阳光, 大地, 新华, 泰康, 天安),
a bare line name (人寿, 财险), an English name without an insurance word
(Ping An, Sunshine), and every group name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Established contractions no rule derives: brand prefix -> short brand.
CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "中国人民": ("人保",),
    "中国人寿": ("国寿",),
    "中国太平洋": ("太保",),
    "中国太平": ("太平",),
    "中国平安": ("平安",),
    "中国大地": ("大地",),
    "中华联合": ("中华",),
    "英大泰和": ("英大",),
    "富德生命": ("富德",),
    "中美联泰大都会": ("大都会",),
    "工银安盛": ("工银安盛",),
    "中国再保险": ("中再",),
}
# Line of business at the end of a name's core -> how people shorten it.
LINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("农业相互保险", ("农险", "相互保险")),
    ("在线财产保险", ("在线", "财险")),
    ("财产保险", ("财险", "产险")),
    ("人寿保险", ("人寿", "寿险")),
    ("健康保险", ("健康", "健康险")),
    ("养老保险", ("养老",)),
    ("农业保险", ("农险", "农业保险")),
    ("相互保险", ("相互保险",)),
    ("责任保险", ("保险",)),
    ("再保险", ("再保险",)),
    ("人寿", ("人寿",)),
    ("保险", ("保险",)),
)
_LEGAL = re.compile(r"(?:（集团）|\(集团\))?(?:股份有限公司|有限责任公司|有限公司|股份公司|总公司|公司)$")
_BRANCH = re.compile(r"^(?P<head>.+?(?:公司|集团))(?P<region>[\u4e00-\u9fff]{2,4}?)(?P<province>省?)"
                     r"(?:分公司|中心支公司|支公司)$")
_GROUP_WORDS = re.compile(r"(?:实业|控股|投资|金融)?(?:集团|控股)$")
_ENGLISH_LEGAL = re.compile(r"\s*,?\s*\b(?:company|co\.?|corporation|corp\.?|limited|ltd\.?|inc\.?|group)\b\.?",
                            re.IGNORECASE)
_ENGLISH_INSURANCE = re.compile(r"\b(?:insurance|life|assurance|casualty|property|p&c|reinsurance|insurer)\b",
                                re.IGNORECASE)
INSURANCE_MARKS = "保险寿"
COMBINE_ONLY = {"中国", "中华"}  # not an alias alone, but 中国人寿, 中华财险
STOP = {"中国", "人民", "中国人民", "中华", "保险", "人寿保险", "财产保险", ""}
GENERIC = {"人寿", "寿险", "财险", "产险", "健康", "健康险", "养老", "农险", "相互保险", "在线", "再保险", "保险"}


@dataclass(frozen=True)
class Registered:
    """A member as registered: its name, English name, parent group's name."""

    id: str
    name: str
    english: str = ""
    group: str = ""


@dataclass(frozen=True)
class Candidate:
    alias: str
    kind: str  # brand | branch | english | group
    needs_context: bool
    why: str


@dataclass
class Suggestion:
    unit: Registered
    candidates: list[Candidate] = field(default_factory=list)
    shared: dict[str, list[str]] = field(default_factory=dict)  # alias -> other unit ids it was suggested for

    def aliases(self) -> list[str]:
        return [c.alias for c in self.candidates]


def split_name(name: str) -> tuple[str, str, str]:
    """``(core, line, region)``: 中国人民财产保险股份有限公司吉林省分公司 →
    (中国人民, 财产保险, 吉林)."""
    region = ""
    m = _BRANCH.match(name)
    if m:
        name, region = m.group("head"), m.group("region")
    core = _LEGAL.sub("", name)
    core = _LEGAL.sub("", core)  # 有限公司 after （集团）
    for line, _ in LINES:
        if core.endswith(line) and len(core) > len(line):
            return core[:-len(line)], line, region
    return core, "", region


def contraction(full: str) -> tuple[str, tuple[str, ...]]:
    """The longest :data:`CONTRACTIONS` prefix of ``full`` (brand + line) and
    its short forms: 中国太平洋财产保险 → (中国太平洋, (太保,)), not 中国太平."""
    best = max((p for p in CONTRACTIONS if full.startswith(p)), key=len, default="")
    return best, CONTRACTIONS.get(best, ())


def brand_forms(brand: str, line: str = "") -> list[str]:
    """The brand, without 中国, and its contractions (with 中国: 中国人保).
    A contraction that swallows part of the line (中国人寿 → 国寿) is not
    combined with the line again: it is returned in the second list."""
    forms = [brand]
    if brand.startswith("中国") and len(brand) > 2:
        forms.append(brand[2:])
    prefix, shorts = contraction(brand + line)
    if len(prefix) <= len(brand):
        for short in shorts:
            forms.append(short)
            if brand.startswith("中国") and not short.startswith("国"):
                forms.append("中国" + short)
    return list(dict.fromkeys(f for f in forms if f))


def whole_contractions(brand: str, line: str) -> list[str]:
    """Contractions covering the brand and part of the line (国寿)."""
    prefix, shorts = contraction(brand + line)
    return list(shorts) if len(prefix) > len(brand) else []


def needs_context(alias: str) -> bool:
    if alias.isascii():
        if re.fullmatch(r"[A-Z]{3,6}(?:\s+(?:Life|P&C))?", alias):
            return False  # PICC, CPIC, CPIC Life
        return not _ENGLISH_INSURANCE.search(alias)
    if "分公司" in alias or (alias.startswith("中国") and len(alias) >= 4):
        return False  # a branch; 中国平安, 中国大地: the brand in full
    return alias in GENERIC or not any(c in alias for c in INSURANCE_MARKS)


def _english(name: str) -> list[str]:
    if not name:
        return []
    base = re.sub(r"\s+of\s+china\b", "", _ENGLISH_LEGAL.sub("", name), flags=re.IGNORECASE).strip(" ,.")
    out = [base]
    short = re.sub(r"\s+(?:insurance|assurance)$", "", base, flags=re.IGNORECASE).strip()
    if short and short != base:
        out.append(short)
    for word in base.split():
        if re.fullmatch(r"[A-Z]{3,6}", word):
            out.append(word)
    return list(dict.fromkeys(o for o in out if o))


def group_short(group: str) -> list[str]:
    """天茂实业集团股份有限公司 → 天茂集团, 天茂."""
    core = _LEGAL.sub("", _LEGAL.sub("", group))
    brand = _GROUP_WORDS.sub("", core)
    brand, line, _ = split_name(brand) if brand.endswith("保险") else (brand, "", "")
    out = [core]
    forms = [f for f in brand_forms(brand, line) if f not in STOP]
    if brand and brand not in STOP:
        out.append(f"{brand}集团")
    out += [f"{f}集团" for f in forms if f != brand] + forms + whole_contractions(brand, line)
    return list(dict.fromkeys(out))


def suggest(unit: Registered, regions: Sequence[str] = ("吉林",)) -> Suggestion:
    name = unit.name
    group = "集团" in name
    if group:  # 中国人民保险集团股份有限公司, 天茂实业集团…: read the name without 集团
        name = _GROUP_WORDS.sub("", _LEGAL.sub("", _LEGAL.sub("", name)).replace("（集团）", "").replace("(集团)", ""))
    core, line, region = split_name(name)
    lines = dict(LINES).get(line, ())
    found: dict[str, Candidate] = {}

    def add(alias: str, kind: str, why: str) -> None:
        if alias and alias not in STOP and alias != unit.name and alias not in found:
            found[alias] = Candidate(alias, kind, needs_context(alias), why)

    forms = brand_forms(core, line)
    brands: list[str] = []
    for f in forms:
        if f in STOP and f not in COMBINE_ONLY:
            continue
        for short in lines:
            if not f.endswith(short) and not (f.endswith("保") and short.startswith("保")):
                brands.append(f + short)  # 人保财险, not 人保保险
        if f not in STOP:
            brands.append(f)
    brands += whole_contractions(core, line)
    if core in ("中国", ""):
        brands += list(lines)  # 中国人寿: 人寿
    add(core + line, "brand", "名称去掉公司形式")
    for b in brands:
        add(b, "brand", "品牌简称" if b not in GENERIC else "险种通称")
    if group:
        for f in [f for f in forms if f not in STOP] + whole_contractions(core, line) + [core + line]:
            add(f + "集团", "brand", "集团简称")
    for f in forms if line else ():  # not for a holding company (天茂)
        if (f not in STOP or f in COMBINE_ONLY - {"中国"}) and not f.endswith(("保险", "保")):
            add(f + "保险", "brand", "品牌+保险")
    if region or regions:
        place = region or regions[0]
        for b in brands[:8]:
            if b in GENERIC - {"人寿"}:
                continue  # 寿险吉林分公司 could be any insurer's
            add(f"{b}{place}分公司", "branch", "分支机构")
            if region and "省" in unit.name[-6:]:
                add(f"{b}{place}省分公司", "branch", "分支机构")
            if b not in GENERIC and not needs_context(b):
                add(f"{place}{b}", "branch", "地区+品牌")
        if region:
            add(f"{core}{line}{place}省分公司" if line else "", "branch", "分支机构（全称简写）")
    for e in _english(unit.english):
        add(e, "english", "英文名")
    if unit.group:
        for g in group_short(unit.group):
            if g not in found:
                found[g] = Candidate(g, "group", True, f"所属集团（{unit.group}）：集团新闻未必涉及本单位")
    return Suggestion(unit, list(found.values()))


def suggest_all(units: Iterable[Registered], regions: Sequence[str] = ("吉林",)) -> list[Suggestion]:
    """Suggestions for every unit; an alias suggested for more than one unit
    is listed in each one's ``shared`` (it cannot tell them apart)."""
    out = [suggest(u, regions) for u in units]
    owners: dict[str, list[str]] = {}
    for s in out:
        for a in s.aliases():
            owners.setdefault(a, []).append(s.unit.id)
    for s in out:
        s.shared = {a: [o for o in owners[a] if o != s.unit.id] for a in s.aliases() if len(owners[a]) > 1}
    return out


def review_document(suggestions: Sequence[Suggestion], existing: dict[str, Sequence[str]] | None = None) -> dict:
    """The candidates as a plain document for review (the CLI writes it as
    YAML): per unit its registered name, the aliases it already has, and
    each new candidate with its kind, whether it needs context, why, and the
    other units it was also suggested for. Copy what you keep into
    members.yaml (``aliases``, and ``needs_context`` for the flagged ones)."""
    existing = existing or {}
    units = []
    for s in suggestions:
        have = set(existing.get(s.unit.id, ()))
        new = [c for c in s.candidates if c.alias not in have]
        units.append({
            "id": s.unit.id,
            "name": s.unit.name,
            "aliases_now": list(existing.get(s.unit.id, ())),
            "candidates": [{"alias": c.alias, "kind": c.kind, "needs_context": c.needs_context, "why": c.why,
                            **({"also_for": s.shared[c.alias]} if c.alias in s.shared else {})} for c in new],
            "needs_context_suggested": [c.alias for c in s.candidates if c.needs_context and c.kind != "group"],
        })
    return {"about": "候选别名，供人工审核；保留的写入 members.yaml 的 aliases，标为 needs_context 的须同时写入 needs_context",
            "units": units}
