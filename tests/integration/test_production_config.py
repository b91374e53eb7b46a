"""A production configuration made as the README says (the demo configuration without its
demo: block, a console others reach) can create no demo users (issue 12, High 3)."""
import yaml

from demo.users import seed_demo_users
from pipeline.config import load_config
from tests.kit import copy_config
from yuqing.cli import main


def production(tmp_path, **console) -> str:
    root = copy_config(tmp_path / "config")
    path = root / "settings.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings.pop("demo")  # "Remove this whole demo: block for a real deployment"
    settings.update(data_dir=str(tmp_path / "data"), console_host="0.0.0.0",
                    console_base_url="https://yuqing.example.cn")
    settings["console"].update(console)
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return str(root)


def test_the_production_recipe_creates_no_demo_user(tmp_path, capsys):
    root = production(tmp_path)
    assert main(["check-config", "--config", root]) == 0
    assert "demo" not in capsys.readouterr().err
    cfg = load_config(root)
    assert seed_demo_users(cfg) == []
    assert not (cfg.data_dir / "console.db").exists() and not (cfg.data_dir / "console-demo-users.txt").exists()


def test_the_old_console_demo_users_switch_is_refused_not_ignored(tmp_path, capsys):
    root = production(tmp_path, demo_users=True)  # where the switch used to sit, outside demo:
    assert main(["check-config", "--config", root]) == 2
    assert "settings.yaml: console.demo_users" in capsys.readouterr().err
