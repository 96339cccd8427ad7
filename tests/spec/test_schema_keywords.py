"""An action's parameters schema gives each keyword a value of the right type, and bounds a value can meet.

The spec loader refuses what would otherwise pass copier and ``make check`` and only fail later,
when the gate builds its model or the tool is sent to Bedrock: each problem at its own path.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from governed_assistant.runtime.actions.models import parameters_model
from governed_assistant.runtime.actions.schema import strict_parameters_schema
from governed_assistant.spec import Problem, validate_spec_data
from governed_assistant.spec.__main__ import main as spec_cli
from governed_assistant.spec.answers import answer_error, render_spec_yaml
from governed_assistant.spec.strict_schema import RESERVED_PARAMETER_NAMES, check_parameters_schema
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import preset_answers, preset_document

# The bounded-action preset's actions: 1 get_customer_config (sections: an array), 3 issue_refund
# (amount: a number, currency: a string enum, reason: a string with lengths).
SECTIONS = ("actions", 1, "parameters", "properties", "sections")
REFUND = ("actions", 3, "parameters")
AMOUNT = (*REFUND, "properties", "amount")
CURRENCY = (*REFUND, "properties", "currency")
REASON = (*REFUND, "properties", "reason")


def _problems(document: dict[str, Any]) -> list[Problem]:
    spec, problems = validate_spec_data(document)
    assert (spec is None) == bool(problems)
    return problems


def _node(document: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    node: Any = document
    for part in path:
        node = node[part]
    return node


def _where(path: tuple[str | int, ...]) -> str:
    return Problem(path, "").where


BAD_KEYWORDS = [
    pytest.param(AMOUNT, {"minimum": "ten"}, "minimum", "must be a number", id="minimum-text"),
    pytest.param(AMOUNT, {"maximum": True}, "maximum", "must be a number", id="maximum-bool"),
    pytest.param(REASON, {"maxLength": "x"}, "maxLength", "must be a whole number", id="max-length-text"),
    pytest.param(REASON, {"minLength": -3}, "minLength", "0 or more", id="min-length-negative"),
    pytest.param(REASON, {"minLength": 1.5}, "minLength", "must be a whole number", id="min-length-float"),
    pytest.param(SECTIONS, {"maxItems": -1}, "maxItems", "0 or more", id="max-items-negative"),
    pytest.param(AMOUNT, {"description": 3}, "description", "must be text", id="description-number"),
    pytest.param(AMOUNT, {"title": ["x"]}, "title", "must be text", id="title-list"),
    pytest.param(REASON, {"pattern": 3}, "pattern", "must be text", id="pattern-number"),
    pytest.param(
        REASON, {"pattern": "[a-"}, "pattern", "not a valid regular expression", id="pattern-invalid"
    ),
    pytest.param(REASON, {"format": 3}, "format", "must be text", id="format-number"),
    pytest.param(AMOUNT, {"minimum": 50, "maximum": 10}, "minimum", "leave no number", id="min-above-max"),
    pytest.param(
        AMOUNT,
        {"exclusiveMinimum": 10, "exclusiveMaximum": 10, "maximum": None},
        "exclusiveMinimum",
        "leave no number",
        id="exclusive-min-equals-exclusive-max",
    ),
    pytest.param(
        AMOUNT,
        {"exclusiveMinimum": 10, "maximum": 10},
        "exclusiveMinimum",
        "leave no number",
        id="exclusive-min-equals-max",
    ),
    pytest.param(
        AMOUNT,
        {"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2, "maximum": None},
        "exclusiveMinimum",
        "leave no integer",
        id="no-integer-between",
    ),
    pytest.param(
        AMOUNT,
        {"type": "integer", "minimum": 0.5, "exclusiveMinimum": None},
        "minimum",
        "whole number",
        id="integer-fractional-bound",
    ),
    pytest.param(REASON, {"minLength": 600, "maxLength": 500}, "minLength", "above maxLength", id="lengths"),
    pytest.param(SECTIONS, {"minItems": 3, "maxItems": 2}, "minItems", "above maxItems", id="items"),
    pytest.param(CURRENCY, {"enum": []}, "enum", "non-empty list", id="enum-empty"),
    pytest.param(CURRENCY, {"enum": ["USD", "EUR", "USD"]}, "enum.2", "listed twice", id="enum-duplicate"),
    pytest.param(
        AMOUNT, {"enum": [1, 2.5, 1.0]}, "enum.2", "listed twice", id="enum-duplicate-equal-numbers"
    ),
    pytest.param(
        CURRENCY, {"enum": ["USD", 3]}, "enum.1", "does not match the declared type", id="enum-type"
    ),
    pytest.param(REASON, {"enum": ["too short", "no"]}, "enum.1", "minLength 5", id="enum-below-min-length"),
    pytest.param(AMOUNT, {"enum": [5, 20000]}, "enum.1", "maximum 10000", id="enum-above-maximum"),
    pytest.param(AMOUNT, {"default": 5}, "default", "not supported", id="default"),
    pytest.param(AMOUNT, {"type": []}, "type", "at least one", id="type-empty-list"),
    pytest.param(AMOUNT, {"type": ["number", "number"]}, "type", "listed twice", id="type-duplicate"),
    pytest.param(REFUND, {"required": ["amount", "refund_to"]}, "required.1", "not declared", id="required"),
    pytest.param(
        REFUND, {"required": ["amount", "amount"]}, "required.1", "listed twice", id="required-twice"
    ),
    pytest.param(
        REFUND, {"required": [["amount"]]}, "required", "list of property names", id="required-list"
    ),
    pytest.param(REFUND, {"required": "amount"}, "required", "list of property names", id="required-text"),
]


@pytest.mark.parametrize(("node", "change", "keyword", "fragment"), BAD_KEYWORDS)
def test_validate_spec_data_bad_keyword_value_refused_at_its_path(
    document: dict[str, Any], node: tuple[str | int, ...], change: dict[str, Any], keyword: str, fragment: str
) -> None:
    """A keyword of the wrong type or a bound no value can meet is refused at that keyword's path."""
    target = _node(document, node)
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    path = (*node, *(int(part) if part.isdigit() else part for part in keyword.split(".")))
    matching = [problem for problem in _problems(document) if problem.path == path]
    assert matching, f"no problem at {_where(path)}: {list(map(str, _problems(document)))}"
    assert any(fragment in problem.message for problem in matching), [str(p) for p in matching]


