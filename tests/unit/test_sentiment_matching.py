"""Member-unit matching: aliases, leftmost-longest, exclusions, positions."""
from sentiment.matching import UnitMatcher, UnitSpec, han_only
from sentiment.tokenize import Tokenizer, sentence_spans


def test_longest_alias_wins_and_exclusions_do_not_match():
    m = UnitMatcher([
        UnitSpec("pingan-pc", "平安产险", ("中国平安", "平安保险"), ("平安保险柜",)),
        UnitSpec("pingan-life", "平安人寿", ("中国平安人寿",)),
    ])
    text = "中国平安人寿发布年报；商场出售平安保险柜；平安保险回应"
    found = {x.unit_id: x for x in m.find(text)}
    assert set(found) == {"pingan-pc", "pingan-life"}
    assert found["pingan-life"].aliases == ["中国平安人寿"]
    assert found["pingan-pc"].aliases == ["平安保险"]
    assert found["pingan-pc"].positions == [text.rindex("平安保险")]
    assert found["pingan-pc"].ends == [text.rindex("平安保险") + 4]


def test_an_excluded_occurrence_does_not_hide_an_overlapping_alias():
    m = UnitMatcher([
        UnitSpec("taiping", "太平人寿", ("中国太平",), ("中国太平洋",)),
        UnitSpec("cpic", "太平洋财险", ("太平洋保险",)),
    ])
    assert [x.unit_id for x in m.find("中国太平洋保险吉林分公司开展宣传")] == ["cpic"]
    assert [x.unit_id for x in m.find("中国太平吉林分公司开展宣传")] == ["taiping"]


def test_ordinary_words_are_not_units():
    m = UnitMatcher([UnitSpec("pingan", "中国平安", ("平安产险", "平安"), ("平安夜", "出入平安", "平安吉林"))])
    assert m.find("平安夜长春街头，市民互道出入平安，共建平安吉林") == []
    assert [x.aliases for x in m.find("平安夜，平安产险理赔员仍在岗")] == [["平安产险"]]


def test_latin_aliases_match_whole_words_only_and_ignore_case():
    m = UnitMatcher([UnitSpec("picc", "人保财险", ("PICC",))])
    assert m.find("PICCOLO 咖啡店开业") == []
    assert [x.aliases for x in m.find("picc吉林分公司发布公告")] == [["picc"]]


def test_branch_names_are_specific_and_bare_brands_are_not():
    m = UnitMatcher([UnitSpec("cpic", "中国太平洋财产保险股份有限公司吉林分公司", ("太平洋保险", "太保产险吉林分公司"))],
                    region_words=["吉林"])
    assert not m.find("太平洋保险发布年报")[0].specific
    assert m.find("太平洋保险吉林分公司被罚款")[0].specific  # brand + region + 分公司
    assert m.find("太保产险吉林分公司开展活动")[0].specific


def test_hundreds_of_units_in_one_pass():
    units = [UnitSpec(f"u{i}", f"测试保险{i:03d}号吉林分公司", (f"测试{i:03d}保险",)) for i in range(500)]
    m = UnitMatcher(units)
    found = m.find("据悉，测试042保险与测试保险317号吉林分公司今日签约，测试999保险未参加。")
    assert sorted(x.unit_id for x in found) == ["u317", "u42"]


def test_user_dictionary_keeps_insurance_words_and_aliases_whole():
    tok = Tokenizer(extra_words=["中国人寿吉林省分公司"])
    words = tok.words("中国人寿吉林省分公司退保难，代理人销售误导引发理赔纠纷")
    for w in ("中国人寿吉林省分公司", "退保难", "代理人", "销售误导", "理赔纠纷"):
        assert w in words, words
    assert "理赔纠纷" in tok.search_tokens("理赔纠纷") and "理赔" in tok.search_tokens("理赔纠纷")


def test_sentence_spans_give_offsets_into_the_text():
    text = "标题\n第一句。第二句！“第三句？”\n\n第四句"
    spans = sentence_spans(text)
    assert [s for s, _ in spans] == ["标题", "第一句。", "第二句！", "“第三句？”", "第四句"]
    assert all(text[at:at + len(s)] == s for s, at in spans)


def test_an_ideograph_word_occurs_in_a_text_exactly_where_it_occurs_lower_cased():
    # Why region words in ideographs are looked for in the lower-cased text (UnitMatcher.walk):
    # lower-casing keeps every ideograph and makes none from any other character.
    for code in range(0x110000):
        ch = chr(code)
        if han_only(ch):
            assert ch.lower() == ch
        else:
            assert not any(han_only(c) for c in ch.lower()), hex(code)
    assert han_only("吉林") and not han_only("Jilin") and not han_only("吉林省2") and not han_only("")


