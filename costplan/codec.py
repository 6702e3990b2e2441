"""One codec for the JSON documents costplan writes and reads, driven by the dataclasses themselves.

`dump` turns a dataclass tree into JSON values, `load` reads one back and names every problem
at once (unknown keys with the nearest valid one, wrong types, missing fields), and `schema`
describes the same shape as JSON Schema (draft 2020-12): one definition, three uses, so the
published schema cannot drift from what the code reads. Stdlib only: plan files are read by
`provision` and `report`, which must stay light.

Field metadata (`field(metadata=codec.json(...))`) says what the types alone cannot:

- `missing=VALUE`: older files may lack the key; it reads as VALUE (the schema does not require it);
- `omit=VALUE`: the key is left out of the JSON when the value equals VALUE;
- `choices=(...)`: the only values allowed (an `enum` in the schema);
- `inside=(LIST, KEY, ITEM_KEY)`: a mapping kept inside the objects of the list field LIST: each
  item's ITEM_KEY holds the value for the item's KEY (a plan's pools, per service).

```python
data = dump_document(plan, version=1)   # JSON values, keys in field order, "version" first
again = load_document(Plan, data, source="plan.json", kind="plan", versions=(1,))
document_schema(Plan, version=1, title="costplan plan")
```
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar, get_args, get_origin, get_type_hints

from costplan.errors import InputError, problems_message, unknown_key

T = TypeVar("T")
_NOTHING: Any = dataclasses.MISSING
_SCALARS: dict[Any, tuple[str, str]] = {
    bool: ("boolean", "true or false"),
    int: ("integer", "an integer"),
    float: ("number", "a number"),
    str: ("string", "a string"),
    type(None): ("null", "null"),
}


def json(
    *,
    missing: Any = _NOTHING,
    omit: Any = _NOTHING,
    choices: Sequence[Any] = (),
    inside: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """Field metadata for the JSON side (module docstring): `field(metadata=json(missing=0.0))`."""
    return {"json": {"missing": missing, "omit": omit, "choices": tuple(choices), "inside": inside}}


class _Field(NamedTuple):
    name: str
    type: Any
    required: bool  # no default in the dataclass and none for older files
    missing: Any
    omit: Any
    choices: tuple[Any, ...]
    inside: tuple[str, str, str] | None


@functools.cache
def _fields(cls: type) -> tuple[_Field, ...]:
    """Each field's resolved type and JSON metadata, worked out once per class."""
    hints = get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        meta = {"missing": _NOTHING, "omit": _NOTHING, "choices": (), "inside": None, **f.metadata.get("json", {})}
        no_default = f.default is _NOTHING and f.default_factory is _NOTHING
        specs.append(_Field(f.name, hints[f.name], no_default and meta["missing"] is _NOTHING, **meta))
    return tuple(specs)


def known_keys(cls: type) -> frozenset[str]:
    """The keys an object of `cls` may hold: its fields, less those kept inside another field."""
    return frozenset(f.name for f in _fields(cls) if f.inside is None)


# -- dump ------------------------------------------------------------------------------------


def dump(value: Any) -> Any:
    """JSON values for `value`: dataclasses become objects (keys in field order), tuples lists."""
    cls: type = type(value)
    return _dumper(cls)(value)


_Dumper = Callable[[Any], Any]


@functools.cache
def _dumper(cls: type) -> _Dumper:
    """How to dump values of class `cls`, worked out once per class (a plan of 10,000 services is
    ~900,000 values: inspecting each one's kind and fields again was most of `to_dict`)."""
    if dataclasses.is_dataclass(cls):
        return functools.partial(_dump_dataclass, _fields(cls))
    if issubclass(cls, Mapping):
        return lambda value: {str(k): dump(v) for k, v in value.items()}
    if issubclass(cls, (list, tuple)):
        return lambda value: [dump(v) for v in value]
    if cls is type(None) or issubclass(cls, (str, bool, int, float)):
        return _same
    return str  # free-form values (assumptions) survive a JSON round trip, as text


def _same(value: Any) -> Any:
    return value


