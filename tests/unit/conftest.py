"""Fixtures shared by the unit tests."""
import pytest


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """An App on the demo configuration (its real scorer), one per test module."""
    from pipeline.config import load_config
    from tests.kit import DEMO_CONFIG
    from yuqing.bootstrap import App
    app = App(load_config(DEMO_CONFIG, data_dir=tmp_path_factory.mktemp("demo")))
    yield app
    app.close()