def test_validate_spec_data_bad_keywords_all_reported_at_once(document: dict[str, Any]) -> None:
    """Three bad keywords in two actions are three problems, each at its path."""
    _node(document, AMOUNT)["minimum"] = "ten"
    _node(document, REASON)["maxLength"] = "x"
    _node(document, SECTIONS)["minItems"] = -3
    assert {problem.where for problem in _problems(document)} >= {
        "actions[3].parameters.properties.amount.minimum",
        "actions[3].parameters.properties.reason.maxLength",
        "actions[1].parameters.properties.sections.minItems",
    }


EDGES = [
    pytest.param(
        AMOUNT, {"minimum": 10, "maximum": 10, "exclusiveMinimum": None}, id="minimum-equals-maximum"
    ),
    pytest.param(AMOUNT, {"exclusiveMinimum": 0, "maximum": 0.001}, id="narrow-open-interval"),
    pytest.param(
        AMOUNT,
        {"type": "integer", "minimum": 1, "exclusiveMaximum": 2, "exclusiveMinimum": None},
        id="one-int",
    ),
    pytest.param(AMOUNT, {"type": "integer", "minimum": 1.0, "maximum": 1}, id="integer-whole-float-bound"),
    pytest.param(AMOUNT, {"minimum": -1e300, "maximum": 10**20}, id="large-bounds"),
    pytest.param(REASON, {"minLength": 0}, id="min-length-zero"),
    pytest.param(REASON, {"minLength": 7, "maxLength": 7}, id="lengths-equal"),
    pytest.param(SECTIONS, {"minItems": 0, "maxItems": 0}, id="items-zero"),
    pytest.param(AMOUNT, {"enum": [1, 10000], "exclusiveMinimum": 0}, id="enum-at-the-bounds"),
    pytest.param(REASON, {"enum": ["refund", "credit"], "pattern": "^[a-z]+$"}, id="enum-matching-pattern"),
    pytest.param(REASON, {"pattern": "", "description": ""}, id="empty-text"),
]


@pytest.mark.parametrize(("node", "change"), EDGES)
def test_validate_spec_data_bounds_at_the_edge_accepted(
    document: dict[str, Any], node: tuple[str | int, ...], change: dict[str, Any]
) -> None:
    """Bounds that meet (minimum == maximum, minLength 0) leave a value, so the schema loads."""
    target = _node(document, node)
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    assert [str(problem) for problem in _problems(document)] == []
    strict_parameters_schema(_node(document, REFUND))
    parameters_model("issue_refund", _node(document, REFUND))


