"""The application factory: configuration order and the generated secret key."""
from strategy import create_app


def test_secret_key_is_generated_once_into_instance_and_reused(tmp_path, monkeypatch):
    import strategy

    monkeypatch.setattr(strategy, "ROOT", tmp_path)
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    first = create_app(dict(config))
    second = create_app(dict(config))
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) == 64


def test_configured_secret_key_wins(tmp_path):
    app = create_app({"SECRET_KEY": "from-config",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert app.config["SECRET_KEY"] == "from-config"
