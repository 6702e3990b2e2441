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
        (
            "services:\n  - name: api\n    countMin: 1\n    memoryMB: 1\n",
            "service 'api' \\(entry 1\\): 'cpuMhz' is missing",
        ),
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
        ("", "the file is empty"),
        ("services:\n", "the services list is empty"),
        ("services:\n  - {name: a, countMin: 1e30, cpuMhz: 1, memoryMB: 1}\n", "must be a whole number"),
        ("services:\n  - {name: a, countMin: 1.0e+30, cpuMhz: 1, memoryMB: 1}\n", "1e\\+30, more than the 100,000"),
        ("services:\n  - {name: a, countMin: 1, cpuMhz: 99999999999, memoryMB: 1}\n", "'cpuMhz' is 1e\\+11"),
        ("services:\n  - {name: a, countMin: 1, cpuMhz: 1, memoryMB: .nan}\n", "'memoryMB' must be a whole number"),
        ("services:\n  - {name: a, countMin: 1, cpuMhz: -5, memoryMB: 1}\n", "'cpuMhz' must not be negative"),
        ("services:\n  - 3\n", "entry 1: expected an object"),
        ("services: {}\n", "the services list is empty|must be a list"),
        ("version: 2\nservices: []\n", "unknown key 'version' in the top level"),
    ],
)
def test_errors_name_file_service_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as info:
        load_services(path)
    assert str(path) in str(info.value)


def test_typos_are_errors_with_the_nearest_key_all_at_once(tmp_path: Path) -> None:
    """`countmax`, `sprad`, `contraints` would otherwise be dropped and the plan made without them."""
    path = write(
        tmp_path,
        "services:\n"
        "  - {name: web, countMin: 1, cpuMhz: 100, memoryMB: 128}\n"
        "  - name: api\n    countMin: 2\n    countmax: 6\n    cpuMhz: 500\n    memoryMB: 512\n"
        "    sprad: true\n    contraints: {providers: [Azure]}\n"
        "  - {name: db, countMin: 1, cpuMhz: 1, memoryMB: 1, constraints: {provider: [AWS]}}\n",
    )
    with pytest.raises(InputError) as info:
        load_services(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 4 problems:")
    assert "unknown key 'countmax' in service 'api' (entry 2): did you mean 'countMax'?" in message
    assert "unknown key 'sprad' in service 'api' (entry 2): did you mean 'spread'?" in message
    assert "unknown key 'contraints' in service 'api' (entry 2): did you mean 'constraints'?" in message
    assert "unknown key 'provider' in the constraints of service 'db' (entry 3): did you mean 'providers'?" in message


def test_json_typo_is_an_error_too(tmp_path: Path) -> None:
    path = write(
        tmp_path, json.dumps([{"name": "a", "countMin": 1, "cpuMHz": 1, "memoryMb": 1, "Spread": True}]), "s.json"
    )
    with pytest.raises(InputError, match="unknown key 'Spread' in service 'a' \\(entry 1\\): did you mean 'spread'"):
        load_services(path)


def test_json_huge_numbers_are_range_errors(tmp_path: Path) -> None:
    path = write(tmp_path, '[{"name": "a", "countMin": 1e30, "cpuMhz": 1, "memoryMB": 1}]', "s.json")
    with pytest.raises(InputError, match="more than the 100,000 costplan accepts"):
        load_services(path)


def test_binary_file_says_it_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "services.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(InputError, match="not a text file"):
        load_services(path)
    path.write_bytes(b"services:\x00\x00")
    with pytest.raises(InputError, match="not a text file"):
        load_services(path)


def test_a_layerops_export_is_still_a_spec(tmp_path: Path) -> None:
    exported = {
        "name": "myservice", "uuid": "e07550ad", "countMin": 1, "countMax": 1, "cpuMhz": 128, "memoryMB": 128,
        "dockerConfiguration": {"image": "nginx", "imageVersion": "latest"}, "ports": [], "cpuLimit": 50,
    }  # fmt: skip
    [spec] = load_services(write(tmp_path, json.dumps({"services": [exported]}), "export.json"))
    assert spec.image == "nginx" and spec.cpu_mhz == 128


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_services(tmp_path / "nope.yaml")


def test_service_from_reservations_uses_the_largest() -> None:
    spec = service_from_reservations("api", [(100, 256), (120, 200)], count_max=5, spread=True)
    assert (spec.count_min, spec.count_max, spec.cpu_mhz, spec.memory_mb, spec.spread) == (2, 5, 120, 256, True)
    with pytest.raises(InputError):
        service_from_reservations("api", [])
