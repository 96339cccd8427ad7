"""The review pack on this repository's own assistant (the reference project at the root): its
verdict follows the test run, and what it says of permissions, flows and stores is what the
program declares, read here from the program itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from governed_assistant.infra.testing import run_program
from governed_assistant.security import report as report_module
from governed_assistant.security.__main__ import main
from governed_assistant.security.controls import CONTROLS, Control
from governed_assistant.security.inventory import resource_names_by_arn
from governed_assistant.security.report import SecurityReport, build_report, judge
from governed_assistant.security.results import TestResult
from governed_assistant.spec.loader import load_spec

from tests.conftest import REPO_ROOT

LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
EVERY_TEST = sorted({test for control in CONTROLS for test in control.tests})


def junit(outcomes: dict[str, str]) -> str:
    """pytest's JUnit XML for ``{node id: outcome}``, as pytest writes it."""
    cases = []
    for node_id, outcome in outcomes.items():
        path, _, name = node_id.partition("::")
        classname = path.removesuffix(".py").replace("/", ".")
        inner = {"passed": "", "failed": '<failure message="boom"/>', "skipped": '<skipped message="n/a"/>'}[
            outcome
        ]
        cases.append(f"<testcase classname={quoteattr(classname)} name={quoteattr(name)}>{inner}</testcase>")
    return f'<testsuites><testsuite name="pytest">{"".join(cases)}</testsuite></testsuites>'


def results_file(tmp_path: Path, outcomes: dict[str, str]) -> Path:
    path = tmp_path / "results.xml"
    path.write_text(junit(outcomes))
    return path


@pytest.fixture(scope="module")
def program() -> Any:
    spec = load_spec(REPO_ROOT / "assistant.yaml")
    return run_program(
        REPO_ROOT, project=spec.slug, stack=spec.stacks[0], config={"dependenciesLayerArn": LAYER_ARN}
    )


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> SecurityReport:
    path = results_file(tmp_path_factory.mktemp("passing"), dict.fromkeys(EVERY_TEST, "passed"))
    return build_report(REPO_ROOT, path)


# ---------------------------------------------------------------------- verdicts

CONTROL = Control(
    "sample", "execution", "A sample.", ("tests/test_a.py::test_one", "tests/test_a.py::test_two")
)


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ({"tests/test_a.py::test_one": "passed", "tests/test_a.py::test_two": "passed"}, "passed"),
        ({"tests/test_a.py::test_one[x]": "passed", "tests/test_a.py::test_two[y]": "passed"}, "passed"),
        ({"tests/test_a.py::test_one": "passed", "tests/test_a.py::test_two": "failed"}, "failed"),
        ({"tests/test_a.py::test_one": "failed"}, "failed"),
        ({"tests/test_a.py::test_one": "passed"}, "not run"),
        ({"tests/test_a.py::test_one": "passed", "tests/test_a.py::test_twofold": "passed"}, "not run"),
        ({"tests/test_a.py::test_one": "skipped", "tests/test_a.py::test_two": "skipped"}, "not applicable"),
        ({"tests/test_a.py::test_one": "skipped", "tests/test_a.py::test_two": "passed"}, "passed"),
    ],
)
def test_a_control_verdict_follows_its_tests(outcomes: dict[str, str], verdict: str) -> None:
    results = {node_id: TestResult(node_id, outcome) for node_id, outcome in outcomes.items()}  # type: ignore[arg-type]
    assert judge(CONTROL, results).verdict == verdict


def test_a_run_where_every_control_passed_passes(passing: SecurityReport) -> None:
    assert passing.ok
    assert "**Verdict: PASSED.**" in passing.markdown
    for control in CONTROLS:
        assert f"**{control.id}**: {control.claim} Result: **passed**." in passing.markdown


def test_a_control_whose_test_failed_fails_the_report(tmp_path: Path) -> None:
    failing = CONTROLS[3].tests[0]
    outcomes = dict.fromkeys(EVERY_TEST, "passed") | {failing: "failed"}
    report = build_report(REPO_ROOT, results_file(tmp_path, outcomes))
    assert report.failed == [CONTROLS[3].id]
    assert not report.ok
    assert "**Verdict: FAILED.**" in report.markdown


def test_a_control_whose_test_did_not_run_fails_the_report(tmp_path: Path) -> None:
    missing = CONTROLS[0].tests[1]
    outcomes = {test: "passed" for test in EVERY_TEST if test != missing}
    report = build_report(REPO_ROOT, results_file(tmp_path, outcomes))
    assert report.not_run == [CONTROLS[0].id]
    assert f"`{missing}`: not in the test run" in report.markdown
    assert not report.ok


def test_a_broken_invariant_fails_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: Any
) -> None:
    table = program.of_type("aws:dynamodb/table:Table")[0]
    unencrypted = dataclasses.replace(
        table, inputs={**table.inputs, "serverSideEncryption": {"enabled": False}}
    )
    resources = [unencrypted if resource is table else resource for resource in program.resources]
    monkeypatch.setattr(report_module, "evaluate_program", lambda *_: (resources, {}))
    report = build_report(REPO_ROOT, results_file(tmp_path, dict.fromkeys(EVERY_TEST, "passed")))
    assert report.broken_invariants == ["tables-encrypted-and-recoverable"]
    assert not report.ok


