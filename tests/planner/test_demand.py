"""Services specs: YAML and JSON, and errors that name the file, the service and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costplan.demand import example_services, load_services, service_from_reservations, services_from_dicts
from costplan.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "services.yaml"

GOOD = """
services:
  - name: api
    countMin: 2
    countMax: 6
    cpuMhz: 500
    memoryMB: 512
    spread: true
    constraints: {providers: [Azure], tags: [backend]}
  - name: worker
    countMin: 1
    cpuMhz: 250
    memoryMB: 256
    ports: [{listeningPort: 80}]
"""


def write(tmp_path: Path, text: str, name: str = "services.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_spec(tmp_path: Path) -> None:
    api, worker = load_services(write(tmp_path, GOOD))
    assert (api.name, api.count_min, api.count_max, api.cpu_mhz, api.memory_mb) == ("api", 2, 6, 500, 512)
    assert api.spread and api.providers == ("Azure",) and api.tags == ("backend",)
    assert worker.count_max == worker.count_min == 1 and not worker.spread


def test_json_spec_and_bare_list(tmp_path: Path) -> None:
    data = [{"name": "a", "countMin": 1, "countMax": 2, "cpuMhz": 100, "memoryMB": 64}]
    (spec,) = load_services(write(tmp_path, json.dumps({"services": data}), "s.json"))
    assert spec.count_max == 2
    assert services_from_dicts(data)[0] == spec


def test_example_file_is_valid() -> None:
    services = load_services(EXAMPLE)
    assert 8 <= len(services) <= 12
    assert any(s.spread for s in services) and any(s.providers for s in services)


def test_example_services_are_the_packaged_example_file() -> None:
    packaged = Path(__file__).resolve().parents[2] / "costplan" / "examples" / "services.yaml"
    assert example_services() == load_services(packaged)
    assert example_services() == load_services(EXAMPLE)  # the repository copy says the same


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services: [\n  - name: a\n    countMin: [1", "not valid YAML"),
        ("services:\n  - name: api\n    countMin: 1\n    memoryMB: 1\n", "service 'api': 'cpuMhz' is missing"),
        (
            "services:\n  - name: api\n    countMin: -1\n    cpuMhz: 1\n    memoryMB: 1\n",
            "'countMin' must not be negative",
        ),
        (
            "services:\n  - name: api\n    countMin: 3\n    countMax: 2\n    cpuMhz: 1\n    memoryMB: 1\n",
            "countMin \\(3\\) is greater than countMax \\(2\\)",
        ),
        (
            "services:\n  - {name: a, countMin: 1, cpuMhz: 1, memoryMB: 1}\n"
            "  - {name: a, countMin: 1, cpuMhz: 1, memoryMB: 1}\n",
            "'a' .* defined twice",
        ),
        ("services:\n  - {name: a, countMin: 1.5, cpuMhz: 1, memoryMB: 1}\n", "whole number"),
        (
            "services:\n  - {name: a, countMin: 1, cpuMhz: 1, memoryMB: 1, spread: yes please}\n",
            "'spread' must be true or false",
        ),
        ("services:\n  - {countMin: 1, cpuMhz: 1, memoryMB: 1}\n", "service #1: 'name' is missing"),
        (
            "services:\n  - {name: a, countMin: 1, cpuMhz: 1, memoryMB: 1, constraints: {providers: 3}}\n",
            "constraints.providers",
        ),
        ("services: 3\n", "must be a list"),
        ("other: []\n", "top-level 'services'"),
        ("services: []\n", "empty"),
    ],
)
def test_errors_name_file_service_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as info:
        load_services(path)
    assert str(path) in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_services(tmp_path / "nope.yaml")


def test_service_from_reservations_uses_the_largest() -> None:
    spec = service_from_reservations("api", [(100, 256), (120, 200)], count_max=5, spread=True)
    assert (spec.count_min, spec.count_max, spec.cpu_mhz, spec.memory_mb, spec.spread) == (2, 5, 120, 256, True)
    with pytest.raises(InputError):
        service_from_reservations("api", [])
