import stat
from datetime import timedelta

import pytest

from jitsuin.config import ConfigError, JitsuinConfig, parse_duration


def test_durations_read_like_people_write_them():
    assert parse_duration("0") == timedelta(0)
    assert parse_duration("30s") == timedelta(seconds=30)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("14d") == timedelta(days=14)


def test_a_bad_duration_names_the_variable():
    with pytest.raises(ConfigError, match="JITSUIN_BUILTIN_DELAY"):
        JitsuinConfig.from_env({"JITSUIN_BUILTIN_DELAY": "soon"})


def test_defaults_are_the_embedded_ones(tmp_path):
    config = JitsuinConfig.from_env({"JITSUIN_DATA_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'jitsuin.sqlite3'}"
    assert config.public_url == "http://127.0.0.1:8000"
    assert config.debug is False


def test_unsupported_database_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        JitsuinConfig.from_env({"DATABASE_URL": "mysql://x"})


def test_a_bad_network_is_refused():
    with pytest.raises(ConfigError, match="JITSUIN_ALLOWED_NETWORKS"):
        JitsuinConfig.from_env({"JITSUIN_ALLOWED_NETWORKS": "10.0.0.0/33"})


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    config = JitsuinConfig.from_env({"JITSUIN_DATA_DIR": str(tmp_path / "data")})
    first = config.load_or_create_secret_key()
    assert first == config.load_or_create_secret_key()
    mode = stat.S_IMODE((tmp_path / "data" / "secret_key").stat().st_mode)
    assert mode == 0o600
