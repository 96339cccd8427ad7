"""An action's parameters as a pydantic model, built from its JSON Schema in the spec.

The model is strict (no coercion: ``"5"`` is not an integer, ``true`` is not a number) and
closed (``extra="forbid"`` at every object level), and it reads the schema the same way the
strict tool schema does: a property not in ``required`` may be left out or sent as ``null``.
Patterns are searched, not anchored, as JSON Schema says, with Python's ``re`` (the engine
``governed_assistant.spec.strict_schema`` compiled them with).
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, regex_engine="python-re")
_SCALARS: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}
# Loose on purpose: the model must write a plausible address; the executor's system decides.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def parameters_model(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A closed, strict pydantic model named after the action (``IssueRefundParameters``)."""
    title = "".join(part.capitalize() for part in name.split("_")) + "Parameters"
    return _object_model(title, schema)


def _object_model(title: str, schema: dict[str, Any]) -> type[BaseModel]:
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for prop, child in schema.get("properties", {}).items():
        annotation = _annotation(f"{title}_{prop}", child)
        if prop in required:
            fields[prop] = (annotation, ...)
        else:
            fields[prop] = (annotation | None, None)
    model: type[BaseModel] = create_model(title, __config__=_CONFIG, **fields)
    return model


def _annotation(title: str, schema: dict[str, Any]) -> Any:
    declared = schema["type"]
    names = declared if isinstance(declared, list) else [declared]
    base = next((name for name in names if name != "null"), "null")
    annotation = _base_annotation(title, base, schema)
    return annotation | None if "null" in names and base != "null" else annotation


def _base_annotation(title: str, base: str, schema: dict[str, Any]) -> Any:
    if schema.get("enum") is not None:
        # Not Literal: pydantic matches literals loosely even in strict mode (True == 1 == 1.0).
        # The strict base type first, then membership, so an enum never widens what the type allows.
        values = tuple(value for value in schema["enum"] if value is not None)
        if not values:  # only null is listed; the type says whether null is allowed
            return _base_annotation(title, base, {**schema, "enum": None})
        return Annotated[
            _base_annotation(title, base, {**schema, "enum": None}), AfterValidator(_one_of(values))
        ]
    if base == "null":
        return type(None)
    if base == "object":
        return _object_model(title, schema)
    if base == "array":
        items = _annotation(f"{title}_item", schema["items"])
        return Annotated[
            list[items],  # type: ignore[valid-type]
            Field(min_length=schema.get("minItems"), max_length=schema.get("maxItems")),
        ]
    if base in ("integer", "number"):
        return Annotated[
            _SCALARS[base],
            Field(
                ge=schema.get("minimum"),
                le=schema.get("maximum"),
                gt=schema.get("exclusiveMinimum"),
                lt=schema.get("exclusiveMaximum"),
                allow_inf_nan=False if base == "number" else None,
            ),
        ]
    if base == "string":
        constraints = Field(
            min_length=schema.get("minLength"),
            max_length=schema.get("maxLength"),
            pattern=schema.get("pattern"),
        )
        check = _FORMATS.get(schema.get("format", ""))
        if check is None:
            return Annotated[str, constraints]
        return Annotated[str, constraints, AfterValidator(check)]
    return _SCALARS[base]


def _one_of(values: tuple[Any, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(map(repr, values))}")
        return value

    return check


def _format_check(what: str, parse: Callable[[str], object]) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"is not a valid {what}") from None
        return value

    return check


def _match(pattern: re.Pattern[str]) -> Callable[[str], object]:
    def parse(value: str) -> object:
        if not pattern.match(value):
            raise ValueError(value)
        return value

    return parse


_FORMATS: dict[str, Callable[[str], str]] = {
    "date-time": _format_check("date-time (ISO 8601)", datetime.datetime.fromisoformat),
    "date": _format_check("date (YYYY-MM-DD)", datetime.date.fromisoformat),
    "time": _format_check("time (HH:MM[:SS])", datetime.time.fromisoformat),
    "uuid": _format_check("uuid", uuid.UUID),
    "email": _format_check("email address", _match(_EMAIL)),
    "uri": _format_check("URI", _match(_URI)),
}