def test_one_walk_gives_the_units_the_region_and_the_extra_words():
    m = UnitMatcher([UnitSpec("cl", "中国人寿", ("国寿",), ("国寿安保基金",))], region_words=["长春", "Jilin"],
                    extra_words=["长春", "招聘", "国寿"])
    text = "国寿安保基金招聘；中国人寿长春理赔"
    walked = m.walk(text)
    assert [(x.unit_id, x.positions) for x in walked.matches] == [("cl", [9])]
    assert walked.region
    # Every occurrence of an extra word, even inside an exclusion phrase or an alias, by end.
    assert walked.extra == [(0, 2, 2), (6, 8, 1), (13, 15, 0)]
    assert m.find(text) == walked.matches
    # A region word not in ideographs is matched as written, as `in` on the text does.
    assert m.walk("China Life in Jilin").region and not m.walk("CHINA LIFE IN JILIN").region
    assert not m.walk("中国人寿理赔").region and m.walk("").matches == []


def test_another_provinces_branch_is_not_the_member():
    m = UnitMatcher([UnitSpec("picc", "中国人民财产保险股份有限公司吉林省分公司", ("人保财险",))], ("吉林", "长春"))
    assert m.find("人保财险江苏省分公司因虚列费用被罚") == []
    assert m.find("人保财险北京分公司、人保财险内蒙古分公司被罚") == []
    assert [x.specific for x in m.find("人保财险吉林省分公司开展宣传")] == [True]
    assert [x.specific for x in m.find("人保财险长春分公司开展宣传")] == [True]
    # Not followed by 分公司 (a customer in Jiangsu), or a specific name: the member.
    assert [x.unit_id for x in m.find("在江苏出差时人保财险理赔很快")] == ["picc"]
    assert [x.unit_id for x in m.find("人保财险的分公司")] == ["picc"]
    # Another province, then the member's own branch: the member, at the second occurrence.
    found = m.find("人保财险江苏分公司与人保财险吉林分公司签约")
    assert [(x.unit_id, x.positions, x.specific) for x in found] == [("picc", [10], True)]


def test_a_group_alias_belongs_to_the_unit_of_the_group_the_text_names():
    m = UnitMatcher([
        UnitSpec("pingan-pc", "平安产险", ("中国平安", "平安产险"), group="平安", group_aliases=("中国平安",)),
        UnitSpec("pingan-life", "平安人寿", ("平安人寿",), group="平安"),
        UnitSpec("picc", "人保财险", ("人保财险",)),
    ])
    ids = lambda text: [x.unit_id for x in m.find(text)]  # noqa: E731
    assert ids("中国平安发布年报，平安人寿新业务价值回升") == ["pingan-life"]
    assert ids("中国平安发布年报，利润增长") == ["pingan-pc"]  # the group's name alone: the unit that owns it
    assert ids("人保财险、中国平安保费增长") == ["picc", "pingan-pc"]  # another group's unit does not take it
    # The unit's own names still count beside its sibling's.
    assert ids("中国平安旗下平安产险和平安人寿均获评A级") == ["pingan-pc", "pingan-life"]
    found = {x.unit_id: x for x in m.find("中国平安旗下平安产险和平安人寿均获评A级")}
    assert found["pingan-pc"].aliases == ["平安产险"]


def test_an_alias_starting_with_a_line_is_not_the_tail_of_another_insurers_name():
    # 人寿吉林分公司 (中国人寿's branch, the brand stripped as people say it) ends every life insurer's branch name:
    # where another name ends right before it, it is that insurer's, listed anywhere or not.
    m = UnitMatcher([UnitSpec("cl", "中国人寿保险股份有限公司吉林省分公司", ("中国人寿吉林分公司", "人寿吉林分公司", "国寿")),
                     UnitSpec("cpl", "中国太平洋人寿保险股份有限公司吉林分公司", ("太平洋人寿",))])
    for other in ("富德生命人寿吉林分公司因未按规定使用条款被罚", "长生人寿吉林分公司虚构中介业务被罚",
                  "海港人寿吉林分公司理赔拖延遭投诉", "ABC人寿吉林分公司被罚"):
        assert m.find(other) == [], other
    # the member by its longer alias, after a particle or verb, after punctuation or at the start
    for own in ("中国人寿吉林分公司被罚", "人寿吉林分公司被罚", "今天去人寿吉林分公司办业务", "我在人寿吉林分公司买的",
                "投保人和人寿吉林分公司协商", "关于“人寿吉林分公司”的说明"):
        assert [x.unit_id for x in m.find(own)] == ["cl"], own
    # another member whose name ends with it is that member (the longer alias)
    assert [x.unit_id for x in m.find("太平洋人寿吉林分公司理赔拖延")] == ["cpl"]
    # an alias of the brand is not affected (国寿 after a name character)
    assert [x.unit_id for x in m.find("买的国寿")] == ["cl"]
