"""Narrowing a sentence to the clauses about one unit (Chinese and English).

A sentence naming several companies is scored for each unit on its own
clauses: those naming the unit, and their neighbours out to the first one
naming another unit or organisation. The languages split clauses their own
way (sentiment/scorer.py, sentiment/english.py); the walk is shared here, and
so are, for Chinese, what names an organisation (:func:`names_org`) and a
clause's part about the unit when another unit's name ends it (:func:`own_part`).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Final

import rjieba

from sentiment.automaton import any_in


def within(sorted_positions: Sequence[int], start: int, end: int) -> bool:
    """Whether any of ``sorted_positions`` is in [start, end): the first not before ``start`` is before ``end``
    (a few positions, mostly: looked at one by one; many: by bisection)."""
    n = len(sorted_positions)
    if n > _BISECT_FROM:
        i = bisect_left(sorted_positions, start)
        return i < n and sorted_positions[i] < end
    for i in range(n):
        p = sorted_positions[i]
        if p >= start:
            return p < end
    return False


_BISECT_FROM: Final = 8


def grow(count: int, mine: Sequence[int], joins: Callable[[int, int], bool]) -> list[int]:
    """The clause indices ``mine`` and, walking forward (step 1) and back
    (step -1) from each, every neighbour ``j`` while ``joins(j, step)``
    allows it; sorted."""
    keep = set(mine)
    for i in mine:
        for step in (1, -1):
            j = i + step
            while 0 <= j < count and j not in keep and joins(j, step):
                keep.add(j)
                j += step
    return sorted(keep)


# 保险 ends a company's name (众安保险, 紫金保险) only after two characters that
# can end a name: not after a particle, verb, measure or time word (买了保险, 这份
# 保险, 交了三年的保险, 明年保险到期), nor a kind of insurance (商业保险, 医疗保险),
# and not followed by what makes it the trade or a product (保险公司, 保险条款, 保险金).
_NOT_NAME_END = "年月天里了份的买交上办投退卖有个种些款是和与及或在被给对向从么何各后前时都也还就才又再让把将找帮替为称说问打请去到家类项笔张单全新老续转"
_INSURANCE_KINDS = ("商业|人身|财产|健康|养老|医疗|农业|社会|意外|汽车|车辆|责任|信用|保证|相互|政策|重疾|年金|分红|万能|储蓄|"
                    "教育|旅游|旅行|航空|家庭|住房|房屋|工伤|失业|生育|雇主|出口|大病|补充|普通|正规|境外|国外|国内|网上|线上|"
                    "手机|联网|医保|社保|定期|终身|团体|个人|短期|长期|综合|巨灾|天气|价格|指数|收入|履约|工程|货运|运输|船舶|"
                    "宠物|延误|退货|运费|账户|资金|安全|少儿|儿童|老人|女性|防癌|住院|门诊|牙科|专属|惠民|百万|小额|农房|种植|"
                    "养殖|森林|渔业|财政|强制|自愿|各类|各种|相关|这类|那类|此类|该类|一份|两份|几份|多份|一种|这种|那种|什么")
_NOT_AFTER_NAME = "公司|机构|行业|业|产品|条款|合同|责任|金|费|期|单|知识|意识|需求|消费|市场|代理|销售|经纪|箱|柜"
_INSURER_NAME = rf"(?=保险)(?<![{_NOT_NAME_END}])(?<!{_INSURANCE_KINDS})保险(?!{_NOT_AFTER_NAME})"

# A clause naming some organisation that is not a member unit (前海人寿,
# 某网贷平台, 恒丰银行): not a continuation of the unit's clause.
# 该平台, 本公司 refer back and do not count. Two name characters before the
# company word are the same test as a run of two or more ({2,}), without
# the backtracking over every run of Han characters (4x faster).
_ORG_WORDS = "人寿|财险|产险|平台|银行|网贷|集团|基金|证券|信托"
NAMED_ORG = re.compile(rf"[\u4e00-\u9fffA-Za-z0-9]{{2}}(?<![该此本其这那])(?:{_ORG_WORDS}|{_INSURER_NAME})")
# The company words alone. NAMED_ORG's first two characters match almost
# anywhere, so searching it tries the company words at nearly every position;
# names_org tries it only where a company word follows.
_ORG_WORD_LIST = (*_ORG_WORDS.split("|"), "保险")
# NAMED_ORG's tests where a company word is known to start, by hand (_named_at):
# its lookbehinds and lookahead as a character test, a set look-up and a
# startswith, instead of sre trying each of _INSURANCE_KINDS' alternatives.
_NOT_BEFORE_WORD = "该此本其这那"
_KINDS_SET = frozenset(_INSURANCE_KINDS.split("|"))
_NOT_AFTER_TUPLE = tuple(_NOT_AFTER_NAME.split("|"))
_ORG_WORD_SET: Final = frozenset(_ORG_WORD_LIST)
# The scorer's clause separators (sentiment/scorer.py _CLAUSE) but whitespace.
_SEPARATORS: Final = "，,；;：:！!？?|、"


# Another insurer left unnamed (之前在别家理赔拖了三个月，这次在人保财险两天就赔了):
# another organisation too, whose clause is not the unit's. Configuration: rules.yaml
# ``clause_cues.unnamed_org`` (:class:`ClauseCues`); these are the defaults.
UNNAMED_ORG_WORDS = ("别家", "别的公司", "别的保险公司", "其他公司", "其他保险公司", "其它公司", "其它保险公司", "另一家", "上一家",
                     "原来那家", "之前那家", "以前那家",
                     # whose it is (朋友那家理赔拖了半年; 他那边的农险公司拖了三个月): not 他那边 alone, which may be the
                     # unit's own agent (国寿的业务员收了钱，他那边一直拖着)
                     "朋友那家", "朋友那边", "朋友家那边", "亲戚那家", "同事那家", "邻居那家", "对方那家", "对方那边",
                     "那边的保险公司", "那边的农险公司", "那家保险公司", "那家农险公司",
                     # the market's non-member insurers named without a company word (众安的理赔卡了我半年)
                     "众安", "华安", "锦泰", "富德", "安邦", "华泰", "英大", "水滴")
# Verbs of switching insurer (今年车险换成了大地保险, 转投泰康人寿): rules.yaml ``clause_cues.switch_verbs``.
SWITCH_VERBS = ("换成", "换到", "换了", "转到", "转投", "改投", "转保", "换保", "改买", "改成", "转去", "转入", "投奔")


def _alternation(words: Sequence[str]) -> str:
    """The words as a regex alternation, longest first (at one position the longest matches)."""
    return "|".join(re.escape(w) for w in sorted(dict.fromkeys(words), key=len, reverse=True))


class ClauseCues:
    """The words that end a unit's clauses: another organisation left unnamed (别家) and the verbs
    of switching to an insurer (换成了…), from rules.yaml ``clause_cues`` (the defaults above when absent)."""

    def __init__(self, unnamed_org: Sequence[str] = UNNAMED_ORG_WORDS,
                 switch_verbs: Sequence[str] = SWITCH_VERBS) -> None:
        self.unnamed_org = tuple(w for w in unnamed_org if w)
        self.switch_verbs = tuple(w for w in switch_verbs if w)
        self._unnamed = re.compile(_alternation(self.unnamed_org)) if self.unnamed_org else None
        self._switched = re.compile(rf"(?:{_alternation(self.switch_verbs)})了?(?:到|去)?$") \
            if self.switch_verbs else None
        # _CLASSES with _UNNAMED_FIRST at the first character of each unnamed_org word: one look-up per
        # character finds the company words and where an unnamed one may start (_org_scan).
        table = bytearray(_CLASSES.encode("latin-1"))
        self._astral_unnamed = False  # an unnamed word starting beyond the BMP: tested by `in` instead
        for w in self.unnamed_org:
            if ord(w[0]) < 0x10000:
                table[ord(w[0])] |= _UNNAMED_FIRST
            else:
                self._astral_unnamed = True
        self._classes = table.decode("latin-1")

    def names_org(self, text: str) -> bool:
        """Whether ``text`` names an organisation: ``NAMED_ORG.search(text)``,
        or refers to another one left unnamed (``unnamed_org``: 别家).
        A match is two name characters and a company word, so only the two
        positions before each company word are tried (no two company words
        overlap; most insurer sentences have a 保险 that is no company's):
        whether :meth:`org_starts` finds one, stopped at the first."""
        return bool(_org_scan(text, self, True))

    def org_starts(self, text: str) -> list[int]:
        """Where each organisation :meth:`names_org` finds in ``text`` begins,
        ascending. A match lies within one clause (its characters are no clause
        separators) and looks at nothing outside itself but the character after
        a trailing 保险, which is the same in the clause and the text: whether a
        clause at ``[at, end)`` names an organisation is ``within(starts, at, end)``."""
        return _org_scan(text, self, False)

    def switched_to(self, text: str, offset: int, positions: Sequence[int]) -> int:
        """Where in ``text`` (which starts at ``offset``) the verb of switching
        before the first of the unit's names at ``positions`` that follows one
        begins, or -1."""
        return _switched_to(self._switched, text, offset, positions)



def names_org(text: str) -> bool:
    """:meth:`ClauseCues.names_org` with the default words."""
    return DEFAULT_CUES.names_org(text)


def org_starts(text: str) -> list[int]:
    """:meth:`ClauseCues.org_starts` with the default words."""
    return DEFAULT_CUES.org_starts(text)


def _org_scan(text: str, cues: ClauseCues, first: bool) -> list[int]:
    """:meth:`ClauseCues.org_starts` (``first``: stopped at the first found, for names_org) in one pass over the
    characters: a company word (none overlaps another, each of two characters) starts where its first character's
    look-up says so; an unnamed word is searched by its pattern only where one of them occurs (most texts have
    none; 司 of 分公司 is in most insurer sentences, so the words' last characters said little)."""
    classes = cues._classes
    words = cues.unnamed_org
    may_be_unnamed = cues._astral_unnamed and any_in(words, text)
    found: list[int] = []
    n = len(text)
    for i in range(n - 1):
        code = ord(text[i])
        if code >= 0x10000:
            continue
        bits = ord(classes[code])
        if bits & _UNNAMED_FIRST and not may_be_unnamed and text.startswith(words, i):
            may_be_unnamed = True  # where, and whether as a word of its own, the pattern says below
        if bits & _ORG_FIRST and i >= 2:
            word = text[i:i + 2]
            if word in _ORG_WORD_SET and _named_at(text, i, word):
                found.append(i - 2)
                if first:
                    return found
    if not may_be_unnamed and n and ord(text[n - 1]) < 0x10000 and \
            ord(classes[ord(text[n - 1])]) & _UNNAMED_FIRST and text.startswith(words, n - 1):
        may_be_unnamed = True  # a word of one character at the end
    if may_be_unnamed:
        # An unnamed one (a word that must not span a clause separator) lies within one clause too; it counts
        # where it begins a word of the text, not inside a longer one (众安 in 群众安全).
        pattern = cues._unnamed
        if pattern is not None:
            unnamed = [m.start() for m in pattern.finditer(text) if begins_word(text, m.start(), m.end())]
            if first:
                return [-1] if unnamed else found
            found = unnamed + found
    if len(found) > 1:
        found.sort()
    return found


# Characters on each side of a word that jieba sees to tell whether the word begins one of its own.
_WORD_WINDOW: Final = 4


def begins_word(text: str, start: int, end: int) -> bool:
    """Whether the word at ``[start, end)`` of ``text`` (a brand such as 众安, or 别家) begins a word of the
    text rather than sitting inside a longer common one: jieba (its own dictionary), cutting a few
    characters around it, starts a token at ``start`` (群众安全 is 群众|安全: 众安 is inside 群众; 精英大会,
    告别家人 the same), and that token is not a fixed word longer than it by two or more (水滴石穿, 安邦定国;
    众安买 — a name run into the next character — still counts)."""
    lo = max(0, start - _WORD_WINDOW)
    at = lo
    for token in rjieba.cut(text[lo:min(len(text), end + _WORD_WINDOW)]):
        if at == start:
            return len(token) <= end - start + 1
        if at > start:
            return False
        at += len(token)
    return False


def _named_at(text: str, i: int, word: str) -> bool:
    """``NAMED_ORG.match(text, i - 2) is not None`` where the company word ``word``
    (of _ORG_WORD_LIST) starts at ``i`` >= 2: two name characters before it, the
    second no 该此本其这那; for 保险 also NAMED_ORG's _INSURER_NAME: the second no
    _NOT_NAME_END, the two no _INSURANCE_KINDS (all of two characters), and no
    _NOT_AFTER_NAME right after it. Company words are distinct and of two
    characters, so no other alternative can match at ``i``."""
    first, second = ord(text[i - 2]), ord(text[i - 1])
    if first >= 0x10000 or second >= 0x10000:  # no name characters
        return False
    classes = _CLASSES
    if not (ord(classes[first]) & _NAME) or (ord(classes[second]) & (_NAME | _NOT_BEFORE)) != _NAME:
        return False
    if word != "保险":
        return True
    if (ord(classes[second]) & _NOT_END) or text[i - 2:i] in _KINDS_SET:
        return False
    after = ord(text[i + 2]) if i + 2 < len(text) else 0x10000
    return not (after < 0x10000 and (ord(classes[after]) & _STARTS_AFTER) != 0 and text.startswith(_NOT_AFTER_TUPLE, i + 2))


# _named_at's character tests as bits of one look-up per Basic Multilingual Plane character (``ord`` of a
# string's character is native; a character taken as a string is a new object, compared as one):
# a name character (``[\u4e00-\u9fffA-Za-z0-9]``), one of _NOT_BEFORE_WORD, of _NOT_NAME_END, and the first of a
# _NOT_AFTER_NAME word.
_NAME: Final = 1
_NOT_BEFORE: Final = 2
_NOT_END: Final = 4
_STARTS_AFTER: Final = 8
_ORG_FIRST: Final = 16  # the first character of a company word (_ORG_WORD_LIST)
_SEPARATOR: Final = 32  # a clause separator of the scorer's _CLAUSE: ，,；;：:！!？?|、 and whitespace (\s)
_UNNAMED_FIRST: Final = 64  # a ClauseCues instance's own table only: the first character of an unnamed_org word


def _classes() -> str:
    """_CLASSES: one character per BMP character, its bits."""
    table = bytearray(0x10000)
    for lo, hi in ((0x4E00, 0x9FFF), (0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)):  # name characters
        for c in range(lo, hi + 1):
            table[c] |= _NAME
    for ch in _NOT_BEFORE_WORD:
        table[ord(ch)] |= _NOT_BEFORE
    for ch in _NOT_NAME_END:
        table[ord(ch)] |= _NOT_END
    for w in _NOT_AFTER_TUPLE:
        table[ord(w[0])] |= _STARTS_AFTER
    for w in _ORG_WORD_LIST:
        table[ord(w[0])] |= _ORG_FIRST
    for c in range(0x10000):  # \s of a str pattern is str.isspace (no whitespace lies beyond the BMP)
        if chr(c) in _SEPARATORS or chr(c).isspace():
            table[c] |= _SEPARATOR
    return table.decode("latin-1")


_CLASSES: Final = _classes()


def may_end_a_name(ch: str) -> bool:
    """Whether ``ch`` (one character) can be the last of a company's name before a line word (前海|人寿, 长生|人寿):
    a name character that is no particle, verb, measure or time word (_NOT_NAME_END: 在|人寿…, 的|人寿…)."""
    code = ord(ch)
    return code < 0x10000 and (ord(_CLASSES[code]) & (_NAME | _NOT_END)) == _NAME
DEFAULT_CUES = ClauseCues()  # after _CLASSES, which its table copies


def han_clauses(text: str, offset: int) -> list[tuple[str, int]]:
    """``split_clauses(_CLAUSE, text, offset)`` for the scorer's Chinese clauses (sentiment/scorer.py ``_CLAUSE``:
    a run of characters that are no separator, then a run of separators; separators before the first are in no
    clause) by one look-up per character instead of the pattern's class test."""
    classes = _CLASSES
    n = len(text)
    clauses: list[tuple[str, int]] = []
    start = -1  # where the clause being read began
    in_separators = True  # in the separators after a clause's characters (or before the first clause)
    for i in range(n):
        code = ord(text[i])
        separator = code < 0x10000 and (ord(classes[code]) & _SEPARATOR) != 0
        if separator:
            in_separators = True
        elif in_separators:  # a clause starts here: the one before ends
            if start >= 0:
                clauses.append((text[start:i], offset + start))
            start = i
            in_separators = False
    if start >= 0:
        clauses.append((text[start:], offset + start))
    return clauses


def split_clauses(pattern: re.Pattern[str], text: str, offset: int) -> list[tuple[str, int]]:
    """``(m.group(0), offset + m.start())`` for each match of ``pattern`` in ``text``, whose
    matches cover the text after any leading separators one after another (a run of a clause's
    characters, then of separators): their offsets are running lengths, and findall makes no
    match object per clause."""
    parts: list[str] = pattern.findall(text)
    at = offset + len(text)
    for c in parts:
        at -= len(c)
    clauses: list[tuple[str, int]] = []
    for c in parts:
        clauses.append((c, at))
        at += len(c)
    return clauses


# Between two units' names in one clause, a word that gives them one predicate:
# both are its subject (平安车险和人保财险均拒赔) or compared (人保财险比平安车险慢).
_COORDINATORS = "和与及、跟同或比"
# A unit's name with at most this many characters after it to its clause's end
# is the clause's object, not its subject (…后我换了人保财险吉林省分公司).
OBJECT_NAME_CHARS = 12
_CLAUSE_END = "，,；;：:！!？?|、 \u3000\t\n"


def own_part(text: str, offset: int, clause: tuple[str, int], positions: Sequence[int],
              others: Sequence[int]) -> tuple[bool, bool, str]:
    """A clause naming the unit (at ``positions``): whether the unit's own name
    is the clause's object after another unit's (its part is its name), whether
    another unit's name is the object after the unit's (the unit's part ends
    there), and the unit's part: the whole clause when it names no other unit,
    the names are joined by a coordinator, or the later name is followed by a
    predicate of its own (both are subjects: 平安普惠车主贷在没有逾期的情况下骚扰)."""
    words, at = clause
    full, end = at + len(words), at + len(words.rstrip(_CLAUSE_END))
    mine = [p for p in positions if at <= p < full]
    after = [o for o in others if mine[-1] < o < full]
    cut_after = bool(after) and end - after[-1] <= OBJECT_NAME_CHARS and \
        text[after[0] - offset - 1] not in _COORDINATORS
    cut_before = not after and end - mine[-1] <= OBJECT_NAME_CHARS and \
        any(at <= o < mine[0] for o in others) and text[mine[0] - offset - 1] not in _COORDINATORS
    lo = mine[0] if cut_before else at
    hi = after[0] if cut_after else full
    return cut_before, cut_after, words[lo - at:hi - at]


# A list of units' names sharing one predicate (通报：人保财险、平安产险、太保产险投诉量居前三): each item is a clause
# of its own (、 separates clauses) that a unit's name starts and 、 ends, of at most LIST_ITEM_CHARS characters. The
# walk from an item goes through the other items to the clause after them, the last item with the predicate.
LIST_ITEM_CHARS = 16


def list_item(clause: tuple[str, int], positions: Sequence[int], others: Sequence[int]) -> bool:
    """Whether ``clause`` is one item of a list of units' names (a unit's name at ``positions`` or ``others``
    starts it, 、 ends it, and it is short)."""
    words, at = clause
    return len(words) <= LIST_ITEM_CHARS and words.endswith("、") and \
        (within(positions, at, at + 1) or within(others, at, at + 1))


# A unit's name right after a verb of switching (今年车险换成了大地保险, 转投泰康人寿):
# the insurer switched to, not the one the words before complain about
# (锦泰保险拖了半年才赔一半，今年换成了大地保险).
def switched_to(text: str, offset: int, positions: Sequence[int]) -> int:
    """:meth:`ClauseCues.switched_to` with the default verbs."""
    return DEFAULT_CUES.switched_to(text, offset, positions)


def _switched_to(pattern: re.Pattern[str] | None, text: str, offset: int, positions: Sequence[int]) -> int:
    if pattern is None:
        return -1
    end = offset + len(text)
    for p in positions:
        if offset < p < end:
            found = pattern.search(text, max(0, p - offset - 5), p - offset)
            if found is not None:
                return found.start()
    return -1
