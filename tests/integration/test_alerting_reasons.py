"""判定依据 grouped by sentence: a long sentence matched by several terms is shown once, with its
terms listed and marked — in the e-mail (real SMTP), the alert detail page and the ack page."""
import re
from datetime import datetime, timezone

from alerting.templates import by_sentence, reason_line
from contracts.clock import FakeClock
from contracts.messages import MODEL_EVIDENCE, Document, Reason
from sentiment.scored import MODEL_SENTENCE_CHARS, trim_sentence
from tests.console.conftest import Api, start_console, stop_console
from tests.kit import seed_doc

SENTENCE = "长春市民张女士反映，向中国人寿吉林省分公司申请理赔后，公司拖延理赔、拒不赔付，客服态度恶劣，已向监管部门投诉"
PHRASES = ("拖延理赔", "拒不赔付", "态度恶劣", "投诉")
UNIT = "chinalife-jl"
PRIMARY = "sunwei@chinalife-jl.example.cn"


def test_terms_of_one_sentence_make_one_line_with_every_term_marked():
    reasons = [Reason(phrase=p, sentence=SENTENCE, risk_type="理赔纠纷" if p != "态度恶劣" else "服务投诉")
               for p in PHRASES] + [Reason(phrase="退保难", sentence="退保难。", risk_type=None)]
    groups = by_sentence(reasons)
    assert [g["sentence"] for g in groups] == [SENTENCE, "退保难。"]
    assert groups[0]["phrases"] == list(PHRASES) and groups[0]["risk_types"] == ["理赔纠纷", "服务投诉"]
    assert "".join(p["text"] for p in groups[0]["parts"]) == SENTENCE
    assert [p["text"] for p in groups[0]["parts"] if p["hit"]] == ["拖延理赔", "拒不赔付", "态度恶劣", "投诉"]
    line = reason_line(groups[0])
    assert line.count("长春市民张女士") == 1 and "【拒不赔付】" in line and line.startswith("拖延理赔、拒不赔付")
    assert reason_line(groups[1]) == "退保难（负面表述）：【退保难】。"


def test_a_model_reason_is_one_plain_line_with_its_sentence_quoted_and_no_risk_type():
    sentence = "第二步，及时报案。"
    [group] = by_sentence([Reason(phrase=MODEL_EVIDENCE, sentence=sentence, weight=0.62)])
    assert group["by_model"] == MODEL_EVIDENCE and group["phrases"] == [] and group["risk_types"] == []
    assert reason_line(group) == "模型判断该句偏负面：「第二步，及时报案。」"


def test_a_long_sentence_the_model_carried_is_trimmed_for_quoting():
    long = "大地保险等公司均支持通过官方App、微信小程序或客服电话报案，" * 5
    assert trim_sentence(long) == long[:MODEL_SENTENCE_CHARS - 1] + "…"
    assert trim_sentence(" 短句。\n") == "短句。"


def doc(at, story="reasons"):
    return seed_doc({UNIT: "orange"}, title="中国人寿吉林省分公司拖延理赔遭投诉", text=SENTENCE + "。后续……",
                    url=f"http://news.example.cn/{story}", at=at, story=story, phrases=PHRASES)


def test_the_email_lists_the_long_sentence_once_with_its_four_terms(app, smtp):
    d = doc(app.clock.now()).model_copy(update={"reasons": [
        Reason(phrase=p, sentence=SENTENCE, risk_type="理赔纠纷", weight=0.5) for p in PHRASES]})
    app.router.handle(d)
    app.notifier.run_once()
    [mail] = smtp.to(PRIMARY)
    [line] = [ln for ln in mail.body.splitlines() if ln.startswith("  · ")]  # 判定依据: one line
    assert all(f"【{p}】" in line for p in PHRASES) and "拖延理赔、拒不赔付、态度恶劣、投诉" in line


