"""EmulatorConfig: defaults, validation, and COSTPLAN_EMULATOR_* parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator_support import EXAMPLE_KEY, EXAMPLE_SECRET

from costplan.emulator import EmulatorConfig, ManualClock, hash_key
from costplan.emulator.clock import iso, parse_iso


def test_defaults_reproduce_the_documented_node() -> None:
    config = EmulatorConfig()
    assert (config.mhz_per_vcpu, config.hidden_memory_mb) == (2793, 193)
    assert (config.overhead_cpu_mhz, config.overhead_memory_mb) == (650, 728)
    assert (config.default_service_cpu_mhz, config.default_service_memory_mb) == (128, 128)
    assert config.provision_seconds == 1.5 and config.include_bad_rows is True
    assert not config.faults_enabled


def test_from_env_parses_every_kind_of_value(tmp_path: Path) -> None:
    environ = {
        "COSTPLAN_EMULATOR_LATENCY": "0.25",
        "COSTPLAN_EMULATOR_ERROR_RATE": "0.1",
        "COSTPLAN_EMULATOR_ERROR_STATUSES": "502, 503",
        "COSTPLAN_EMULATOR_RATE_LIMIT_EVERY": "7",
        "COSTPLAN_EMULATOR_HANG_RATE": "0.05",
        "COSTPLAN_EMULATOR_HANG_SECONDS": "12",
        "COSTPLAN_EMULATOR_POST_COMMIT_FAULT_RATE": "0.2",
        "COSTPLAN_EMULATOR_FAULT_METHODS": "post,put",
        "COSTPLAN_EMULATOR_FAIL_POOLS": "broken,quota",
        "COSTPLAN_EMULATOR_INCLUDE_BAD_ROWS": "no",
        "COSTPLAN_EMULATOR_STATE_FILE": str(tmp_path / "s.json"),
        "COSTPLAN_EMULATOR_EXTRA_PROVIDERS": "20",
        "COSTPLAN_EMULATOR_API_KEYS": "A:first-secret,B:second-secret",
        "COSTPLAN_EMULATOR_DONE_READING": "early",
        "COSTPLAN_EMULATOR_HOST": "ignored: not a field",
        "UNRELATED": "x",
    }
    config = EmulatorConfig.from_env(environ, provision_seconds=0)
    assert (config.latency, config.error_rate, config.error_statuses) == (0.25, 0.1, (502, 503))
    assert (config.rate_limit_every, config.hang_rate, config.hang_seconds) == (7, 0.05, 12.0)
    assert config.post_commit_fault_rate == 0.2 and config.fault_methods == ("POST", "PUT")
    assert config.fail_pools == ("broken", "quota") and config.include_bad_rows is False
    assert config.state_file == tmp_path / "s.json" and config.extra_providers == 20
    assert config.provision_seconds == 0
    assert config.accepts("A:first-secret") and config.accepts("B:second-secret") and not config.accepts(EXAMPLE_KEY)
    assert "first-secret" not in repr(config) and "second-secret" not in repr(config)
    assert config.done_reading == "early"
    assert config.faults_enabled


@pytest.mark.parametrize(
    "name,value",
    [
        ("COSTPLAN_EMULATOR_LATENCY", "slow"),
        ("COSTPLAN_EMULATOR_ERROR_RATE", "2"),
        ("COSTPLAN_EMULATOR_INCLUDE_BAD_ROWS", "perhaps"),
        ("COSTPLAN_EMULATOR_FAULT_METHODS", "PATCH"),
        ("COSTPLAN_EMULATOR_ERROR_STATUSES", "200"),
        ("COSTPLAN_EMULATOR_POST_COMMIT_FAULT_KIND", "explode"),
        ("COSTPLAN_EMULATOR_PROVISION_SECONDS", "-1"),
        ("COSTPLAN_EMULATOR_DONE_READING", "sometimes"),
    ],
)
def test_bad_env_values_raise_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name.removeprefix("COSTPLAN_EMULATOR_").lower() + "|" + name):
        EmulatorConfig.from_env({name: value})


def test_a_bad_key_variable_is_never_echoed() -> None:
    with pytest.raises(ValueError) as info:
        EmulatorConfig.from_env({"COSTPLAN_EMULATOR_API_KEY_HASHES": EXAMPLE_SECRET})
    assert EXAMPLE_SECRET not in str(info.value)
    config = EmulatorConfig.from_env({"COSTPLAN_EMULATOR_API_KEY_HASHES": hash_key(EXAMPLE_KEY)})
    assert config.accepts(EXAMPLE_KEY)


def test_env_names_cover_the_fields() -> None:
    names = EmulatorConfig.env_names()
    assert names["COSTPLAN_EMULATOR_POST_COMMIT_FAULT_RATE"] == "post_commit_fault_rate"
    assert "COSTPLAN_EMULATOR_CLOCK" not in names


def test_manual_clock_and_timestamps() -> None:
    clock = ManualClock(100.0)
    assert clock() == 100.0 and clock.advance(2.5) == 102.5
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert iso(parse_iso("2023-10-16T15:33:56.000Z")) == "2023-10-16T15:33:56.000Z"
    assert iso(None) is None
