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


def test_check_config_flags_stores_that_cannot_be_shared_by_replicas(tmp_path, capsys, monkeypatch):
    # The production twin with its roles spread out (a Kafka bus, as deploy/compose.yml and
    # deploy/k8s/yuqing.yaml set it) but the alert store left on its SQLite default: a second route or
    # notify replica would keep its own alerts.
    root = production(tmp_path)
    monkeypatch.setenv("YUQING_BUS_URL", "kafka://kafka:9092")
    monkeypatch.setenv("YUQING_CONSOLE_BASE_URL", "https://yuqing.example.cn")  # the SMS texts' link, as deployed
    monkeypatch.delenv("YUQING_ALERT_STORE_URL", raising=False)
    assert main(["check-config", "--config", root]) == 0  # a warning: one route and one notify is allowed
    err = capsys.readouterr().err
    assert "alert_store.url: sqlite:///alerts.db is a file on one machine, but the bus is Kafka" in err

    # On PostgreSQL the stores are shared; the ack links' secret must be too.
    monkeypatch.setenv("YUQING_ALERT_STORE_URL", "postgresql://yuqing@db:5432/yuqing")
    monkeypatch.delenv("YUQING_ACK_SECRET", raising=False)
    assert main(["check-config", "--config", root]) == 0
    err = capsys.readouterr().err
    assert "is a file on one machine" not in err and "$YUQING_ACK_SECRET is not set" in err

    monkeypatch.setenv("YUQING_ACK_SECRET", "k" * 64)
    assert main(["check-config", "--config", root]) == 0
    assert "warning" not in capsys.readouterr().err

    # The embedded shape (SQLite bus and stores on one machine) is not flagged.
    monkeypatch.setenv("YUQING_BUS_URL", "sqlite:///bus.db")
    monkeypatch.delenv("YUQING_ALERT_STORE_URL")
    monkeypatch.delenv("YUQING_ACK_SECRET")
    assert main(["check-config", "--config", root]) == 0
    assert "warning" not in capsys.readouterr().err
