"""The handlers agree with the infra that deploys them, and build their parts once, from the environment."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from governed_assistant.handlers import HANDLER_MODULES, environment
from governed_assistant.handlers.environment import Environment
from governed_assistant.handlers.exceptions import HandlerConfigError
from governed_assistant.handlers.sse import format_sse, parse_last_event_id
from governed_assistant.infra.entrypoints import HANDLERS
from governed_assistant.runtime.guardrails import GuardrailConfigError
from governed_assistant.runtime.jobs import ProgressEntry

from tests.conftest import REPO_ROOT


@pytest.mark.parametrize("module", sorted(HANDLERS))
def test_handler_entry_point_resolves(module: str) -> None:
    """Every handler the stack names for this package is a callable ``handler``."""
    assert HANDLERS[module] == f"governed_assistant.handlers.{module}.handler"
    assert callable(importlib.import_module(f"governed_assistant.handlers.{module}").handler)


def test_environment_builds_each_part_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part is built on first use and kept; reset() starts over."""
    monkeypatch.setenv("GOVERNED_SPEC_PATH", str(REPO_ROOT / "assistant.yaml"))
    environment.reset()
    env = environment.current()
    assert env is environment.current()
    assert env.spec is env.spec
    environment.reset()
    assert environment.current() is not env
    environment.reset()


@pytest.mark.parametrize(
    ("variable", "value", "part", "error"),
    [
        pytest.param(
            "GOVERNED_SPEC_PATH", "/nowhere/assistant.yaml", "spec", HandlerConfigError, id="no-spec"
        ),
        pytest.param("GOVERNED_POLICIES_DIR", "/nowhere", "authorizer", HandlerConfigError, id="no-policies"),
        pytest.param("GOVERNED_GUARDRAIL_ID", "", "guardrail", GuardrailConfigError, id="no-guardrail"),
        pytest.param("GOVERNED_EVENT_BUS", "", "event_bus", HandlerConfigError, id="no-bus"),
    ],
)
def test_environment_missing_setting_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, part: str, error: type[Exception]
) -> None:
    """A function deployed without a setting it needs says which one, when the part is first used."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("GOVERNED_SPEC_PATH", str(REPO_ROOT / "assistant.yaml"))
    monkeypatch.setenv(variable, value)
    env = Environment()
    with pytest.raises(error, match=variable):
        getattr(env, part)


def test_environment_retriever_is_none_without_retrieval(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``retrieval.backend: none`` there is no retriever (and no retrieval import)."""
    monkeypatch.setenv("GOVERNED_SPEC_PATH", str(REPO_ROOT / "assistant.yaml"))
    env = Environment()
    if env.spec.retrieval.backend != "none":
        pytest.skip("the reference assistant retrieves")
    assert env.retriever is None


def _entries(count: int) -> list[ProgressEntry]:
    from datetime import UTC, datetime

    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [ProgressEntry(seq=n, status="processing", stage=f"s{n}", at=at) for n in range(1, count + 1)]


@pytest.mark.parametrize(
    ("last", "retry", "ids", "ends_with_retry"),
    [
        pytest.param(None, 1000, [1, 2, 3], True, id="from-start-running"),
        pytest.param(2, 1000, [3], True, id="after-last-event-id"),
        pytest.param(3, None, [], False, id="caught-up-finished"),
    ],
)
def test_format_sse_emits_entries_after_last_id(
    last: int | None, retry: int | None, ids: list[int], ends_with_retry: bool
) -> None:
    """Each entry after Last-Event-ID is one id/event/data block; a retry line while the job runs."""
    text = format_sse(_entries(3), last, retry_ms=retry)
    assert [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")] == ids
    assert text.endswith("retry: 1000\n\n") is ends_with_retry
    assert all(block.startswith(("id: ", "retry: ")) for block in text.split("\n\n") if block)


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (" 3 ", 3), ("", None), (None, None)])
def test_parse_last_event_id_reads_numbers(value: str | None, expected: int | None) -> None:
    """Last-Event-ID is our sequence number, or absent."""
    assert parse_last_event_id(value) == expected


# Never in a handler: Pulumi is not in the Lambda package, moto is for tests.
_NEVER_LOADED = ("pulumi", "moto", "cedarpy")
# Loaded by a request-path handler on its first call, not at import: its cold start (the
# bench/handler_cold_import.py target) would otherwise pay for them.
_LOADED_ON_FIRST_USE = (
    "jwt", "cryptography", "boto3", "yaml", "governed_assistant.spec", "governed_assistant.authz",
    "aws_lambda_powertools.utilities.feature_flags",
)  # fmt: skip


@pytest.mark.parametrize("module", sorted(HANDLERS))
def test_handler_import_loads_no_pulumi_moto_or_cedar_and_defers_heavy_libraries(module: str) -> None:
    """No handler loads Pulumi, moto or cedarpy; a request handler leaves JWT, boto3, the spec for later."""
    heavy = _NEVER_LOADED + (_LOADED_ON_FIRST_USE if module in HANDLER_MODULES else ())
    code = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        f"print(','.join(sorted(m for m in {heavy!r} if m in sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code, f"governed_assistant.handlers.{module}"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert loaded == ""


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        pytest.param(
            {"GOVERNED_PROJECT_ROOT": "/srv/a", "LAMBDA_TASK_ROOT": "/var/task"}, "/srv/a", id="variable"
        ),
        pytest.param({"LAMBDA_TASK_ROOT": "/var/task"}, "/var/task", id="lambda-task-root"),
        pytest.param({}, "<cwd>", id="working-directory"),
    ],
)
def test_project_root_is_where_the_owners_files_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variables: dict[str, str], expected: str
) -> None:
    """The owner's files are found from the variable, else Lambda's task root, else the working directory."""
    for name in ("GOVERNED_PROJECT_ROOT", "LAMBDA_TASK_ROOT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert environment.project_root() == (tmp_path if expected == "<cwd>" else Path(expected))


def test_spec_loads_from_the_project_root_not_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In Lambda the package lives in the layer: assistant.yaml comes from the code archive's root."""
    (tmp_path / "assistant.yaml").write_text((REPO_ROOT / "assistant.yaml").read_text())
    monkeypatch.delenv("GOVERNED_SPEC_PATH", raising=False)
    monkeypatch.delenv("GOVERNED_PROJECT_ROOT", raising=False)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    environment.configure(Environment())
    try:
        assert environment.current().spec.slug
    finally:
        environment.reset()
    (tmp_path / "assistant.yaml").unlink()
    environment.configure(Environment())
    try:
        with pytest.raises(HandlerConfigError, match=str(tmp_path)):
            _ = environment.current().spec
    finally:
        environment.reset()
