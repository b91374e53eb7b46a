"""Configuration is validated at load, and every error names file, field, problem."""
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config, parse_duration
from tests.kit import DEMO_CONFIG, copy_config

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad_config"
CASES = sorted(BAD.glob("*.yaml"))


def expected_message(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: '"
    return first.removeprefix("# expect: ")


def test_demo_config_loads():
    cfg = load_config(DEMO_CONFIG)
    assert len(cfg.members.units) >= 12
    assert {s.spider for s in cfg.sources} == {"listdetail", "rss", "weibo"}
    assert {s.channel.value for s in cfg.sources} == {"news", "blog", "forum", "weibo", "overseas"}
    assert cfg.settings.bus.url.startswith("sqlite:///")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_config_is_rejected_with_file_field_and_problem(case: Path, tmp_path: Path):
    root = copy_config(tmp_path / "config")
    target = case.name.split(".")[0] + ".yaml"
    (root / target).write_text(case.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(root)
    message = str(err.value)
    expected = expected_message(case)
    assert any(line.startswith(str(root / target)) for line in message.splitlines()), message
    assert expected in message.replace(str(root) + "/", ""), message


def test_all_problems_are_reported_not_just_the_first(tmp_path: Path):
    root = copy_config(tmp_path / "config")
    (root / "members.yaml").write_text((BAD / "members.bad-phone.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "rules.yaml").write_text((BAD / "rules.empty-group.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(root)
    assert len(err.value.problems) == 2


def test_missing_file_is_named(tmp_path: Path):
    root = copy_config(tmp_path / "config")
    (root / "rules.yaml").unlink()
    with pytest.raises(ConfigError, match=r"rules\.yaml: file not found"):
        load_config(root)


def test_environment_expansion_with_default(tmp_path: Path, monkeypatch):
    root = copy_config(tmp_path / "config")
    monkeypatch.setenv("YUQING_DATA_DIR", str(tmp_path / "elsewhere"))
    assert load_config(root).data_dir == tmp_path / "elsewhere"
    monkeypatch.delenv("YUQING_DATA_DIR")
    assert load_config(root).settings.data_dir == "var/demo"


def test_smtp_password_comes_from_environment_only(tmp_path: Path, monkeypatch):
    root = copy_config(tmp_path / "config", settings={"smtp": {"username": "alert", "password_env": "T_SMTP_PW"}})
    cfg = load_config(root)
    assert cfg.settings.smtp.password is None
    monkeypatch.setenv("T_SMTP_PW", "s3cret")
    assert cfg.settings.smtp.password == "s3cret"
    assert "s3cret" not in cfg.settings.model_dump_json()


@pytest.mark.parametrize("value,seconds", [(30, 30), ("45s", 45), ("5m", 300), ("2h", 7200), ("1d", 86400)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


def test_check_config_warns_about_the_shared_demo_password_without_printing_it(tmp_path, monkeypatch, capsys):
    from yuqing.cli import main
    monkeypatch.setenv("YUQING_CONSOLE_DEMO_PASSWORD", "demo1234")
    root = copy_config(tmp_path / "config", settings={"data_dir": str(tmp_path / "data")})
    assert main(["check-config", "--config", str(root)]) == 0
    err = capsys.readouterr().err
    assert "demo.users: every demo account, admin included, shares one password" in err
    assert "$YUQING_CONSOLE_DEMO_PASSWORD is too short or too common" in err and "demo1234" not in err


def test_check_config_refuses_demo_users_on_a_reachable_console(tmp_path, capsys):
    from yuqing.cli import main
    root = copy_config(tmp_path / "config", settings={"console_host": "0.0.0.0"})
    assert main(["check-config", "--config", str(root)]) == 2
    assert "settings.yaml: demo: users: demo users" in capsys.readouterr().err