def test_the_detail_and_ack_pages_show_the_sentence_once_with_its_terms_marked(tmp_path):
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    app, _, server = start_console(tmp_path, clock=clock)
    try:
        d = doc(clock.now()).model_copy(update={"reasons": [
            Reason(phrase=p, sentence=SENTENCE, risk_type="理赔纠纷", weight=0.5) for p in PHRASES]})
        app.index.upsert([d])
        [routed] = app.router.handle(d)
        page = Api(server.url, "duty", cookie=True).http.get(f"{server.url}/alerts/{routed.alert.id}", timeout=10)
        assert page.status_code == 200
        text = re.sub(r"<[^>]+>", "", page.text)
        assert text.count("长春市民张女士反映") == 1
        assert all(f"<mark>{p}</mark>" in page.text for p in PHRASES)
        ack = app.planner.ack_url(routed.alert.id, "孙伟")
        page = Api(server.url).http.get(server.url + ack[ack.index("/ack/"):], timeout=10)
        assert page.status_code == 200
        why = page.text[page.text.index('id="ack-why"'):]
        why = why[:why.index("</section>")]  # 预警原因 (the excerpt elsewhere quotes the article)
        assert re.sub(r"<[^>]+>", "", why).count("长春市民张女士反映") == 1 and "<mark>拒不赔付</mark>" in why
    finally:
        stop_console(app, server)


# A forum post of the gold set (g008): the title carries a lexicon phrase, the body's sentence only the
# model's judgement. The reader is shown that sentence and why, not the model's strongest words.
FORUM_TITLE = "大地保险的查勘员态度恶劣，还让我自己去找证据"
# (…不耐烦，太失望了: since the model is trained on the sources' labels, 态度特别差 alone scores 0.45; and
# 态度极差 is a lexicon phrase now, a dismissive manner: sentiment/irony.py.)
FORUM_SENTENCE = "在四平出了个小剐蹭，报了大地保险，查勘员来了就说责任不清让我自己找监控，脸拉得老长，问他什么都不耐烦，太失望了。"


def forum_post(app):
    return app.scorer.score(Document.create(
        url="http://bbs.example.cn/t/8", source_id="demo-forum", channel="forum", site="bbs.example.cn",
        title=FORUM_TITLE, text=FORUM_SENTENCE + "这服务还好意思收保费？", crawled_at=app.clock.now()))


def test_a_sentence_the_model_carried_is_quoted_in_plain_words_in_the_email(app, smtp):
    scored = forum_post(app)
    by_model = [r for r in scored.reasons if r.by_model]
    assert [r.sentence for r in by_model] == [FORUM_SENTENCE] and by_model[0].phrase == MODEL_EVIDENCE
    assert scored.unit_levels.get("ccic-jl") is not None
    app.router.handle(scored)
    app.notifier.run_once()
    mail = next(m for m in smtp.messages if "大地" in m.subject)
    lines = [ln for ln in mail.body.splitlines() if ln.startswith("  · ")]
    assert f"  · 模型判断该句偏负面：「{FORUM_SENTENCE}」" in lines
    assert any(ln.startswith("  · 态度恶劣（") for ln in lines)  # the lexicon's phrase as before


def test_the_ack_and_detail_pages_quote_the_sentence_the_model_carried(tmp_path):
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    app, _, server = start_console(tmp_path, clock=clock)
    try:
        scored = forum_post(app)
        app.index.upsert([scored])
        [routed] = app.router.handle(scored)
        page = Api(server.url, "duty", cookie=True).http.get(f"{server.url}/alerts/{routed.alert.id}", timeout=10)
        assert page.status_code == 200 and f"模型判断该句偏负面</span> 「{FORUM_SENTENCE}」" in page.text
        ack = app.planner.ack_url(routed.alert.id, "值班员")
        page = Api(server.url).http.get(server.url + ack[ack.index("/ack/"):], timeout=10)
        why = page.text[page.text.index('id="ack-why"'):]
        why = why[:why.index("</section>")]
        assert f"<b>模型判断该句偏负面</b>：「{FORUM_SENTENCE}」" in why
    finally:
        stop_console(app, server)
