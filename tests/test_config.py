"""Settings precedence (flag > env > config profile > default) and the secret's discretion."""

from __future__ import annotations

import os
import pickle
import traceback
from pathlib import Path

import pytest

from costplan.config import DEFAULT_API_URL, Secret, Settings, parse_api_key
from costplan.errors import ConfigError
from tests.conftest import EXAMPLE_KEY, EXAMPLE_SECRET


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_defaults_without_anything(tmp_path: Path) -> None:
    settings = Settings.resolve({}, {}, config_path=tmp_path / "missing.toml")
    assert settings.api_url == DEFAULT_API_URL
    assert settings.api_key is None and settings.sandbox
    assert settings.currency == "EUR"


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    path = write_config(tmp_path, 'api_url = "https://file.example/v1"\ncurrency = "usd"\ntimeout = 5\n')
    from_file = Settings.resolve({}, {}, config_path=path)
    assert (from_file.api_url, from_file.currency, from_file.timeout) == ("https://file.example/v1", "USD", 5.0)

    env = {"LAYEROPS_API_URL": "https://env.example/v1", "COSTPLAN_TIMEOUT": "7"}
    from_env = Settings.resolve({}, env, config_path=path)
    assert (from_env.api_url, from_env.timeout, from_env.currency) == ("https://env.example/v1", 7.0, "USD")

    from_flag = Settings.resolve({"api_url": "https://flag.example/v1", "timeout": None}, env, config_path=path)
    assert from_flag.api_url == "https://flag.example/v1"
    assert from_flag.timeout == 7.0  # an unset flag does not hide the environment


def test_profiles_overlay_top_level(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        'api_url = "https://a.example/v1"\n[profiles.staging]\napi_url = "https://b.example/v1"\n'
        "[prices.discounts]\nAzure = 10\n[profiles.staging.prices.discounts]\nAzure = 20\n",
    )
    assert Settings.resolve({}, {}, config_path=path).api_url == "https://a.example/v1"
    staging = Settings.resolve({"profile": "staging"}, {}, config_path=path)
    assert staging.api_url == "https://b.example/v1"
    assert staging.sections["prices"]["discounts"]["Azure"] == 20
    with pytest.raises(ConfigError, match="profile 'prod' is not in"):
        Settings.resolve({"profile": "prod"}, {}, config_path=path)


def test_key_from_env_and_key_file(tmp_path: Path) -> None:
    settings = Settings.resolve({}, {"LAYEROPS_API_KEY": EXAMPLE_KEY}, config_path=tmp_path / "none.toml")
    assert settings.api_key is not None and settings.api_key.reveal() == EXAMPLE_KEY
    assert not settings.sandbox

    key_file = tmp_path / "key"
    key_file.write_text(EXAMPLE_KEY + "\n")
    from_file = Settings.resolve({"api_key_file": str(key_file)}, {}, config_path=tmp_path / "none.toml")
    assert from_file.api_key == Secret(EXAMPLE_KEY)


def test_secret_never_shows(tmp_path: Path) -> None:
    settings = Settings.resolve({}, {"LAYEROPS_API_KEY": EXAMPLE_KEY}, config_path=tmp_path / "none.toml")
    for text in (repr(settings), str(settings), f"{settings.api_key}", repr(settings.api_key)):
        assert EXAMPLE_SECRET not in text
    with pytest.raises(TypeError):
        pickle.dumps(settings.api_key)


def test_malformed_key_error_does_not_echo_it(tmp_path: Path) -> None:
    bad = "no-colon-" + EXAMPLE_SECRET
    with pytest.raises(ConfigError) as info:
        Settings.resolve({}, {"LAYEROPS_API_KEY": bad}, config_path=tmp_path / "none.toml")
    assert "KEY_ID:SECRET" in str(info.value)
    assert EXAMPLE_SECRET not in "".join(traceback.format_exception(info.value))


def test_world_readable_config_with_key_warns(tmp_path: Path) -> None:
    path = write_config(tmp_path, f'api_key = "{EXAMPLE_KEY}"\n', mode=0o644)
    settings = Settings.resolve({}, {}, config_path=path)
    assert any("chmod 600" in n for n in settings.notices)
    assert all(EXAMPLE_SECRET not in n for n in settings.notices)
    os.chmod(path, 0o600)
    assert Settings.resolve({}, {}, config_path=path).notices == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("api_url = [", "not valid TOML"),
        ('api_url = "ftp://x"', "http:// or https://"),
        ('timeout = "soon"', "timeout must be a number"),
        ("concurrency = 0", "concurrency must be between 1 and 1000"),
        ("timeout = nan", "timeout must be between"),
        ("timeout = 1e30", "timeout must be between"),
        ("max_retries = -1", "max_retries must be between 0 and 100"),
        ("prices = 3", r"prices in the top level must be a table"),
        ('currency = "euro"', "three-letter code"),
    ],
)
def test_bad_config_gives_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        Settings.resolve({}, {}, config_path=path)


def test_explicit_config_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.resolve({"config": str(tmp_path / "nope.toml")}, {})


def test_unreadable_key_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read API key file"):
        Settings.resolve({"api_key_file": str(tmp_path / "missing")}, {}, config_path=tmp_path / "x.toml")


def test_parse_api_key_rejects_whitespace() -> None:
    with pytest.raises(ConfigError):
        parse_api_key("abc: def", source="test")


def test_unknown_keys_are_errors_with_the_nearest_key(tmp_path: Path) -> None:
    """A typo is never ignored: `api_ulr` would otherwise silently leave the sandbox in use."""
    path = write_config(
        tmp_path,
        'api_ulr = "https://api.layerops.io/v1"\n[provision]\nwait_timout = 5\n[profiles.staging]\ncurrancy = "USD"\n',
    )
    with pytest.raises(ConfigError) as caught:
        Settings.resolve({}, {}, config_path=path)
    message = str(caught.value)
    assert message.startswith(f"config file {path}: 3 problems:")
    assert "unknown key 'api_ulr' in the top level: did you mean 'api_url'?" in message
    assert "unknown key 'wait_timout' in [provision] of the top level: did you mean 'wait_timeout'?" in message
    assert "unknown key 'currancy' in [profiles.staging]: did you mean 'currency'?" in message


def test_unknown_section_names_the_known_ones(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[pricse.discounts]\nAzure = 5\n")
    with pytest.raises(ConfigError, match="unknown key 'pricse' in the top level: did you mean 'prices'"):
        Settings.resolve({}, {}, config_path=path)


def test_environment_timeout_nan_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="timeout must be between"):
        Settings.resolve({}, {"COSTPLAN_TIMEOUT": "nan"})


def test_currency_table_holds_code_and_rates(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[currency]\ncode = "usd"\nrates = { EUR = 1.08 }\n')
    settings = Settings.resolve({}, {}, config_path=path)
    assert settings.currency == "USD"
    assert settings.sections["currency"]["rates"] == {"EUR": 1.08}