def test_bad_keyword_same_message_in_copier_check_and_loader(
    document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The copier question, `python -m governed_assistant.spec check` and the loader say the same line."""
    answers, _ = preset_answers("bounded-action")
    answers["actions"][3]["parameters"]["properties"]["amount"]["minimum"] = "ten"
    _node(document, AMOUNT)["minimum"] = "ten"
    (problem,) = _problems(document)
    assert problem.where == "actions[3].parameters.properties.amount.minimum"
    assert str(problem) in answer_error("actions", answers)
    spec_file = tmp_path / "assistant.yaml"
    spec_file.write_text(render_spec_yaml(document))
    assert spec_cli(["check", str(spec_file)]) == 1
    assert f"{problem.where}: {problem.message}" in capsys.readouterr().err


# Valid parameter schemas: every type with consistent bounds, enums of distinct values in bounds,
# nested objects and arrays; property names never reserved.
_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in RESERVED_PARAMETER_NAMES
)
_TEXT = st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=20)


@st.composite
def _numbers(draw: st.DrawFn) -> dict[str, Any]:
    lower = draw(st.sampled_from(["", "minimum", "exclusiveMinimum"]))
    upper = draw(st.sampled_from(["", "maximum", "exclusiveMaximum"]))
    low = draw(st.integers(-1000, 1000))
    # Two apart when a bound is exclusive, so an integer lies strictly between.
    high = low + draw(st.integers(2 if "exclusive" in lower + upper else 0, 1000))
    node: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    node |= ({lower: low} if lower else {}) | ({upper: high} if upper else {})
    if draw(st.booleans()):
        first = low + 1 if lower == "exclusiveMinimum" else low
        last = high - 1 if upper == "exclusiveMaximum" else high
        node["enum"] = draw(st.lists(st.integers(first, last), min_size=1, max_size=4, unique=True))
    return node


@st.composite
def _strings(draw: st.DrawFn) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    low = draw(st.integers(0, 10))
    if draw(st.booleans()):
        node["minLength"] = low
    if draw(st.booleans()):
        node["maxLength"] = low + draw(st.integers(0, 50))
    extra = draw(st.sampled_from(["", "pattern", "format", "enum"]))
    if extra == "pattern":
        node["pattern"] = draw(st.sampled_from(["^[a-z]*$", r"^\w*$", "^.*$", "[A-Z0-9]*"]))
    elif extra == "format":
        node["format"] = draw(st.sampled_from(["date", "email", "uuid", "uri"]))
    elif extra == "enum":
        lengths = (node.get("minLength", 0), node.get("maxLength", 20))
        node["enum"] = draw(st.lists(st.text("abcxyz", min_size=lengths[0], max_size=lengths[1]),
                                     min_size=1, max_size=4, unique=True))  # fmt: skip
    return node


def _arrays(items: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda item, low, width, bounds: {
            "type": "array",
            "items": item,
            **({"minItems": low} if "min" in bounds else {}),
            **({"maxItems": low + width} if "max" in bounds else {}),
        },
        items,
        st.integers(0, 3),
        st.integers(0, 5),
        st.sampled_from(["", "min", "max", "minmax"]),
    )


def _objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(_NAMES, children, min_size=1, max_size=3).map(
        # Every property required: the strict tool limits (optional and nullable ones) stay far.
        lambda properties: {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
    )


def _described(nodes: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda node, text: {**node, **({"description": text} if text else {})}, nodes, _TEXT)


_SCALARS = _described(st.one_of(_numbers(), _strings(), st.just({"type": "boolean"})))
_VALID = _objects(st.one_of(_SCALARS, _arrays(_SCALARS), _objects(_SCALARS)))


def _nodes(
    schema: dict[str, Any], path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every schema node of ``schema`` with its path inside it."""
    found = [(path, schema)]
    for name, child in schema.get("properties", {}).items():
        found += _nodes(child, (*path, "properties", name))
    if "items" in schema:
        found += _nodes(schema["items"], (*path, "items"))
    return found


# One corruption per kind the loader must refuse: (applies to the node?, corrupt it -> the keyword).
def _wrong_type(node: dict[str, Any], draw: st.DrawFn) -> str:
    keyword = draw(st.sampled_from(sorted(_TYPED & _keywords_for(node))))
    node[keyword] = draw(st.sampled_from(_WRONG[keyword]))
    return keyword


def _keywords_for(node: dict[str, Any]) -> set[str]:
    kind = node["type"]
    return {"description", "title"} | {
        "string": {"minLength", "maxLength", "pattern", "format"},
        "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
        "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
        "array": {"minItems", "maxItems"},
        "object": {"required"},
        "boolean": set(),
    }[kind]


_COUNT_WRONG = ["x", -3, 1.5, True, None, [1]]
_NUMBER_WRONG = ["ten", True, None, [1], {"v": 1}, float("nan"), float("inf")]
_TEXT_WRONG = [3, 1.5, True, None, ["x"], {"x": 1}]
_WRONG: dict[str, list[Any]] = {
    "minLength": _COUNT_WRONG, "maxLength": _COUNT_WRONG, "minItems": _COUNT_WRONG, "maxItems": _COUNT_WRONG,
    "minimum": _NUMBER_WRONG, "maximum": _NUMBER_WRONG,
    "exclusiveMinimum": _NUMBER_WRONG, "exclusiveMaximum": _NUMBER_WRONG,
    "description": _TEXT_WRONG, "title": _TEXT_WRONG, "pattern": [*_TEXT_WRONG, "[a-", "(x"],
    "format": [3, True, None, "regex"], "required": ["x", 3, [1], [["x"]]],
}  # fmt: skip
_TYPED = set(_WRONG)


def _inverted_bounds(node: dict[str, Any], draw: st.DrawFn) -> str:
    kind = node["type"]
    low = draw(st.integers(1, 100))
    gap = draw(st.integers(1, 100))
    if kind in ("integer", "number"):
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"):
            node.pop(key, None)
        lower = draw(st.sampled_from(["minimum", "exclusiveMinimum"]))
        upper = draw(st.sampled_from(["maximum", "exclusiveMaximum"]))
        touching = lower.startswith("exclusive") or upper.startswith("exclusive")
        node[lower] = low + gap
        node[upper] = low + gap if touching and draw(st.booleans()) else low
        return lower
    lower, upper = ("minLength", "maxLength") if kind == "string" else ("minItems", "maxItems")
    node.pop("enum", None)
    node[lower], node[upper] = low + gap, low
    return lower


def _bad_enum(node: dict[str, Any], draw: st.DrawFn) -> str:
    values = node.get("enum", [])
    choice = draw(st.sampled_from(["empty", "type", *(["duplicate"] if values else [])]))
    if choice == "empty":
        node["enum"] = []
        return "enum"
    extra = values[0] if choice == "duplicate" else ("text" if node["type"] != "string" else 7)
    node["enum"] = [*values, extra]
    return f"enum.{len(values)}"


def _unknown_required(node: dict[str, Any], draw: st.DrawFn) -> str:
    node["required"] = [*node["required"], "not_a_property_here"]
    return f"required.{len(node['required']) - 1}"


def _bad_type(node: dict[str, Any], draw: st.DrawFn) -> str:
    node["type"] = draw(st.sampled_from([[], "strng", ["string", "integer"], 3, "float"]))
    return "type"


_CORRUPTIONS = [
    (lambda node: True, _wrong_type),
    (lambda node: node["type"] in ("integer", "number", "string", "array"), _inverted_bounds),
    (lambda node: node["type"] in ("integer", "number", "string", "boolean"), _bad_enum),
    (lambda node: node["type"] == "object", _unknown_required),
    (lambda node: True, _bad_type),
]


@st.composite
def _corrupted(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str | int, ...]]:
    """A valid schema with one corruption, and the path of the keyword corrupted."""
    schema = copy.deepcopy(draw(_VALID))
    path, node = draw(st.sampled_from(_nodes(schema)))
    _, corrupt = draw(st.sampled_from([corruption for corruption in _CORRUPTIONS if corruption[0](node)]))
    keyword = corrupt(node, draw)
    return schema, (*path, *(int(part) if part.isdigit() else part for part in keyword.split(".")))


