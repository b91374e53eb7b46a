"""The word search every matcher walks with (sentiment/automaton.py): what it finds, in which order."""
import random

from sentiment.automaton import SharedWalk, build_automaton, leftmost_longest
from sentiment.bayes import NaiveBayes
from sentiment.negativity import NegativityScorer
from sentiment.tokenize import Tokenizer


def _every(words, text):
    """Every occurrence, by end, at one end the longest first (what pyahocorasick's iter gave)."""
    found = [(s, s + len(w), w) for w in set(words) for s in range(len(text)) if text.startswith(w, s)]
    return sorted(found, key=lambda f: (f[1], f[0]))


def _leftmost_longest(words, text):
    out, i = [], 0
    while i < len(text):
        here = [w for w in set(words) if text.startswith(w, i)]
        if here:
            w = max(here, key=len)
            out.append((i, i + len(w), w))
            i += len(w)
        else:
            i += 1
    return out


def test_every_occurrence_and_leftmost_longest_agree_with_brute_force():
    rng = random.Random(11)
    alphabet = "abcé中国人寿😀"
    for _ in range(400):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 5))) for _ in range(rng.randrange(1, 10))]
        every = build_automaton((w, w) for w in words)
        longest = build_automaton(((w, w) for w in words), longest=True)
        assert every is not None and longest is not None
        for _ in range(10):
            text = "".join(rng.choice(alphabet + "xy") for _ in range(rng.randrange(0, 30)))
            assert every.find(text) == _every(words, text), (words, text)
            assert longest.find(text) == _leftmost_longest(words, text), (words, text)


def test_offsets_are_characters_and_the_longest_comes_first_at_one_end():
    auto = build_automaton([("中国人寿", 1), ("人寿", 2), ("寿", 3), ("😀a", 4)])
    assert auto is not None
    assert auto.find("😀a买了中国人寿") == [(0, 2, 4), (4, 8, 1), (6, 8, 2), (7, 8, 3)]


def test_words_are_lower_cased_the_first_value_wins_and_no_words_is_none():
    auto = build_automaton([("PICC", "first"), ("picc", "second"), ("", "empty")])
    assert auto is not None and auto.find("picc") == [(0, 4, "first")]
    assert build_automaton([]) is None and build_automaton([("", 1)]) is None


def test_a_lone_surrogate_in_the_text_is_walked_over_with_offsets_kept():
    auto = build_automaton([("人寿", 1)])
    assert auto is not None
    assert auto.find("\ud83d中国人寿\udca9") == [(3, 5, 1)]


def test_a_phrase_ending_an_unfinished_longer_one_is_found():
    # pyahocorasick's iter_long found nothing in 拒不赔。 (不赔 is the end of 拒不赔付's
    # unfinished prefix); leftmost-longest finds 不赔 there, and 拒不赔付 where it is whole.
    neg = NegativityScorer(Tokenizer(), {"理赔纠纷": ["拒不赔付", "不赔"], "欠薪裁员": ["拖欠薪资", "欠薪"]}, [],
                           NaiveBayes({"拒赔": 5}, {"服务": 5}))
    assert [h[0] for h in neg.lexicon_hits("保险公司拒不赔。")] == ["不赔"]
    assert [h[0] for h in neg.lexicon_hits("保险公司拒不赔付")] == ["拒不赔付"]
    assert [h[:1] + h[3:] for h in neg.lexicon_hits("老板拖欠薪")] == [("欠薪", 3, 5)]
    assert [h[0] for h in neg.lexicon_hits("拖欠薪资，拒不赔")] == ["拖欠薪资", "不赔"]


def test_a_shared_walk_finds_per_set_what_each_set_alone_finds_in_the_same_order():
    # Words may repeat across sets; within a set they are unique (as build_automaton keeps them).
    rng = random.Random(17)
    alphabet = "abcé中国人寿😀"
    for _ in range(300):
        sets = [list(dict.fromkeys("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 5)))
                                   for _ in range(rng.randrange(0, 7)))) for _ in range(3)]
        walk = SharedWalk(sets)
        alone = [build_automaton((w, i) for i, w in enumerate(words)) for words in sets]
        for _ in range(10):
            text = "".join(rng.choice(alphabet + "xy") for _ in range(rng.randrange(0, 30)))
            split: list[list[tuple[int, int, int]]] = [[] for _ in sets]
            for i, start, end in walk.find(text):
                k = sum(1 for b in walk.bounds if b <= i)
                split[k].append((start, end, i - (walk.bounds[k - 1] if k else 0)))
            assert split == [a.find(text) if a else [] for a in alone], (sets, text)


def test_leftmost_longest_of_a_shared_walks_occurrences_is_what_a_leftmost_longest_automaton_finds():
    # negativity.py walks the lexicon in one SharedWalk with the cues and takes its phrases so.
    rng = random.Random(23)
    alphabet = "abcé中国人寿😀"
    for _ in range(300):
        words = list(dict.fromkeys("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 5)))
                                   for _ in range(rng.randrange(1, 8))))
        other = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 4))) for _ in range(3)]
        walk = SharedWalk([words, list(dict.fromkeys(other))])
        longest = build_automaton(((w, i) for i, w in enumerate(words)), longest=True)
        assert longest is not None
        for _ in range(10):
            text = "".join(rng.choice(alphabet + "xy") for _ in range(rng.randrange(0, 30)))
            mine = [(p, s, e) for p, s, e in walk.find(text) if p < walk.bounds[0]]
            assert [(s, e, p) for p, s, e in leftmost_longest(mine)] == longest.find(text), (words, text)
            assert leftmost_longest(mine[::-1]) == leftmost_longest(mine)  # in any order


def test_a_shared_walk_over_no_words_and_over_a_lone_surrogate():
    assert SharedWalk([[], []]).find("中国人寿") == []
    walk = SharedWalk([["人寿"], ["寿"]])
    assert walk.bounds == [1, 2]
    assert walk.find("\ud83d中国人寿\udca9") == [(0, 3, 5), (1, 4, 5)]
