"""What an action's parameters schema may say with each keyword: a value of the right type, and
bounds that some value can meet.

``strict_schema`` decides which keywords a schema node may carry; ``keyword_problems`` checks what
those keywords say. So ``minimum: "ten"``, ``minLength: -3`` or ``minimum: 50`` with ``maximum: 10``
are refused in the spec, at their path, and do not fail later where the gate builds its model
(``runtime.actions.models``) or where Bedrock receives the tool.

The value types are pydantic types, strict (``"5"`` is not 5, ``true`` is not 1). We do not use
the ``jsonschema`` library's Draft 2020-12 metaschema, for two reasons. First, this check runs in
three places: copier's validators, in copier's own environment, which brings pydantic but not
jsonschema; ``make check``; and the Lambda handlers, whose layer carries only the package's base
dependencies, pydantic but not jsonschema. (jsonschema is in the development environment only
because openapi-spec-validator, a test tool, needs it.) Second, a metaschema checks each keyword
on its own, so bounds that contradict each other, duplicate enum values and enum values outside
their node's bounds need the rules below anyway. The subset is small: the thirteen keywords
listed in ``_VALUES`` below, plus the structural ones that ``strict_schema`` checks itself
(``type``, ``properties``, ``items``, ``enum``, ``additionalProperties``).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Final

from pydantic import Field, StrictFloat, StrictInt, StrictStr, TypeAdapter, ValidationError

from governed_assistant.spec.problems import PathPart, Problem

_Count = Annotated[StrictInt, Field(ge=0)]
_Number = Annotated[StrictInt | StrictFloat, Field(allow_inf_nan=False)]
_COUNT_WORDS = "a whole number, 0 or more (e.g. 1)"
_NUMBER_WORDS = "a number, finite (e.g. 0 or 2.5)"

# Each valued keyword of the subset: the type of its value, and that type in words.
_VALUES: Final[Mapping[str, tuple[Any, str]]] = {
    "title": (StrictStr, "text"),
    "description": (StrictStr, "text"),
    "format": (StrictStr, "text naming a format (e.g. 'date')"),
    "pattern": (StrictStr, "text, a regular expression (e.g. '^[A-Z]{3}$')"),
    "minLength": (_Count, _COUNT_WORDS),
    "maxLength": (_Count, _COUNT_WORDS),
    "minItems": (_Count, _COUNT_WORDS),
    "maxItems": (_Count, _COUNT_WORDS),
    "minimum": (_Number, _NUMBER_WORDS),
    "maximum": (_Number, _NUMBER_WORDS),
    "exclusiveMinimum": (_Number, _NUMBER_WORDS),
    "exclusiveMaximum": (_Number, _NUMBER_WORDS),
    "required": (list[StrictStr], "a list of property names (e.g. [amount, currency])"),
}
# (lower bound, upper bound, what they count, what has none when they cross)
_LENGTHS: Final = (("minLength", "maxLength", "text"), ("minItems", "maxItems", "list"))
# (keyword, does a value meet it) for each numeric bound.
_NUMBER_BOUNDS: Final = (
    ("minimum", operator.ge),
    ("maximum", operator.le),
    ("exclusiveMinimum", operator.gt),
    ("exclusiveMaximum", operator.lt),
)
# (keyword, exclusive?) for each end of a numeric range.
_LOWER: Final = (("minimum", False), ("exclusiveMinimum", True))
_UPPER: Final = (("maximum", False), ("exclusiveMaximum", True))


@cache
def _adapter(keyword: str) -> TypeAdapter[Any]:
    # Built on first use: a handler that never checks a schema never pays for the validators.
    return TypeAdapter(_VALUES[keyword][0])


def keyword_problems(node: Mapping[str, Any], types: list[str], path: tuple[PathPart, ...]) -> list[Problem]:
    """Every keyword of ``node`` whose value has the wrong type, and every bound no value can meet.

    ``node`` holds only the keywords its ``types`` allow (``strict_schema`` reports the others).
    A keyword with a value of the wrong type is reported once, and then left out of the bounds.
    """
    problems: list[Problem] = []
    valid: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword not in _VALUES:
            continue
        try:
            _adapter(keyword).validate_python(value)
        except ValidationError:
            problems.append(Problem((*path, keyword), f"must be {_VALUES[keyword][1]}, got {value!r}"))
        else:
            valid[keyword] = value
    if "integer" in types:
        problems += _fractional_bounds(valid, path)
    problems += _crossed_lengths(valid, path)
    problems += _empty_ranges(valid, "integer" in types, path)
    problems += _enum_problems(node.get("enum"), valid, types, path)
    return problems


def _fractional_bounds(valid: dict[str, Any], path: tuple[PathPart, ...]) -> list[Problem]:
    """An integer's bounds are whole numbers (the gate's integer field takes no other)."""
    problems = []
    for keyword, round_to in (
        ("minimum", math.ceil),
        ("maximum", math.floor),
        ("exclusiveMinimum", math.floor),
        ("exclusiveMaximum", math.ceil),
    ):
        value = valid.get(keyword)
        if isinstance(value, float) and not value.is_integer():
            del valid[keyword]
            problems.append(
                Problem(
                    (*path, keyword),
                    f"an integer parameter's bound must be a whole number, got {value!r}; "
                    f"use {round_to(value)}, which allows the same integers",
                )
            )
    return problems


def _crossed_lengths(valid: dict[str, Any], path: tuple[PathPart, ...]) -> list[Problem]:
    problems = []
    for lower, upper, what in _LENGTHS:
        if lower in valid and upper in valid and valid[lower] > valid[upper]:
            problems.append(
                Problem(
                    (*path, lower),
                    f"{lower} {valid[lower]} is above {upper} {valid[upper]}: no {what} can meet both; "
                    f"lower {lower} or raise {upper}",
                )
            )
    return problems


def _empty_ranges(valid: dict[str, Any], integer: bool, path: tuple[PathPart, ...]) -> list[Problem]:
    """Each pair of a lower and an upper bound leaves some value between them."""
    what = "integer" if integer else "number"
    problems = []
    for lower, lower_open in _LOWER:
        for upper, upper_open in _UPPER:
            if lower not in valid or upper not in valid:
                continue
            low, high = valid[lower], valid[upper]
            if integer:
                first = math.floor(low) + 1 if lower_open else math.ceil(low)
                last = math.ceil(high) - 1 if upper_open else math.floor(high)
                empty = first > last
            else:
                empty = low > high or (low == high and (lower_open or upper_open))
            if empty:
                problems.append(
                    Problem(
                        (*path, lower),
                        f"{lower} {low} and {upper} {high} leave no {what} between them; "
                        f"lower {lower} or raise {upper}",
                    )
                )
    return problems


def _enum_problems(
    values: Any, valid: dict[str, Any], types: list[str], path: tuple[PathPart, ...]
) -> list[Problem]:
    """Each enum value is listed once, and meets its node's own bounds (the gate checks both)."""
    if not isinstance(values, list):
        return []  # strict_schema says what an enum must be
    problems = []
    seen: dict[tuple[str, Any], int] = {}
    for index, value in enumerate(values):
        if isinstance(value, dict | list):
            continue  # strict_schema refuses complex values
        key = _json_value(value)
        if key in seen:
            problems.append(
                Problem(
                    (*path, "enum", index),
                    f"{value!r} is listed twice (first at enum[{seen[key]}]); list each value once",
                )
            )
            continue
        seen[key] = index
        broken = _broken_bound(value, valid, types)
        if broken is not None:
            problems.append(
                Problem(
                    (*path, "enum", index),
                    f"{value!r} breaks this parameter's own {broken}, so the gate would refuse it; "
                    f"remove the value or change {broken.split()[0]}",
                )
            )
    return problems


def _json_value(value: Any) -> tuple[str, Any]:
    """A key under which values JSON calls equal meet: 1 and 1.0 do, 1 and true do not."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    return (type(value).__name__, value)


def _broken_bound(value: Any, valid: dict[str, Any], types: list[str]) -> str | None:
    """The first of the node's bounds ``value`` breaks, as ``"maximum 10"``; None when it meets all."""
    if isinstance(value, int | float) and not isinstance(value, bool) and {"integer", "number"} & set(types):
        for keyword, meets in _NUMBER_BOUNDS:
            if keyword in valid and not meets(value, valid[keyword]):
                return f"{keyword} {valid[keyword]}"
    elif isinstance(value, str) and "string" in types:
        if "minLength" in valid and len(value) < valid["minLength"]:
            return f"minLength {valid['minLength']}"
        if "maxLength" in valid and len(value) > valid["maxLength"]:
            return f"maxLength {valid['maxLength']}"
        if "pattern" in valid and not _searches(valid["pattern"], value):
            return f"pattern {valid['pattern']!r}"
    return None


def _searches(pattern: str, value: str) -> bool:
    """JSON Schema patterns are searched, not anchored (as the gate's model does)."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True  # an invalid pattern is reported on its own
