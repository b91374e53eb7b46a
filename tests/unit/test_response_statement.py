"""The 回应口径 draft (alerting/assessment.py card_for, rules.yaml playbooks' statement) speaks of the
event — the unit, the risk type and what happened — never pasting the netizen's headline."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from alerting.assessment import card_for
from contracts.messages import MODEL_EVIDENCE, Alert, DocRef, Level, Reason
from pipeline.config import load_config
from tests.kit import make_scored

ROOT = Path(__file__).resolve().parents[2]
UNIT = "chinalife-jl"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
HEADLINE = "中国人寿吉林省分公司理赔拖了三个月，谁能管管？？气死了"


def _card(reasons):
    rules = load_config(ROOT / "config" / "demo").rules
    doc = make_scored({UNIT: "orange"}, title=HEADLINE, at=T0).model_copy(update={"reasons": reasons})
    alert = Alert(id=Alert.id_for(doc.story_id, UNIT), story_id=doc.story_id, unit_id=UNIT,
                  unit_name="中国人寿保险股份有限公司吉林省分公司", level=Level.orange, first_seen=T0, last_seen=T0,
                  doc_count=1, channels=[doc.channel], sites=[doc.site], representative=DocRef.of(doc),
                  negativity=0.9)
    return card_for(alert, [doc], rules, T0, T0)


def test_the_statement_names_the_unit_the_risk_type_and_what_happened_not_the_headline():
    card = _card([Reason(phrase="拖延理赔", sentence="s", risk_type="理赔纠纷"),
                  Reason(phrase="拒赔", sentence="t", risk_type="理赔纠纷"),
                  Reason(phrase="拖延理赔", sentence="u", risk_type="理赔纠纷"),
                  Reason(phrase=MODEL_EVIDENCE, sentence="v")])
    assert card.statement.startswith("关于网传中国人寿保险股份有限公司吉林省分公司理赔纠纷（拖延理赔、拒赔）的情况说明：")
    assert HEADLINE not in card.statement and "谁能管管" not in card.statement
    assert MODEL_EVIDENCE not in card.statement


def test_an_alert_without_a_risk_type_is_named_by_its_unit_not_as_negative_opinion():
    card = _card([Reason(phrase=MODEL_EVIDENCE, sentence="v")])
    assert card.statement.startswith("关于网传中国人寿保险股份有限公司吉林省分公司相关问题的情况说明：")
    assert "负面舆情" not in card.statement and HEADLINE not in card.statement
