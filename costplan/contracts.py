"""The JSON contracts: each document costplan reads or prints, with its JSON Schema.

`costplan schema NAME` prints one. The same schemas ship in the package as
`costplan/schemas/NAME.schema.json`; after changing a definition, regenerate them with
`python -m costplan.contracts` (tests/test_contracts.py fails until they match the code).

Each schema is generated from what the code itself uses: the plan from its dataclasses (through
`costplan.codec`), the services and config files from their readers' key tables, the command
outputs from the column tuples the commands print. Registering another dataclass-defined
document takes one line in `CONTRACTS`, e.g.
`"diff": dataclass_contract("costplan.diff:PlanDiff", "costplan diff --output json"),`.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from costplan import codec
from costplan.commands._shared import OUTPUT_VERSION
from costplan.plans import PLAN_FORMAT_VERSION

DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Contract:
    """One document: what prints or reads it, and how its schema is built (imports happen then)."""

    title: str
    build: Callable[[], dict[str, Any]]


def dataclass_contract(target: str, title: str, version: int = OUTPUT_VERSION) -> Contract:
    """A document that is a dataclass tree (`"module:Class"`), printed with `codec.dump_document`."""

    def build() -> dict[str, Any]:
        module, _, name = target.partition(":")
        return codec.document_schema(getattr(importlib.import_module(module), name), version=version, title=title)

    return Contract(title, build)


def _reader(target: str, title: str) -> Contract:
    """An input file whose reader builds its own schema (`"module:function"`)."""

    def build() -> dict[str, Any]:
        module, _, name = target.partition(":")
        built: dict[str, Any] = getattr(importlib.import_module(module), name)()
        return built

    return Contract(title, build)


def rows(columns: Sequence[str], *, required: Sequence[str] | None = None, types: Mapping[str, Any] = {}) -> Any:
    """The schema of records printed with these columns: exactly these keys, any JSON value unless typed."""
    return {
        "type": "object",
        "properties": {c: types.get(c, {}) for c in columns},
        "required": list(columns if required is None else required),
        "additionalProperties": False,
    }


def envelope(title: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """A command's JSON output: `version` first, then exactly `properties`, all required."""
    return {
        "$schema": DRAFT,
        "title": title,
        "type": "object",
        "properties": {"version": {"const": OUTPUT_VERSION}, **properties},
        "required": ["version", *properties],
        "additionalProperties": False,
    }


_NUMBER = {"type": "number"}
_STRING = {"type": "string"}
_MAYBE_NUMBER = {"type": ["number", "null"]}
_STRINGS = {"type": "array", "items": _STRING}


def _records() -> dict[str, Any]:
    item = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
    return envelope(
        "costplan collect / catalogue --quality / catalogue diff --output json",
        {"records": {"type": "array", "items": item}},
    )


def _providers() -> dict[str, Any]:
    from costplan.commands.providers import COLUMNS

    integer = {"instance_types": {"type": "integer", "minimum": 0}}
    return envelope(
        "costplan providers --output json", {"records": {"type": "array", "items": rows(COLUMNS, types=integer)}}
    )


def _catalogue() -> dict[str, Any]:
    from costplan.models import CATALOGUE_DTYPES

    kinds = {"string": "string", "Int64": "integer", "Float64": "number"}
    types = {c: {"type": [kinds.get(d, "string"), "null"]} for c, d in CATALOGUE_DTYPES.items()}
    item = {**rows(list(CATALOGUE_DTYPES), types=types), "additionalProperties": True}  # price notes and the like
    return envelope("costplan catalogue --output json", {"records": {"type": "array", "items": item}})


def _preview() -> dict[str, Any]:
    from costplan.commands.provision import PREVIEW_COLUMNS, RESULT_COLUMNS
    from costplan.provisioner.realised import COLUMNS as REALISED_COLUMNS

    totals = {
        "environment_uuid": _STRING,
        "currency": _STRING,
        "monthly_cost_before": _NUMBER,
        "monthly_cost_after": _NUMBER,
        "difference": _NUMBER,
        "difference_pct": _MAYBE_NUMBER,
        "unpriced_pools": _STRINGS,
        "plan_id": _STRING,
    }
    changes = {"type": "array", "items": rows(PREVIEW_COLUMNS, required=("kind", "action", "name"))}
    preview = {**rows([*totals, "changes"], types={**totals, "changes": changes})}
    result = {"type": ["array", "null"], "items": rows(RESULT_COLUMNS)}
    realised = rows(
        ("summary", "rows"), types={"summary": _STRING, "rows": {"type": "array", "items": rows(REALISED_COLUMNS)}}
    )
    schema = envelope(
        "costplan provision PLAN --output json (preview, and with --apply the result)",
        {"preview": preview, "result": result, "realised": realised},
    )
    schema["required"].remove("realised")  # only after --apply --with-services
    return schema


def _status() -> dict[str, Any]:
    from costplan.provisioner.status import POOL_COLUMNS, SERVICE_COLUMNS

    return envelope(
        "costplan status --output json",
        {
            "environment_uuid": _STRING,
            "currency": _STRING,
            "monthly_cost": _NUMBER,
            "unpriced_pools": _STRINGS,
            "pools": {"type": "array", "items": rows(POOL_COLUMNS)},
            "services": {"type": "array", "items": rows(SERVICE_COLUMNS)},
        },
    )


