"""``yuqing try-rule``: what would alert, for whom and why — sending nothing."""
import io
import json

from tests.kit import DEMO_CONFIG
from yuqing import tryrule
from yuqing.cli import main

DOCS = [
    {"title": "市民投诉中国人寿吉林省分公司拖延理赔长达半年", "channel": "forum",
     "text": "长春市民张女士反映，向中国人寿吉林省分公司申请理赔后，公司迟迟不赔，已向监管部门投诉。"},
    {"title": "【转载】市民投诉中国人寿吉林省分公司拖延理赔长达半年", "channel": "weibo",
     "text": "长春市民张女士反映，向中国人寿吉林省分公司申请理赔后，公司迟迟不赔，已向监管部门投诉。"},
    {"title": "人保财险吉林省分公司开展保险进社区活动", "text": "人保财险吉林省分公司走进长春社区普及车险知识，受到欢迎。"},
    {"title": "平安夜长春街头温馨祝福", "text": "市民互道平安。"},
]


def write(tmp_path, docs=DOCS):
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    return path


def test_dry_run_prints_alerts_recipients_and_reasons(tmp_path):
    out = io.StringIO()
    result = tryrule.run(DEMO_CONFIG, write(tmp_path), out)
    text = out.getvalue()
    assert result.documents == 4 and len(result.alerts) == 1 and result.joined == 1
    assert "中国人寿保险股份有限公司吉林省分公司" in text and "原因：" in text and "理赔纠纷" in text
    assert "孙伟" in text and "值班员王宁" in text  # the unit's contact and the duty officer
    assert "并入该预警" in text and "未发送任何消息" in text
    assert "人保财险" not in text  # documents that do not alert are left out…
    out = io.StringIO()
    tryrule.run(DEMO_CONFIG, write(tmp_path), out, show_all=True)
    assert "[不预警] 中国人民财产保险股份有限公司吉林省分公司" in out.getvalue()  # …unless asked
    assert "未匹配任何会员单位" in out.getvalue()


def test_a_changed_rules_file_is_tried_without_touching_the_configuration(tmp_path):
    rules = (DEMO_CONFIG / "rules.yaml").read_text(encoding="utf-8")
    strict = tmp_path / "strict-rules.yaml"
    strict.write_text(rules.replace("negative_threshold: 0.6", "negative_threshold: 0.999"), encoding="utf-8")
    out = io.StringIO()
    assert tryrule.run(DEMO_CONFIG, write(tmp_path), out, rules=strict).alerts == []
    assert (DEMO_CONFIG / "rules.yaml").read_text(encoding="utf-8") == rules


def test_cli_subcommand(tmp_path, capsys):
    assert main(["try-rule", "--config", str(DEMO_CONFIG), str(write(tmp_path))]) == 0
    assert "将产生 1 条预警" in capsys.readouterr().out


def test_dry_run_lists_every_configured_channel_and_flags_missing_credentials(tmp_path, monkeypatch):
    from tests.kit import GATEWAY_ENV
    for name in GATEWAY_ENV:
        monkeypatch.delenv(name, raising=False)
    out = io.StringIO()
    tryrule.run(DEMO_CONFIG, write(tmp_path, DOCS[:1]), out)
    lines = [line for line in out.getvalue().splitlines() if "→ 通知 孙伟" in line]
    assert any("短信" in line and "本机未配置该渠道凭据" in line for line in lines), lines
    assert any("邮件" in line and "未配置" not in line for line in lines), lines

    for name, value in GATEWAY_ENV.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    tryrule.run(DEMO_CONFIG, write(tmp_path, DOCS[:1]), out)
    lines = [line for line in out.getvalue().splitlines() if "→ 通知" in line]
    assert any("短信" in line for line in lines) and not any("未配置" in line for line in lines), lines