def _with_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    document = preset_document()
    document["actions"][0]["parameters"] = schema
    return document


@settings(max_examples=100, deadline=None)
@given(_VALID)
def test_validate_spec_data_generated_valid_schema_loads(schema: dict[str, Any]) -> None:
    """A generated schema with consistent keywords loads, and the gate and the tool can be built from it."""
    assert check_parameters_schema(schema, ()) == []
    assert [str(problem) for problem in _problems(_with_parameters(schema))] == []
    strict_parameters_schema(schema)
    parameters_model("generated", schema)


@settings(max_examples=200, deadline=None)
@given(_corrupted())
def test_validate_spec_data_generated_corruption_refused_at_its_path(
    case: tuple[dict[str, Any], tuple[str | int, ...]],
) -> None:
    """One corrupted keyword in a valid schema is refused, with a problem at that keyword's path."""
    schema, path = case
    where = ("actions", 0, "parameters", *path)
    problems = _problems(_with_parameters(schema))
    assert any(problem.path == where for problem in problems), (
        _where(where),
        [str(problem) for problem in problems],
    )


def test_validate_spec_data_property_name_with_a_trailing_newline_refused(document: dict[str, Any]) -> None:
    """`amount\n` is not a property name Bedrock takes: the whole name must match, not its first line."""
    properties = _node(document, AMOUNT[:-1])
    properties["amount\n"] = properties.pop("amount")
    where = {problem.where for problem in _problems(document)}
    assert "actions[3].parameters.properties.amount\n" in where