def _destroy() -> dict[str, Any]:
    from costplan.commands.provision import RESULT_COLUMNS

    doomed = rows(("kind", "name", "uuid", "monthly_cost"), types={"monthly_cost": _MAYBE_NUMBER})
    return envelope(
        "costplan destroy --output json",
        {
            "delete": {"type": "array", "items": doomed},
            "monthly_cost_saved": _NUMBER,
            "result": {"type": "array", "items": rows(RESULT_COLUMNS)},
        },
    )


def _diff() -> dict[str, Any]:
    """`costplan.diff.Diff.to_dict`: two sides, the cost change, pools by change, service moves."""
    from costplan.diff import ADDED, DIFF_FORMAT_VERSION, REMOVED, RESIZED

    count = {"type": "integer", "minimum": 0}
    side = rows(
        ("kind", "source", "currency", "monthly_cost", "expected_monthly_cost", "pools", "nodes", "services")
        + ("placements_known", "unpriced_pools"),
        types={
            "kind": {"enum": ["plan", "environment"]},
            "source": _STRING,
            "currency": _STRING,
            "monthly_cost": _NUMBER,
            "expected_monthly_cost": _MAYBE_NUMBER,
            "pools": count,
            "nodes": count,
            "services": count,
            "placements_known": {"type": "boolean"},
            "unpriced_pools": _STRINGS,
        },
    )
    change = rows(
        ("old", "new", "difference", "percent"),
        types={"old": _NUMBER, "new": _NUMBER, "difference": _NUMBER, "percent": _MAYBE_NUMBER},
    )
    maybe_int = {"type": ["integer", "null"]}
    pool = rows(
        ("name", "provider", "instance_type", "count_min", "count_max", "unit_monthly_price", "monthly_cost"),
        types={"count_min": maybe_int, "count_max": maybe_int, "unit_monthly_price": _MAYBE_NUMBER}
        | {"monthly_cost": _MAYBE_NUMBER, "name": _STRING, "provider": _STRING, "instance_type": _STRING},
    )
    maybe_pool = {"anyOf": [{"type": "null"}, pool]}
    pool_change = rows(
        ("change", "name", "old", "new", "changes", "monthly_cost"),
        types={"change": {"enum": [ADDED, REMOVED, RESIZED]}, "name": _STRING, "old": maybe_pool}
        | {"new": maybe_pool, "changes": _STRINGS, "monthly_cost": change},
    )
    placement = rows(
        ("pool", "instance_type", "nodes", "replicas"),
        types={"pool": _STRING, "instance_type": _STRING, "nodes": count, "replicas": maybe_int},
    )
    placements = {"type": "array", "items": placement}
    move = rows(
        ("change", "name", "old", "new"),
        types={"change": _STRING, "name": _STRING, "old": placements, "new": placements},
    )
    listed = {"type": "array", "items": pool_change}
    schema = envelope(
        "costplan diff OLD NEW --output json",
        {
            "currency": _STRING,
            "old": side,
            "new": side,
            "monthly_cost": change,
            "expected_monthly_cost": {"anyOf": [{"type": "null"}, change]},
            "changed": {"type": "boolean"},
            "pools": rows((ADDED, REMOVED, RESIZED), types={ADDED: listed, REMOVED: listed, RESIZED: listed}),
            "services": {"type": "array", "items": move},
        },
    )
    schema["properties"]["version"] = {"const": DIFF_FORMAT_VERSION}
    return schema


CONTRACTS: dict[str, Contract] = {
    "services": _reader("costplan.demand:schema", "the services file"),
    "config": _reader("costplan.config:schema", "the config file"),
    "plan": dataclass_contract("costplan.plans:Plan", "costplan plan --output json / --save", PLAN_FORMAT_VERSION),
    "preview": Contract("costplan provision --output json", _preview),
    "status": Contract("costplan status --output json", _status),
    "destroy": Contract("costplan destroy --output json", _destroy),
    "diff": Contract("costplan diff OLD NEW --output json", _diff),
    "catalogue": Contract("costplan catalogue --output json", _catalogue),
    "providers": Contract("costplan providers --output json", _providers),
    "records": Contract("costplan collect / catalogue --quality / catalogue diff --output json", _records),
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of the document `name` (a key of `CONTRACTS`)."""
    return CONTRACTS[name].build()


def schema_text(name: str) -> str:
    """The schema as the shipped file holds it: indented JSON, one trailing newline."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def shipped(name: str) -> str:
    """The schema file shipped in the package (`costplan/schemas/NAME.schema.json`)."""
    return files("costplan").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")


def write_all(directory: Path) -> list[Path]:
    """Write every schema to `directory` (the package's `schemas/` by default, see `main`)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CONTRACTS:
        path = directory / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    """`python -m costplan.contracts [DIR]`: regenerate the shipped schema files."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "schemas"
    for path in write_all(target):
        print(path)


if __name__ == "__main__":
    main()
