"""The program's stack settings: declared, typed and defaulted in Pulumi.yaml exactly as the program
reads them; and the rule that protects a production stack's data."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, wraps
from pathlib import Path
from typing import Any

import jsonschema
import pulumi
import pytest
import yaml
from governed_assistant.infra.testing import MockRun, RegisteredResource, run_program
from governed_assistant.spec import load_spec
from governed_assistant.spec.answers import render_spec_yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tests.conftest import REPO_ROOT, preset_document

PROJECT = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"]
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "pulumi-project.json").read_text())
# What each pulumi.Config reader parses, as a project config type. Pulumi's project config has
# no number type: a float is declared a string (the CLI then passes any text; get_float parses it).
READER_TYPES: dict[str, set[str]] = {
    "get": {"string"},
    "require": {"string"},
    "get_bool": {"boolean"},
    "require_bool": {"boolean"},
    "get_int": {"integer"},
    "require_int": {"integer"},
    "get_float": {"string"},
    "require_float": {"string"},
    "get_object": {"array", "object"},
    "require_object": {"array", "object"},
}
# The resources that hold a stack's data: protected (and retained) in production, nowhere else.
DATA_TYPES = {
    "aws:dynamodb/table:Table",
    "aws:cognito/userPool:UserPool",
    "aws:s3/bucket:Bucket",
    "aws:rds/cluster:Cluster",
    "aws:opensearch/domain:Domain",
    "aws:opensearch/serverlessCollection:ServerlessCollection",
}


def render_pulumi_yaml(description: str = 'Refunds: "careful" ones') -> dict[str, Any]:
    """The generated project's Pulumi.yaml, rendered from the template with plain Jinja."""
    # YAML, not HTML: autoescaping would garble it (copier renders with autoescape off too).
    environment = Environment(  # noqa: S701
        loader=FileSystemLoader(REPO_ROOT / "template"), undefined=StrictUndefined
    )
    text = environment.get_template("Pulumi.yaml.jinja").render(
        project_slug="refund_assistant", description=description
    )
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def declared() -> dict[str, dict[str, Any]]:
    config: dict[str, dict[str, Any]] = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["config"]
    return config


