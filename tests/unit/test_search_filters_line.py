"""The search page's folded filters line (console/routes/search.py active_filters) is said in one place,
the 未设 fallback included (it was computed in the template)."""
from console.routes.search import active_filters
from console.search_service import SearchForm

UNITS = {"picc-jl": "人保财险", "chinalife-jl": "国寿吉林"}


def test_no_filter_says_everything_is_searched():
    assert active_filters(SearchForm(), UNITS, {}) == "未设（全部单位、渠道、等级）"


def test_a_units_lead_searching_its_own_unit_is_not_offered_every_unit():
    assert active_filters(SearchForm(), {"picc-jl": "人保财险"}, {}) == "未设（全部渠道、等级）"
    assert active_filters(SearchForm(units=["picc-jl"]), {"picc-jl": "人保财险"}, {}) == "未设（全部渠道、等级）"


def test_set_filters_are_listed_in_one_line():
    form = SearchForm(units=["picc-jl"], channels=["forum"], levels=["red"], sort="negativity_desc")
    assert active_filters(form, UNITS, {}) == "会员单位：人保财险 · 渠道：论坛 · 等级：红色 · 排序：负面程度"