def _dump_dataclass(fields: tuple[_Field, ...], value: Any) -> dict[str, Any]:
    out = {}
    for f in fields:
        if f.inside is None:
            item = getattr(value, f.name)
            if f.omit is _NOTHING or item != f.omit:
                out[f.name] = dump(item)
    for f in fields:
        if f.inside is not None:
            listed, key, item_key = f.inside
            mapping = getattr(value, f.name)
            for entry in out[listed]:
                if entry[key] in mapping:  # a name the mapping lacks gets no key
                    entry[item_key] = dump(mapping[entry[key]])
    return out


# -- load ------------------------------------------------------------------------------------


def load(cls: type[T], data: Any, *, source: str) -> T:
    """`data` read as `cls`; every problem found is raised together as one `InputError`."""
    problems: list[str] = []
    value = _load(cls, data, "", problems)
    if problems:
        raise InputError(problems_message(source, problems))
    return typing.cast(T, value)


_Reader = Callable[[Any, str, list[str]], Any]  # (data, path, problems) -> value


def _load(tp: Any, data: Any, path: str, problems: list[str]) -> Any:
    return _reader(tp)(data, path, problems)


@functools.cache
def _reader(tp: Any) -> _Reader:
    """How to read values of type `tp`, worked out once per type (a plan of 10,000 services is
    ~900,000 values: taking each one's type apart again was most of `from_dict`)."""
    if tp is Any:
        return lambda data, path, problems: data
    if dataclasses.is_dataclass(tp):
        return functools.partial(_load_dataclass, typing.cast(type, tp))  # read lazily: trees may recurse
    origin, args = get_origin(tp), get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return _union_reader(args)
    if origin is tuple:
        item = _reader(args[0])

        def read_tuple(data: Any, path: str, problems: list[str]) -> Any:
            if not isinstance(data, (list, tuple)):
                problems.append(f"{path or 'the document'}: expected a list, got {data!r}")
                return ()
            return tuple(item(v, f"{path}[{i}]", problems) for i, v in enumerate(data))

        return read_tuple
    if origin in (Mapping, dict):
        value_of = _reader(args[1])

        def read_mapping(data: Any, path: str, problems: list[str]) -> Any:
            if not isinstance(data, Mapping):
                problems.append(f"{path or 'the document'}: expected an object, got {type(data).__name__}")
                return {}
            return {str(k): value_of(v, f"{path}.{k}" if path else str(k), problems) for k, v in data.items()}

        return read_mapping
    return _scalar_reader(tp)


def _scalar_reader(tp: Any) -> _Reader:
    def read_scalar(data: Any, path: str, problems: list[str]) -> Any:
        if type(data) is tp and (tp is not float or math.isfinite(data)):  # the usual case, at once
            return data
        return _load_scalar(tp, data, path, problems)

    return read_scalar


def _union_reader(args: tuple[Any, ...]) -> _Reader:
    inner = [a for a in args if a is not type(None)]
    optional = type(None) in args
    wanted = " or ".join(_SCALARS[a][1] if a in _SCALARS else "an object" for a in args)
    only = _reader(inner[0]) if len(inner) == 1 else None

    def read_union(data: Any, path: str, problems: list[str]) -> Any:
        if data is None and optional:
            return None
        if only is not None and inner[0] not in _SCALARS:
            return only(data, path, problems)
        scratch: list[str] = []
        value = only(data, path, scratch) if only is not None else None
        if only is not None and not scratch:
            return value
        problems.append(f"{path or 'the document'}: expected {wanted}, got {data!r}")
        return None

    return read_union


def _load_scalar(tp: Any, data: Any, path: str, problems: list[str]) -> Any:
    if tp is float and isinstance(data, (int, float)) and not isinstance(data, bool) and math.isfinite(data):
        return float(data)
    if tp is int and isinstance(data, float) and data.is_integer():
        return int(data)
    if tp is not float and isinstance(data, tp) and (tp is bool or not isinstance(data, bool)):
        return data
    problems.append(f"{path or 'the document'}: expected {_SCALARS[tp][1]}, got {data!r}")
    return None


