"""A text cut once serves the segments and the key terms (sentiment/tokenize.py): the tags told from jieba's
dictionary for tokens cut already, and a cut assembled from its parts' cuts, equal what rjieba gives."""
import json
import random
from pathlib import Path

import pytest

from contracts.messages import Document
from pipeline.config import load_config
from sentiment.incidents import KEEP_TAGS, NameParts, OwnNames, key_terms, key_terms_of
from sentiment.scorer import lead_of
from sentiment.tokenize import KEPT, UNKNOWN, Tokenizer, tag_kind
from tests.kit import DEMO_CONFIG
from yuqing.bootstrap import App

EVAL = Path(__file__).resolve().parent.parent / "eval"


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    return App(load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("data"))).scorer


def eval_texts() -> list[str]:
    texts = []
    for path in sorted(EVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip() else {}
            if "title" in item:
                texts.append(lead_of(item["title"], item.get("text", "")))
    return texts


def test_a_tokens_kind_is_the_kind_of_the_tag_rjieba_gives_it_in_the_text(scorer):
    tok = scorer.tokenizer
    tags = tok.word_tags(KEEP_TAGS)
    extra = ["学平险先垫付，实控人王某某称PICC与ABC123无关", "２０２３年赔了１２.５万元（约5%）", "福往者福来，如家越住越好",
             "B超查出问题", "投保后理赔，保费退了", "Ｔ恤、①号、é、🙂"]
    unknown = total = 0
    for text in eval_texts() + extra:
        pairs = tok.tags(text)
        for word, tag in pairs:
            kind = tags.kind(word)
            total += 1
            if kind == UNKNOWN:  # only a word that tag() does not keep whole when alone
                unknown += 1
                assert [w for w, _ in tok.tags(word)] != [word]
            else:
                assert kind == tag_kind(tag, KEEP_TAGS), (text, word, tag)
        tags.learn(pairs)  # then told from what was learnt
        assert [tags.kind(w) for w, _ in pairs] == [tag_kind(t, KEEP_TAGS) for _, t in pairs]
    assert total > 20_000 and 0 < unknown < total // 200


def test_numbers_words_of_the_dictionary_and_new_words_have_the_kind_of_their_tag_in_a_text():
    """Numbers are told without tagging (a number the dictionary lacks is "m"); every other word by tagging it
    alone, once: 62 and 2016 (m), 3G (eng), 套餐 (n), 报警 (n in jieba's dictionary), 和 (c), ，(x), a name."""
    tok = Tokenizer(extra_words=["国寿吉林分公司"])
    tags = tok.word_tags(KEEP_TAGS)
    text = "2016年买了3G套餐和B超，赔了62万元，110报警。王建国说国寿吉林分公司答应了"
    pairs = tok.tags(text)
    assert ("62", "m") in pairs and ("报警", "n") in pairs and ("，", "x") in pairs
    for word, tag in pairs * 2:  # the second time from what was remembered
        assert tags.kind(word) == tag_kind(tag, KEEP_TAGS), (word, tag)
    assert tags.kind("123456789") == KEPT and "123456789" not in tags._known  # numbers are not remembered


def test_key_terms_of_a_cut_text_equal_those_of_the_tagged_text(scorer):
    tok = scorer.tokenizer
    tags = tok.word_tags(KEEP_TAGS)
    names = ["中国人寿吉林省分公司", "中国人寿", "国寿"]
    own = OwnNames(names[:1], [NameParts.of(names)])
    learnt = 0
    for text in eval_texts():
        terms = key_terms_of(tok.cut(text), tags, own)
        if terms is None:  # a word whose tag needed the text: learnt from it
            learnt += 1
            tags.learn(tok.tags(text))
            terms = key_terms_of(tok.cut(text), tags, own)
        assert terms == key_terms(tok.tags(text), names[:1], known=[NameParts.of(names)]), text
    assert learnt < 100
    fresh = Tokenizer().word_tags(KEEP_TAGS)
    text = "实控人被查，实控人失联"
    assert key_terms_of(tok.cut(text), fresh, own) is None  # 实控人 alone is cut 实控 + 人
    fresh.learn(tok.tags(text))
    assert key_terms_of(tok.cut(text), fresh, own) == key_terms(tok.tags(text), names[:1], known=[NameParts.of(names)])


def test_a_scored_texts_key_terms_are_those_of_its_tagged_title_and_lead(scorer):
    """Short texts: the key terms' cut takes the segments' tokens (Tokenizer.cut_with); long ones: the lead cut
    once. Both against tagging the title and lead as before."""
    levelled = 0
    for i, text in enumerate(eval_texts()):
        title, _, body = text.partition("\n")
        for part in (body, "", body * 3):  # a post, a headline alone, a text running past the lead
            d = Document.create(url=f"http://t.example.cn/{i}/{len(part)}", source_id="t", channel="weibo",
                                site="t.example.cn", title=title, text=part)
            scored = scorer.score(d)
            if scored.level is None:
                continue
            levelled += 1
            names = [a for u in scored.units for a in (u.unit_name, *u.aliases)]
            known = [NameParts.of((s.name, *s.aliases)) for u in scored.units if (s := scorer.matcher.units.get(u.unit_id))]
            assert scored.key_terms == key_terms(scorer.tokenizer.tags(lead_of(title, part)), names, known=known)
    assert levelled > 500


FRAGMENTS = ["中国人寿吉林省分公司", "人保财险", "拒赔", "理赔", "王先生", "太过分了", "，", "。", "！", " ", "\r\n", "\n", "\r",
             "\u3000", "\xa0", "5%", "12.5", "ABC", "abc.com", "-", "&", "：", "“", "”", "（", "）", "…", "—", "、", "|", ",",
             "保险公司", "不予", "赔付", "长春市", "的", "了", "是", "🙂", "Ａ", "①", "é", "实控人"]


def test_a_cut_assembled_from_its_parts_cuts_is_jiebas_cut():
    tok = Tokenizer(extra_words=["中国人寿吉林省分公司", "人保财险"])
    rng = random.Random(5)
    for _ in range(1_500):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(1, 25)))
        pieces = {}
        for _ in range(rng.randrange(0, 5)):
            a = rng.randrange(0, len(text))
            part = text[a:rng.randrange(a + 1, len(text) + 1)]
            pieces[part] = tok.cut(part)
        assert tok.cut_with(text, pieces) == tok.cut(text), (text, list(pieces))
    # a title ending in "\r": the line break after it makes "\r\n", one token, so the title's cut is not taken
    assert tok.cut_with("人保财险拒赔\r\n", {"人保财险拒赔\r": tok.cut("人保财险拒赔\r")}) == tok.cut("人保财险拒赔\r\n")
    assert tok.cut_with("人保财险拒赔\n", {"人保财险拒赔": ["假的"]}) == ["假的", "\n"]  # the piece is taken as given


def test_words_a_tokenizer_adds_keep_a_dictionary_words_tag():
    """add_word changes a dictionary word's frequency, not its tag (jieba-rs): 投保 stays vn (kept) though
    insurance_dict.txt says v; a new word takes the tag given, or none."""
    tok = Tokenizer(extra_words=["国寿吉林分公司"])
    tags = tok.word_tags(KEEP_TAGS)
    assert dict(tok.tags("投保")) == {"投保": "vn"} and tags.kind("投保") == KEPT
    assert dict(tok.tags("国寿吉林分公司")) == {"国寿吉林分公司": ""} and tags.kind("国寿吉林分公司") != KEPT
