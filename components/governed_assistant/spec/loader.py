"""Loads ``assistant.yaml`` and reports every problem at once, each with its path and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from governed_assistant.spec.exceptions import SpecError, SpecVersionError
from governed_assistant.spec.model import PATTERN_WORDS, SPEC_VERSION, AssistantSpec, cross_field_problems
from governed_assistant.spec.problems import PathPart, Problem
from governed_assistant.spec.strict_schema import check_parameters_schema, tool_limit_problems

DEFAULT_SPEC_PATH = Path("assistant.yaml")


def load_spec(path: str | Path = DEFAULT_SPEC_PATH) -> AssistantSpec:
    """Read and validate a spec file; raise ``SpecError`` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), [Problem((), "file not found; run from the project root")]) from None
    return parse_spec(text, source=str(path))


def parse_spec(text: str, source: str = "assistant.yaml") -> AssistantSpec:
    """Validate spec text; raise ``SpecError`` listing every problem with its line."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise SpecError(source, [Problem((), f"not valid YAML: {reason}", line)]) from None
    spec, problems = validate_spec_data(data)
    if spec is None:
        raise SpecError(source, [_with_line(problem, text) for problem in problems])
    return spec


def validate_spec_data(data: Any) -> tuple[AssistantSpec | None, list[Problem]]:
    """Validate already-parsed spec data; return the spec (if valid) and every problem."""
    if not isinstance(data, dict):
        return None, [Problem((), "the spec must be a YAML mapping (name: ..., actions: [...])")]
    version = data.get("spec_version")
    if version != SPEC_VERSION:
        raise SpecVersionError(version, SPEC_VERSION)
    problems = _schema_problems(data)
    try:
        spec = AssistantSpec.model_validate(data)
    except ValidationError as error:
        problems = _pydantic_problems(error) + problems
        return None, _unique(problems)
    problems += cross_field_problems(spec)
    return (None if problems else spec), _unique(problems)


def _schema_problems(data: dict[str, Any]) -> list[Problem]:
    """Strict-schema checks run on the raw data, so they report even when other fields fail."""
    actions = data.get("actions")
    if not isinstance(actions, list):
        return []
    problems: list[Problem] = []
    for index, action in enumerate(actions):
        if isinstance(action, dict) and "parameters" in action:
            problems += check_parameters_schema(action["parameters"], ("actions", index, "parameters"))
    return problems + tool_limit_problems(actions)


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        path: tuple[PathPart, ...] = tuple(
            part for part in item["loc"] if not (isinstance(part, str) and part.startswith("function-"))
        )
        if item["type"] == "extra_forbidden":
            known = ", ".join(_known_keys(path[:-1]))
            message = f"unknown key; check its spelling or remove it (known keys here: {known})"
        elif item["type"] == "missing":
            message = "required; add this key"
        elif item["type"] == "string_pattern_mismatch" and item["ctx"]["pattern"] in PATTERN_WORDS:
            message = f"{item['input']!r} is not {PATTERN_WORDS[item['ctx']['pattern']]}"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] in ("literal_error", "enum"):
                message += f", got {item['input']!r}"
        problems.append(Problem(path, message))
    return problems


def _known_keys(path: tuple[PathPart, ...]) -> list[str]:
    """The keys a model accepts at ``path``, for 'did you mean' style messages."""
    model: type[BaseModel] = AssistantSpec
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        inner = getattr(annotation, "__args__", (annotation,))
        nested = [arg for arg in inner if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if not nested and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = [annotation]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[tuple[PathPart, ...], str]] = set()
    unique = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _with_line(problem: Problem, text: str) -> Problem:
    line = line_of(text, problem.path)
    return Problem(problem.path, problem.message, line)


def line_of(text: str, path: tuple[PathPart, ...]) -> int | None:
    """The 1-based line where ``path`` (or its nearest existing parent) appears in the YAML."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, child = key.start_mark.line + 1, value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
