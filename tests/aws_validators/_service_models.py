"""Check a request against the input shape of the AWS operation it goes to (botocore's models).

botocore ships every service's model, the same one AWS's SDKs are generated from: for each
operation the shape of its input, and for each field its type, length or value range, pattern
and allowed values. ``shape_problems`` walks a request (a dict shaped like the API's input)
against that shape the way the service validates it, so a value AWS would refuse with a
ValidationException is found before ``pulumi up``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import botocore.session
import regex  # statelint's dependency; botocore's patterns use \p{...} classes that `re` lacks
from botocore.model import OperationModel, Shape

UNCHECKED: Any = type("Unchecked", (), {"__repr__": lambda self: "UNCHECKED"})()
"""A value present in a request but not checked: a mock id standing in for the one AWS returns."""


# Values AWS accepts that an enum in botocore's model does not list, each with the evidence.
# OpenSearch's instance-type enum stopped following the instance families the service runs:
# the developer guide lists Graviton3 (m7g, r7g) among its supported instance types, and the
# service's own ValidationException lists them in the enum it enforces (quoted in
# awsdocs/amazon-opensearch-service-developer-guide pull request #98), yet the model omits them.
_ENUM_ADDITIONS = {
    "OpenSearchPartitionInstanceType": regex.compile(r"(m7g|r7g)\.(medium|large|\d*xlarge)\.search"),
}


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def operation(service: str, name: str) -> OperationModel:
    """botocore's model of ``service``'s operation ``name`` (loaded once per process)."""
    return _session().get_service_model(service).operation_model(name)


@functools.cache
def _pattern(expression: str) -> regex.Pattern[str]:
    return regex.compile(expression)


def shape_problems(service: str, name: str, request: Mapping[str, Any]) -> list[str]:
    """Where ``request`` breaks the input shape of ``service``'s ``name`` operation, field by field."""
    model = operation(service, name)
    assert model.input_shape is not None, f"{service} {name} takes no input"
    return list(_walk(model.input_shape, request, name, nested=False))


def _walk(shape: Shape, value: Any, path: str, *, nested: bool) -> Iterator[str]:
    if value is UNCHECKED:
        return
    kind = shape.type_name
    if kind == "structure" and shape.metadata.get("document"):
        return  # a document (a tool's JSON schema, say) is free-form JSON: the model states nothing of it
    if kind == "structure":
        yield from _structure(shape, value, path, nested=nested)
    elif kind == "list":
        if not isinstance(value, list | tuple):
            yield f"{path}: {value!r} is not a list"
            return
        yield from _count(shape, len(value), path, "items")
        for index, item in enumerate(value):
            yield from _walk(shape.member, item, f"{path}[{index}]", nested=True)  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, Mapping):
            yield f"{path}: {value!r} is not a map"
            return
        yield from _count(shape, len(value), path, "entries")
        for key, item in value.items():
            yield from _walk(shape.key, key, f"{path} key", nested=True)  # type: ignore[attr-defined]
            yield from _walk(shape.value, item, f"{path}[{key!r}]", nested=True)  # type: ignore[attr-defined]
    elif kind == "string":
        yield from _string(shape, value, path)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            yield f"{path}: {value!r} is not a whole number"
            return
        yield from _range(shape, value, path)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"{path}: {value!r} is not a number"
            return
        yield from _range(shape, value, path)
    elif kind == "boolean":
        if not isinstance(value, bool):
            yield f"{path}: {value!r} is not true or false"
    elif kind == "blob":
        size = len(value.encode() if isinstance(value, str) else value)
        yield from _count(shape, size, path, "bytes")
    # timestamps carry no constraints the models state.


def _structure(shape: Shape, value: Any, path: str, *, nested: bool) -> Iterator[str]:
    if not isinstance(value, Mapping):
        yield f"{path}: {value!r} is not an object"
        return
    members = shape.members  # type: ignore[attr-defined]
    for key, item in value.items():
        if key not in members:
            yield f"{path}.{key}: {shape.name} has no such field (fields: {', '.join(members)})"
        elif item is not None:
            yield from _walk(members[key], item, f"{path}.{key}", nested=True)
    # A request maps only the fields we check; a nested object is mapped whole, so what
    # AWS requires in it must be there.
    if nested:
        missing = [key for key in shape.required_members if value.get(key) is None]  # type: ignore[attr-defined]
        if missing:
            yield f"{path}: {shape.name} requires {missing}"


def _string(shape: Shape, value: Any, path: str) -> Iterator[str]:
    if not isinstance(value, str):
        yield f"{path}: {value!r} is not a string"
        return
    yield from _count(shape, len(value), path, "characters")
    addition = _ENUM_ADDITIONS.get(shape.name)
    if shape.enum and value not in shape.enum and not (addition and addition.fullmatch(value)):  # type: ignore[attr-defined]
        enum = shape.enum  # type: ignore[attr-defined]
        listed = ", ".join(enum[:8]) + (f" and {len(enum) - 8} more" if len(enum) > 8 else "")
        yield f"{path}: {value!r} is not one of {shape.name}'s values ({listed})"
    pattern = shape.metadata.get("pattern")
    # AWS's models come from its services' own validation, which matches the whole value
    # (CloudWatch's Namespace pattern "[^:].*" means "does not start with a colon"; IAM's
    # role name pattern "[\w+=,.@-]+" refuses a "/" anywhere).
    if pattern and not _pattern(pattern).fullmatch(value):
        yield f"{path}: {value!r} does not match {shape.name}'s pattern {pattern}"


def _count(shape: Shape, count: int, path: str, unit: str) -> Iterator[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and count < low:
        yield f"{path}: {count} {unit}, fewer than {shape.name}'s minimum {low}"
    if high is not None and count > high:
        yield f"{path}: {count} {unit}, more than {shape.name}'s maximum {high}"


def _range(shape: Shape, value: float, path: str) -> Iterator[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        yield f"{path}: {value:g} is below {shape.name}'s minimum {low}"
    if high is not None and value > high:
        yield f"{path}: {value:g} is above {shape.name}'s maximum {high}"
