"""Every setting is documented and overridable from the environment (datasette's lesson)."""

from idgap.config import Settings


def test_every_setting_has_a_description():
    undocumented = [n for n, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_settings_read_from_environment(monkeypatch):
    monkeypatch.setenv("IDGAP_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("IDGAP_CLAIM_WINDOW_DAYS", "21")
    monkeypatch.setenv("IDGAP_MILESTONE_AMOUNTS", "[30, 40, 110]")
    s = Settings()
    assert s.database_url == "sqlite:///x.db"
    assert s.claim_window_days == 21
    assert s.milestone_amounts == (30.0, 40.0, 110.0)


def test_defaults_are_the_parks_contract(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.park_id == "08e20910d81d42658d4334d3f6d10ac0"
    assert s.milestone_trips == (1, 5, 25)
    assert s.milestone_amounts == (25.0, 35.0, 100.0)
    assert s.claim_window_days == 14
    assert s.database_url == f"sqlite:///{tmp_path / 'idgap.db'}"
