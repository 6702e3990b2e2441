"""Fixtures for the whole suite: a clean environment, and factories for emulators and CLI runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

# Hypothesis profiles, registered once for every property test (which then sets no
# max_examples or deadline of its own). "ci", the default, is fixed and bounded: the same
# examples on every run, a few of them, no shrinking (a failure prints the example as found,
# never minutes of minimising). "long" explores: HYPOTHESIS_PROFILE=long python -m pytest -k property.
settings.register_profile(
    "ci",
    max_examples=12,
    deadline=30_000,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("long", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The documentation's worked example key (api-examples.txt); the emulator accepts it by default.
EXAMPLE_KEY = "LYPFNN8BTS9GBQFRIXCHGWJXU:789f7b2f-b1f4-456e-83da-56184a01c2d3"
EXAMPLE_SECRET = EXAMPLE_KEY.split(":", 1)[1]
# api-examples.txt's requests and responses, verbatim: one copy for every test that needs them.
API_EXAMPLES_FILE = Path(__file__).parent / "data" / "api_examples.json"


def pytest_configure(config: pytest.Config) -> None:
    import os

    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def documented_response(name: str) -> Any:
    """The documented response of example `name` (e.g. "list_instance_types"), freshly parsed."""
    import json

    examples = json.loads(API_EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]
    return next(e["response"] for e in examples if e["name"] == name)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No test depends on the developer's shell, config file or data dir."""
    import os

    for name in list(os.environ):
        if name.startswith(("LAYEROPS_", "COSTPLAN_")):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("COSTPLAN_DATA_DIR", str(home / "costplan-data"))
    return home


@pytest.fixture
def example_key() -> str:
    return EXAMPLE_KEY


@pytest.fixture
def serve_emulator() -> Iterator[Any]:
    """Factory: `serve_emulator(**EmulatorConfig fields)` starts a real loopback server, stopped at teardown."""
    from costplan.emulator import EmulatorConfig, serve_in_thread

    with contextlib.ExitStack() as stack:

        def start(**config: Any) -> Any:
            return stack.enter_context(serve_in_thread(EmulatorConfig(**config)))

        yield start


@pytest.fixture(scope="session", autouse=True)
def plans_match_their_schema() -> Iterator[None]:
    """`costplan schema plan` validates every plan the suite produces: each `Plan.to_dict` is checked
    (the planner verifies every plan through it, and `--output json` / `--save` write it)."""
    import jsonschema

    from costplan.contracts import schema
    from costplan.plans import Plan

    validator = jsonschema.Draft202012Validator(schema("plan"))
    to_dict = Plan.to_dict

    def checked(plan: Plan) -> dict[str, Any]:
        data = to_dict(plan)
        validator.validate(data)
        return data

    Plan.to_dict = checked  # type: ignore[method-assign]
    yield
    Plan.to_dict = to_dict  # type: ignore[method-assign]
