"""Settings: SHOP_ENV takes only known values, and production shares its rate limits."""

from __future__ import annotations

import pytest

from bench.benchdb import app_env
from shop.config import ConfigError, load_config

SAFE_PRODUCTION = {
    "SHOP_ENV": "production",
    "DATABASE_URL": "postgresql://shop@127.0.0.1/shop",
    "SECRET_KEY": "x" * 40,
    "PUBLIC_BASE_URL": "https://toko.example",
}
SETTINGS = (*SAFE_PRODUCTION, "REDIS_URL", "RATELIMIT_ENABLED")


@pytest.fixture
def environ(monkeypatch):
    """A clean environment for the shop's settings; returns a setter for some of them."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


@pytest.mark.parametrize("name", ["Production", "prod", "PRODUCTION", "production ", "staging",
                                  "testing", ""])
def test_unknown_shop_env_is_refused_naming_the_allowed_values(environ, tmp_path, name):
    # Given a SHOP_ENV that is not exactly one of the known names (it used to mean development)
    environ(**{**SAFE_PRODUCTION, "SHOP_ENV": name}, REDIS_URL="redis://127.0.0.1:6379/0")
    # When the settings are loaded, then they are refused with the names that would do
    with pytest.raises(ConfigError, match="development, production") as refused:
        load_config(str(tmp_path))
    assert repr(name) in str(refused.value)


def test_unknown_env_name_in_overrides_is_refused(environ, tmp_path):
    with pytest.raises(ConfigError, match="SHOP_ENV='prod'"):
        load_config(str(tmp_path), {"ENV_NAME": "prod"})


@pytest.mark.parametrize("name", ["development", "production"])
def test_known_shop_env_is_taken_as_given(environ, tmp_path, name):
    environ(**{**SAFE_PRODUCTION, "SHOP_ENV": name}, REDIS_URL="redis://127.0.0.1:6379/0")
    assert load_config(str(tmp_path))["ENV_NAME"] == name


def test_no_shop_env_means_development(environ, tmp_path):
    assert load_config(str(tmp_path))["ENV_NAME"] == "development"


def test_production_without_redis_is_refused_because_each_process_would_count_alone(
    environ, tmp_path
):
    # Given production settings that are otherwise safe, but no REDIS_URL
    environ(**SAFE_PRODUCTION)
    # When they are loaded, then the missing Redis is named, with the way out
    with pytest.raises(ConfigError, match="REDIS_URL") as refused:
        load_config(str(tmp_path))
    assert "RATELIMIT_ENABLED=false" in str(refused.value)


def test_production_with_redis_keeps_the_rate_limits_in_redis(environ, tmp_path):
    environ(**SAFE_PRODUCTION, REDIS_URL="redis://127.0.0.1:6379/0")
    config = load_config(str(tmp_path))
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_production_without_redis_starts_when_rate_limits_are_off(environ, tmp_path):
    environ(**SAFE_PRODUCTION, RATELIMIT_ENABLED="false")
    config = load_config(str(tmp_path))
    assert config["RATELIMIT_ENABLED"] is False


def test_redis_url_given_as_override_is_the_rate_limit_storage(environ, tmp_path):
    config = load_config(str(tmp_path), {"REDIS_URL": "redis://127.0.0.1:6379/1"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/1"


def test_production_given_as_override_gets_secure_cookies(environ, tmp_path):
    environ(**{k: v for k, v in SAFE_PRODUCTION.items() if k != "SHOP_ENV"})
    config = load_config(str(tmp_path), {"ENV_NAME": "production",
                                         "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config["SESSION_COOKIE_SECURE"] is True


def test_the_benchmarks_environment_still_starts(environ, monkeypatch, tmp_path):
    # Given the environment bench/ runs flask and gunicorn with (no Redis, limits off)
    for name, value in app_env("postgresql://postgres@127.0.0.1/shop_bench").items():
        monkeypatch.setenv(name, value)
    # Then the app's settings load
    config = load_config(str(tmp_path))
    assert config["RATELIMIT_ENABLED"] is False
