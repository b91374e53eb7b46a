"""Detection errors fixed as classes (issue 13: miss nothing important, and
do not blame a member for what it did not do): the insurer as the defrauded
party, reporter or helper; denials and rebuttals; 反X compounds and
prevention; complaints told as a story with no complaint word."""
import pytest

from contracts.messages import Document
from sentiment.negativity import alternatives


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from pipeline.config import load_config
    from tests.kit import DEMO_CONFIG
    from yuqing.bootstrap import App
    app = App(load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("roles")))
    yield app
    app.close()


def _levels(app, title: str, text: str = "") -> dict:
    doc = Document.create(url=f"http://news.example.cn/{abs(hash(title + text))}.html", source_id="x",
                          channel="news", site="news.example.cn", title=title, text=text)
    return app.scorer.score(doc).unit_levels


def _phrases(app, text: str) -> list[str]:
    return [h[0] for h in app.scorer.negativity.lexicon_hits(text)]


def test_a_cue_with_groups_of_alternatives_stands_for_every_string():
    assert alternatives("(人寿|公司)(|及时)报警") == ["人寿报警", "人寿及时报警", "公司报警", "公司及时报警"]
    assert alternatives("辟谣") == ["辟谣"]


def test_an_anti_compound_and_prevention_are_not_the_thing_itself(app):
    assert _phrases(app, "公司反欺诈中心上线") == []
    assert _phrases(app, "如何避免理赔纠纷") == [] and _phrases(app, "谨防销售误导") == []
    assert _phrases(app, "涉嫌欺诈消费者") == ["欺诈"]
    assert _phrases(app, "反复拒赔") == ["拒赔"]


def test_a_rebuttal_negates_further_back_in_its_clause_a_plain_negator_does_not(app):
    assert _phrases(app, "负责人称并不是我要跑路") == []
    assert _phrases(app, "公司称不存在任何销售误导") == []
    assert _phrases(app, "这已经不是第一次收到罚单") == ["罚单"]
    assert _phrases(app, "没有任何解释就拒赔") == ["拒赔"]
    assert _phrases(app, "并未说明理由就拒赔") == ["拒赔"]
    assert _phrases(app, "公司并不是第一个，也收到罚单") == ["罚单"]  # a clause break ends the rebuttal


def test_a_denial_alone_is_the_members_rebuttal_not_a_new_grievance(app):
    assert not _levels(app, "新华保险吉林分公司回应客户质疑：不存在违规销售",
                       "新华保险吉林分公司表示，经调取录音录像核查，该笔保单销售过程并非误导销售，将继续与客户沟通。")
    # a denial next to a grievance does not hide it
    assert _levels(app, "客户称遭拒赔 新华保险吉林分公司否认销售误导", "客户称出险后被新华保险吉林分公司拒赔。")


@pytest.mark.parametrize("title, text", [
    ("新华保险吉林分公司识破一起伪造病历骗保案", "新华保险吉林分公司理赔人员发现疑点后及时报警，嫌疑人已被警方控制。"),
    ("长春警方破获保险诈骗案 安华农险积极配合警方调查", "嫌疑人虚构玉米受灾骗取保险金二十余万元，安华农险积极配合警方提供承保资料。"),
    ("车主与4S店维修纠纷 中华财险吉林分公司协助调解", "中华财险吉林分公司协助调解车主与维修厂的纠纷，双方达成一致。"),
])
def test_the_insurer_as_the_defrauded_reporter_or_helper_is_not_blamed(app, title, text):
    assert not _levels(app, title, text)


@pytest.mark.parametrize("title, text", [
    # a customer reports a claim to the insurer: 报案 is no helper cue
    ("出险后向平安财险报案 一个月了迟迟不赔", "长春车主出险后向平安财险吉林分公司报案，一个月了迟迟不赔。"),
    # someone else steps in to mediate: the insurer is still the one complained about
    ("太平人寿吉林分公司拒赔 监管局介入协助调解", "客户称太平人寿吉林分公司拒赔，吉林监管局介入协助调解。"),
    # the insurer's own staff committing fraud
    ("泰康人寿吉林分公司业务员伪造保单诈骗客户被刑拘", "泰康人寿吉林分公司一名业务员伪造保单诈骗客户钱款，已被刑拘。"),
])
def test_the_insurer_as_the_one_complained_about_still_alerts(app, title, text):
    assert _levels(app, title, text)


@pytest.mark.parametrize("title", [
    "阳光财险的车险说好的上门取件，结果还得自己去网点交材料",
    "为了一张发票，人保财险让我跑了三趟",
    "大地保险理赔员说发动机进水不赔，可条款里明明写着涉水险能赔",
    "中华财险客服和查勘员推来推去，一周了没人给准话",
])
def test_a_complaint_told_as_a_story_alerts(app, title):
    assert _levels(app, title)