@contextmanager
def recording_config_reads() -> Iterator[list[tuple[str, str, str]]]:
    """Record ``(namespace, key, reader)`` for every ``pulumi.Config`` read inside the block.

    Only the outermost call counts (``get_bool`` reads through ``get``). Real reads, by the code
    itself: the check below needs no list of keys of its own.
    """
    reads: list[tuple[str, str, str]] = []
    depth = [0]
    originals = {name: getattr(pulumi.Config, name) for name in READER_TYPES}

    def recording(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(original)
        def read(self: pulumi.Config, key: str, *args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                reads.append((self.name, key, name))
            depth[0] += 1
            try:
                return original(self, key, *args, **kwargs)
            finally:
                depth[0] -= 1

        return read

    for name, original in originals.items():
        setattr(pulumi.Config, name, recording(name, original))
    try:
        yield reads
    finally:
        for name, original in originals.items():
            setattr(pulumi.Config, name, original)


@cache
def program_reads() -> dict[str, str]:
    """The project settings the program reads (key -> reader), evaluating it under mocks."""
    with recording_config_reads() as reads:
        run_program(REPO_ROOT, project=PROJECT, stack="dev", config={"dependenciesLayerArn": LAYER_ARN})
    return {key: reader for namespace, key, reader in reads if namespace == PROJECT}


def test_pulumi_yaml_declares_every_setting_the_program_reads_with_its_type() -> None:
    """Pulumi.yaml declares exactly the keys the program reads, each with the type its reader parses."""
    reads = program_reads()
    settings = declared()
    assert reads, "the program read no project settings: is the recording broken?"
    assert set(settings) == set(reads)
    wrong = {
        key: (settings[key].get("type"), reader)
        for key, reader in reads.items()
        if settings[key].get("type") not in READER_TYPES[reader]
    }
    assert wrong == {}


def test_pulumi_yaml_describes_and_defaults_every_setting() -> None:
    """Each setting has a description and a default: a typed key without one is required by the CLI."""
    for key, setting in declared().items():
        assert setting.get("description"), key
        assert "default" in setting and setting["default"] is not None, key


def valid_config_value(type_: str, items: dict[str, Any] | None, value: Any) -> bool:
    """Pulumi's ``ValidateConfigValue`` (sdk/go/common/workspace/project.go), as the CLI checks a
    declared default and every stack value (booleans and integers may come as their text)."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and math.trunc(value) == value):
            return True
        return isinstance(value, str) and value.lstrip("+-").isdigit()
    if type_ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_ == "object":
        return isinstance(value, dict)
    return (
        isinstance(value, list)
        and items is not None
        and all(valid_config_value(items["type"], items.get("items"), item) for item in value)
    )


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text()), id="repository"),
        pytest.param(render_pulumi_yaml, id="generated"),
    ],
)
def test_pulumi_yaml_is_a_valid_pulumi_project(document: Callable[[], dict[str, Any]]) -> None:
    """Pulumi.yaml passes Pulumi's project schema and its checks of typed config (items, defaults)."""
    project = document()
    jsonschema.validate(project, SCHEMA, cls=jsonschema.Draft202012Validator)
    for key, setting in project["config"].items():
        assert ":" not in key, f"{key}: a typed key must be the project's own (no namespace)"
        if setting["type"] == "array":
            assert "items" in setting, f"{key}: an array declares its items' type"
        assert valid_config_value(setting["type"], setting.get("items"), setting["default"]), key


def test_generated_pulumi_yaml_declares_the_same_settings_as_the_repository() -> None:
    """The template's Pulumi.yaml and the reference assistant's declare the same settings."""
    assert render_pulumi_yaml()["config"] == declared()


def test_generated_pulumi_yaml_keeps_a_description_with_quotes_in_one_string() -> None:
    """The project's description reaches Pulumi.yaml as one YAML string, quotes and colon included."""
    description = 'Refunds: "careful" ones'
    assert render_pulumi_yaml(description)["description"] == description


def _archive_path(value: Any) -> str:
    # An archive is its path (its repr holds its address, different in every run).
    return str(getattr(value, "path", repr(value)))


def _inputs(resource: RegisteredResource) -> str:
    return json.dumps(resource.inputs, sort_keys=True, default=_archive_path)


def _resources(run: MockRun) -> list[tuple[str, str, str, bool | None]]:
    return [
        (
            resource.type,
            resource.name,
            json.dumps(resource.inputs, sort_keys=True, default=_archive_path),
            resource.protect,
        )
        for resource in sorted(run.resources, key=lambda resource: resource.urn)
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pulumi_yaml_defaults_are_the_programs_own(stack: str) -> None:
    """A stack given every declared default (as the CLI passes them) gets the resources of a stack
    given none (as the program alone decides)."""
    defaults = {key: setting["default"] for key, setting in declared().items()}
    unset = run_program(REPO_ROOT, project=PROJECT, stack=stack, config={"dependenciesLayerArn": LAYER_ARN})
    given = run_program(
        REPO_ROOT, project=PROJECT, stack=stack, config={**defaults, "dependenciesLayerArn": LAYER_ARN}
    )
    assert _resources(given) == _resources(unset)


def test_readme_lists_exactly_the_declared_settings_with_their_types_and_defaults() -> None:
    """The generated README's per-stack settings table has exactly Pulumi.yaml's keys, types, defaults."""
    readme = (REPO_ROOT / "template" / "README.md.jinja").read_text()
    table = readme.split("Per-stack settings", 1)[1].split("\n\n", 2)[1]
    rows = [[cell.strip() for cell in row.split("|")[1:4]] for row in table.splitlines()[2:]]
    listed = {key.strip("`"): (type_, json.loads(default.strip("`"))) for key, type_, default in rows}
    assert listed == {key: (setting["type"], setting["default"]) for key, setting in declared().items()}


@pytest.fixture(scope="module")
def project_with_every_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A project whose program creates every kind of data resource: pgvector's database beside the
    reference assistant's tables, user pool, domain and bucket; and, in a second, the collection."""
    root = tmp_path_factory.mktemp("stores")
    projects = []
    for backend in ("pgvector", "knowledge-base"):
        document = preset_document()
        document["retrieval"] = {"backend": backend}
        directory = root / backend
        directory.mkdir()
        (directory / "assistant.yaml").write_text(render_spec_yaml(document))
        shutil.copy(REPO_ROOT / "template" / "__main__.py", directory / "__main__.py")
        projects.append(directory)
    yield root, load_spec(projects[0] / "assistant.yaml").slug


def _data_runs(root: Path, slug: str, stack: str, **config: Any) -> list[MockRun]:
    settings = {"dependenciesLayerArn": LAYER_ARN, **config}
    return [
        run_program(root / backend, project=slug, stack=stack, config=settings)
        for backend in ("pgvector", "knowledge-base")
    ]


def _options(runs: list[MockRun]) -> dict[str, set[tuple[bool | None, bool | None]]]:
    """Per resource type, the (protect, retain_on_delete) pairs its resources were registered with."""
    found: dict[str, set[tuple[bool | None, bool | None]]] = {}
    for run in runs:
        for resource in run.resources:
            if resource.custom:
                found.setdefault(resource.type, set()).add((resource.protect, resource.retain_on_delete))
    return found


def _any_set(pairs: set[tuple[bool | None, bool | None]]) -> bool:
    return any(True in pair for pair in pairs)


@pytest.mark.parametrize("stack", ["prod", "production", "prod-eu"])
def test_production_stack_protects_and_retains_every_data_resource_and_nothing_else(
    project_with_every_store: tuple[Path, str], stack: str
) -> None:
    """In a production stack every table, user pool, bucket, database, domain and collection is
    protected and retained on delete, whatever protectData says; no other resource is."""
    root, slug = project_with_every_store
    options = _options(_data_runs(root, slug, stack, protectData=False))
    assert set(options) >= DATA_TYPES, "the runs must create every kind of data resource"
    assert {kind: options[kind] for kind in DATA_TYPES} == {kind: {(True, True)} for kind in DATA_TYPES}
    assert {kind for kind, pairs in options.items() if kind not in DATA_TYPES and _any_set(pairs)} == set()


def test_other_stacks_protect_nothing_unless_asked(project_with_every_store: tuple[Path, str]) -> None:
    """In a dev stack no resource is protected or retained; protectData: true protects the data ones."""
    root, slug = project_with_every_store
    unprotected = _options(_data_runs(root, slug, "dev"))
    assert {kind for kind, pairs in unprotected.items() if _any_set(pairs)} == set()
    asked = _options(_data_runs(root, slug, "dev", protectData=True))
    assert {kind for kind, pairs in asked.items() if (True, True) in pairs} == DATA_TYPES


@pytest.mark.parametrize(
    ("config", "reserved"),
    [
        pytest.param({}, 25, id="unset"),
        pytest.param({"apiReservedConcurrency": 3}, 3, id="three"),
        pytest.param({"apiReservedConcurrency": 0}, None, id="none"),
    ],
)
def test_api_reserved_concurrency_setting_reaches_the_api_function_only(
    config: dict[str, Any], reserved: int | None
) -> None:
    """apiReservedConcurrency reserves instances for the API function; no other function reserves any."""
    run = run_program(
        REPO_ROOT, project=PROJECT, stack="dev", config={**config, "dependenciesLayerArn": LAYER_ARN}
    )
    functions = {
        r.name: r.inputs.get("reservedConcurrentExecutions")
        for r in run.of_type("aws:lambda/function:Function")
    }
    api = [name for name in functions if name.endswith("-conversation-api")]
    assert len(api) == 1, sorted(functions)
    assert functions.pop(api[0]) == reserved
    assert set(functions.values()) == {None}
