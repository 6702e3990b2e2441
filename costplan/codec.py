"""One codec for the JSON documents costplan writes and reads, driven by the dataclasses themselves.

`dump` turns a dataclass tree into JSON values, `load` reads one back and names every problem
at once (unknown keys with the nearest valid one, wrong types, missing fields), and `schema`
describes the same shape as JSON Schema (draft 2020-12): one definition, three uses, so the
published schema cannot drift from what the code reads. Stdlib only: plan files are read by
`provision` and `report`, which must stay light.

Field metadata (`json_field(...)`) says what the type alone cannot:

- `missing=VALUE`: older files may lack the key; it reads as VALUE (the schema does not require it);
- `omit=VALUE`: the key is left out of the JSON when the value equals VALUE;
- `choices=(...)`: the only values allowed (an `enum` in the schema);
- `inside=(LIST, KEY, ITEM_KEY)`: a mapping stored inside the objects of the list field LIST,
  each item's `ITEM_KEY` holding the value for the item's `KEY` (a plan's pools per service).

```python
data = dump(plan)                       # JSON values, keys in field order
again = load(Plan, data, source="plan.json")
schema(Plan)                            # {"$defs": {...}, "$ref": "#/$defs/Plan"}
```
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from costplan.errors import InputError, problems_message, unknown_key

T = TypeVar("T")
_NOTHING: Any = dataclasses.MISSING
_SCALARS: dict[type, tuple[str, str]] = {
    bool: ("boolean", "true or false"),
    int: ("integer", "an integer"),
    float: ("number", "a number"),
    str: ("string", "a string"),
    type(None): ("null", "null"),
}


def json_field(
    *,
    default: Any = _NOTHING,
    default_factory: Any = _NOTHING,
    missing: Any = _NOTHING,
    omit: Any = _NOTHING,
    choices: Sequence[Any] = (),
    inside: tuple[str, str, str] | None = None,
) -> Any:
    """A dataclass field with the JSON-side metadata described in the module docstring."""
    meta = {"missing": missing, "omit": omit, "choices": tuple(choices), "inside": inside}
    return dataclasses.field(default=default, default_factory=default_factory, metadata={"json": meta})


def _meta(f: dataclasses.Field[Any], key: str) -> Any:
    return f.metadata.get("json", {}).get(key, () if key == "choices" else None if key == "inside" else _NOTHING)


def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


# -- dump ------------------------------------------------------------------------------------


def dump(value: Any) -> Any:
    """JSON values for `value`: dataclasses become objects (keys in field order), tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            inside = _meta(f, "inside")
            if inside is not None:
                continue
            omit = _meta(f, "omit")
            if omit is not _NOTHING and item == omit:
                continue
            out[f.name] = dump(item)
        for f in dataclasses.fields(value):
            inside = _meta(f, "inside")
            if inside is not None:
                listed, key, item_key = inside
                mapping = getattr(value, f.name)
                for entry in out[listed]:
                    entry[item_key] = dump(mapping.get(entry[key], ()))
        return out
    if isinstance(value, Mapping):
        return {str(k): dump(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [dump(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)  # free-form values (assumptions) survive a JSON round trip as text


# -- load ------------------------------------------------------------------------------------


def load(cls: type[T], data: Any, *, source: str) -> T:
    """`data` read as `cls`; every problem found is raised together as one `InputError`."""
    problems: list[str] = []
    value = _load(cls, data, "", problems)
    if problems:
        raise InputError(problems_message(source, problems))
    return typing.cast(T, value)


def _where(path: str) -> str:
    return path or "the document"


def _load(tp: Any, data: Any, path: str, problems: list[str]) -> Any:
    if tp is Any:
        return data
    if dataclasses.is_dataclass(tp):
        return _load_dataclass(typing.cast(type, tp), data, path, problems)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and not _is_scalar(inner[0]):
            return _load(inner[0], data, path, problems)
        if len(inner) == 1:
            scratch: list[str] = []
            value = _load_scalar(inner[0], data, path, scratch)
            if not scratch:
                return value
        problems.append(f"{_where(path)}: expected {_describe(tp)}, got {data!r}")
        return None
    if origin is tuple:
        if not isinstance(data, (list, tuple)):
            problems.append(f"{_where(path)}: expected a list, got {data!r}")
            return ()
        return tuple(_load(args[0], item, f"{path}[{i}]", problems) for i, item in enumerate(data))
    if origin in (Mapping, dict) or tp is dict:
        if not isinstance(data, Mapping):
            problems.append(f"{_where(path)}: expected an object, got {type(data).__name__}")
            return {}
        inner = args[1] if args else Any
        return {str(k): _load(inner, v, f"{path}.{k}" if path else str(k), problems) for k, v in data.items()}
    return _load_scalar(tp, data, path, problems)


def _is_scalar(tp: Any) -> bool:
    return tp in _SCALARS


def _load_scalar(tp: Any, data: Any, path: str, problems: list[str]) -> Any:
    if tp is float and isinstance(data, (int, float)) and not isinstance(data, bool) and math.isfinite(data):
        return float(data)
    if tp is int and isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, tp) and (tp is bool or not isinstance(data, bool)) and tp is not float:
        return data
    problems.append(f"{_where(path)}: expected {_SCALARS[tp][1]}, got {data!r}")
    return None


def _describe(tp: Any) -> str:
    names = [_SCALARS[a][1] if a in _SCALARS else "an object" for a in get_args(tp)]
    return " or ".join(names)


def _load_dataclass(cls: type, data: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(data, Mapping):
        problems.append(f"{_where(path)}: expected an object, got {type(data).__name__}")
        return None
    fields = dataclasses.fields(cls)
    hints = _hints(cls)
    known = {f.name for f in fields if _meta(f, "inside") is None}
    problems.extend(unknown_key(str(k), known, path or "the top level") for k in data if k not in known)
    values: dict[str, Any] = {}
    found = len(problems)
    data = dict(data)
    for f in fields:
        if _meta(f, "inside") is not None:  # taken out of the list's items before they are read
            listed, key, item_key = _meta(f, "inside")
            where = f"{path}.{listed}" if path else listed
            values[f.name] = _load_inside(hints[f.name], data.get(listed), key, item_key, where, problems)
            if isinstance(data.get(listed), list):
                data[listed] = [_without(item, item_key) for item in data[listed]]
    for f in fields:
        where = f"{path}.{f.name}" if path else f.name
        if _meta(f, "inside") is not None:
            continue
        if f.name not in data:
            missing = _meta(f, "missing")
            if missing is not _NOTHING:
                values[f.name] = missing
            elif f.default is _NOTHING and f.default_factory is _NOTHING:
                problems.append(f"{where}: missing")
            continue
        value = _load(hints[f.name], data[f.name], where, problems)
        choices = _meta(f, "choices")
        if choices and value not in choices:
            problems.append(f"{where} must be one of {', '.join(map(str, choices))}, got {data[f.name]!r}")
        values[f.name] = value
    if len(problems) > found:
        return None
    return cls(**values)


def _load_inside(tp: Any, items: Any, key: str, item_key: str, path: str, problems: list[str]) -> Any:
    """The `inside` mapping: each list item's `item_key`, keyed by its `key` (items that have one)."""
    if not isinstance(items, list):
        return {}
    inner = get_args(tp)[1]
    return {
        str(item.get(key)): _load(inner, item[item_key], f"{path}[{i}].{item_key}", problems)
        for i, item in enumerate(items)
        if isinstance(item, Mapping) and item_key in item
    }


def _without(item: Any, key: str) -> Any:
    return {k: v for k, v in item.items() if k != key} if isinstance(item, Mapping) else item


def known_keys(cls: type) -> frozenset[str]:
    """The keys an object of `cls` may hold: its fields, less those stored inside another field."""
    return frozenset(f.name for f in dataclasses.fields(cls) if _meta(f, "inside") is None)


# -- schema ----------------------------------------------------------------------------------


def schema(cls: type) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of `cls`: one `$defs` entry per nested dataclass, unknown keys refused."""
    defs: dict[str, Any] = {}
    _schema(cls, defs)
    root = defs.pop(cls.__name__)
    return {**root, "$defs": dict(sorted(defs.items()))} if defs else root


# -- documents: a dataclass tree with a format `version` at the top --------------------------


def dump_document(value: Any, version: int) -> dict[str, Any]:
    """`dump(value)` with `"version"` first (unless the dataclass has its own `version` field)."""
    data = dump(value)
    return data if "version" in data else {"version": version, **data}


def load_document(cls: type[T], data: Any, *, source: str, kind: str, versions: Sequence[int]) -> T:
    """`load` after checking the format version (absent: the current one, as in the oldest files)."""
    if isinstance(data, Mapping) and "version" not in known_keys(cls):
        version = data.get("version", versions[-1])
        if isinstance(version, bool) or version not in versions:
            raise InputError(f"{source}: unsupported {kind} format version {version!r}")
        data = {k: v for k, v in data.items() if k != "version"}
    return load(cls, data, source=source)


def document_schema(cls: type, *, version: int, title: str) -> dict[str, Any]:
    """The schema of `dump_document(value, version)`: `schema(cls)` with the version required."""
    body = schema(cls)
    if "version" not in body["properties"]:
        body["properties"] = {"version": {"const": version}, **body["properties"]}
        body["required"] = ["version", *body["required"]]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body}


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is Any:
        return {}
    if dataclasses.is_dataclass(tp):
        name = typing.cast(type, tp).__name__
        if name not in defs:
            defs[name] = {}  # a placeholder first: recursive trees end here
            defs[name] = _dataclass_schema(typing.cast(type, tp), defs)
        return {"$ref": f"#/$defs/{name}"}
    origin, args = get_origin(tp), get_args(tp)
    if origin in (types.UnionType, typing.Union):
        members = [_schema(a, defs) for a in args]
        if all(set(m) == {"type"} for m in members):
            return {"type": [m["type"] for m in members]}
        return {"anyOf": members}
    if origin is tuple:
        return {"type": "array", "items": _schema(args[0], defs)}
    if origin in (Mapping, dict) or tp is dict:
        return {"type": "object", "additionalProperties": _schema(args[1] if args else Any, defs)}
    return {"type": _SCALARS[tp][0]}


def _dataclass_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = _hints(cls)
    properties: dict[str, Any] = {}
    required = []
    inside_fields = []
    for f in dataclasses.fields(cls):
        if _meta(f, "inside") is not None:
            inside_fields.append(f)
            continue
        prop = _schema(hints[f.name], defs)
        if _meta(f, "choices"):
            prop = {**prop, "enum": list(_meta(f, "choices"))}
        properties[f.name] = prop
        if f.default is _NOTHING and f.default_factory is _NOTHING and _meta(f, "missing") is _NOTHING:
            required.append(f.name)
    for f in inside_fields:
        listed, _, item_key = _meta(f, "inside")
        item_ref = properties[listed]["items"]["$ref"].rsplit("/", 1)[1]
        inner = _schema(get_args(hints[f.name])[1], defs)
        item = defs[item_ref]
        defs[f"{cls.__name__}{item_ref}"] = {**item, "properties": {**item["properties"], item_key: inner}}
        properties[listed] = {"type": "array", "items": {"$ref": f"#/$defs/{cls.__name__}{item_ref}"}}
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    described = {"description": " ".join(doc.split())} if doc and not doc.startswith(f"{cls.__name__}(") else {}
    return {"type": "object", **described, "properties": properties, "required": required, "additionalProperties": False}