class _Shape(NamedTuple):
    known: frozenset[str]  # `known_keys`
    inside: tuple[tuple[_Field, _Reader], ...]  # the `inside` fields, each with the reader of its values
    plain: tuple[tuple[_Field, _Reader], ...]  # the others, each with the reader of its type


@functools.cache
def _shape(cls: type) -> _Shape:
    fields = _fields(cls)
    inside = tuple((f, _reader(f.type.__args__[1])) for f in fields if f.inside is not None)
    return _Shape(known_keys(cls), inside, tuple((f, _reader(f.type)) for f in fields if f.inside is None))


def _load_dataclass(cls: type, data: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(data, Mapping):
        problems.append(f"{path or 'the document'}: expected an object, got {type(data).__name__}")
        return None
    found = len(problems)
    known, inside, plain = _shape(cls)
    if not known.issuperset(data):
        problems.extend(unknown_key(str(k), known, path or "the top level") for k in data if k not in known)
    values: dict[str, Any] = {}
    if inside:
        data = dict(data)
    for f, read in inside:  # taken out of the list's items before they are read
        listed, key, item_key = typing.cast(tuple[str, str, str], f.inside)
        items = data.get(listed)
        if isinstance(items, list):
            values[f.name] = {
                str(item.get(key)): read(item[item_key], f"{listed}[{i}].{item_key}", problems)
                for i, item in enumerate(items)
                if isinstance(item, Mapping) and item_key in item
            }
            data[listed] = [
                {k: v for k, v in i.items() if k != item_key} if isinstance(i, Mapping) else i for i in items
            ]
    for f, read in plain:
        where = f"{path}.{f.name}" if path else f.name
        if f.name not in data:
            if f.required:
                problems.append(f"{where}: missing")
            elif f.missing is not _NOTHING:
                values[f.name] = f.missing
            continue
        value = values[f.name] = read(data[f.name], where, problems)
        if f.choices and value not in f.choices:
            problems.append(f"{where} must be one of {', '.join(map(str, f.choices))}, got {data[f.name]!r}")
    return None if len(problems) > found else cls(**values)


# -- schema ----------------------------------------------------------------------------------


def schema(cls: type) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of `cls`: one `$defs` entry per nested dataclass, unknown keys refused."""
    defs: dict[str, Any] = {}
    _schema(cls, defs)
    root = defs.pop(cls.__name__)
    return {**root, "$defs": dict(sorted(defs.items()))} if defs else root


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is Any:
        return {}
    if dataclasses.is_dataclass(tp):
        name = typing.cast(type, tp).__name__
        if name not in defs:
            defs[name] = {}  # a placeholder first: a recursive tree ends here
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
    if origin in (Mapping, dict):
        return {"type": "object", "additionalProperties": _schema(args[1], defs)}
    return {"type": _SCALARS[tp][0]}


def _dataclass_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for f in _fields(cls):
        if f.inside is None:
            prop = _schema(f.type, defs)
            properties[f.name] = {**prop, "enum": list(f.choices)} if f.choices else prop
    for f in _fields(cls):
        if f.inside is not None:  # the list's items get one more property: a def of their own
            listed, _, item_key = f.inside
            item = properties[listed]["items"]  # inlined here, with the extra property (one per such field)
            item = defs[item["$ref"].rsplit("/", 1)[1]] if "$ref" in item else item
            extra = {item_key: _schema(get_args(f.type)[1], defs)}
            properties[listed] = {"type": "array", "items": {**item, "properties": {**item["properties"], **extra}}}
    doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
    described = {"description": doc} if doc and not doc.startswith(f"{cls.__name__}(") else {}
    required = [f.name for f in _fields(cls) if f.required and f.inside is None]
    return {
        "type": "object",
        **described,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


# -- documents: a dataclass tree with a format `version` at the top --------------------------


def dump_document(value: Any, version: int) -> dict[str, Any]:
    """`dump(value)` with `"version"` first (unless the dataclass has a `version` field of its own)."""
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
    """The schema of `dump_document(value, version)`: `schema(cls)` with `version` required first."""
    body = schema(cls)
    if "version" not in body["properties"]:
        body["properties"] = {"version": {"const": version}, **body["properties"]}
        body["required"] = ["version", *body["required"]]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body}