# ---------------------------------------------------------------------- what it says of the program


def _section(markdown: str, heading: str) -> str:
    return markdown.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]


def test_permissions_name_the_resources_each_role_may_touch(passing: SecurityReport, program: Any) -> None:
    table = _section(passing.markdown, "Permissions per role")
    functions = [function.name for function in program.of_type("aws:lambda/function:Function")]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and "---" not in line][
        1:
    ]
    for function in functions:
        roles = {row[0].removeprefix("| ") for row in rows if function in row[2].split(", ")}
        assert len(roles) == 1, f"{function} runs as {roles}"
    jobs = next(t.name for t in program.of_type("aws:dynamodb/table:Table") if t.name.endswith("-jobs"))
    api = next(f for f in functions if f.endswith("-api"))
    api_rows = [row for row in rows if row[2] == api]
    # The API writes jobs as one tenant, through the tenant data role; the state machine shares the
    # table's logical name, so the report adds the type to both.
    tenant_rows = [row for row in rows if row[0].removeprefix("| ").endswith("-tenant-data-role")]
    assert any(
        "dynamodb:PutItem" in row[4] and f"{jobs} (Table)" in row[5].split(", ") for row in tenant_rows
    )
    assert not any(row[3] == "Allow" and "dynamodb:PutItem" in row[4] for row in api_rows)
    assert not any(row[5].startswith("arn:") and ":table/" in row[5] for row in rows), (
        "a table left as an ARN"
    )


def test_data_flows_name_the_state_machine_the_job_rule_starts(passing: SecurityReport, program: Any) -> None:
    flows = _section(passing.markdown, "Data flows")
    machine = program.of_type("aws:sfn/stateMachine:StateMachine")[0].name + " (StateMachine)"
    rule_lines = [line for line in flows.splitlines() if line.startswith("- EventBridge rule")]
    assert rule_lines
    assert all(line.endswith(f"-> {machine}") for line in rule_lines), rule_lines
    for route in program.of_type("aws:apigatewayv2/route:Route"):
        expected = route.inputs.get("authorizationType")
        assert f"- API `{route.inputs['routeKey']}`: authorization {expected}" in flows


def test_every_table_is_erased_and_no_log_group_claims_to_be(passing: SecurityReport, program: Any) -> None:
    stores = _section(passing.markdown, "Encryption, retention and erasure per store")
    rows = {}
    for line in stores.splitlines():
        if line.startswith("| "):
            name, kind, *_ = line.removeprefix("| ").split(" | ")
            rows[name, kind] = line
    for table in program.of_type("aws:dynamodb/table:Table"):
        row = rows[table.name, "DynamoDB table"]
        assert row.endswith("| erased by make erase-tenant |"), row
    for group in program.of_type("aws:cloudwatch/logGroup:LogGroup"):
        row = rows[group.name, "CloudWatch log group"]
        assert f"| {int(group.inputs['retentionInDays'])} days | not erased" in row, row
    assert "What stays after an erasure" in stores


# ---------------------------------------------------------------------- the command


def test_the_command_exits_by_the_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.md"
    passing = results_file(tmp_path, dict.fromkeys(EVERY_TEST, "passed"))
    assert main(["--project", str(REPO_ROOT), "--results", str(passing), "--out", str(out)]) == 0
    assert out.read_text().startswith("# Security review pack:")
    failing = results_file(tmp_path, dict.fromkeys(EVERY_TEST, "passed") | {EVERY_TEST[0]: "failed"})
    assert main(["--project", str(REPO_ROOT), "--results", str(failing), "--out", str(out)]) == 1
    assert "the report FAILED" in capsys.readouterr().err


def test_the_command_refuses_without_results_or_with_an_unknown_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.md"
    assert (
        main(["--project", str(REPO_ROOT), "--results", str(tmp_path / "none.xml"), "--out", str(out)]) == 2
    )
    assert "run `make test` first" in capsys.readouterr().err
    passing = results_file(tmp_path, dict.fromkeys(EVERY_TEST, "passed"))
    args = ["--project", str(REPO_ROOT), "--results", str(passing), "--out", str(out), "--stack", "nope"]
    assert main(args) == 2
    assert "No stack 'nope' in assistant.yaml" in capsys.readouterr().err
    assert not out.exists()


def test_an_arn_belongs_to_the_resource_it_names_whatever_the_order(program: Any) -> None:
    """The job rule's target takes the state machine's ARN as an input, and the mocks answer it back
    as the target's own: the ARN still names the state machine, registered first or last."""
    machine = program.of_type("aws:sfn/stateMachine:StateMachine")[0]
    for order in (program.resources, list(reversed(program.resources))):
        assert resource_names_by_arn(order)[machine.outputs["arn"]] == f"{machine.name} (StateMachine)"
