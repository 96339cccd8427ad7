"""The security review pack: ``build_report`` evaluates the project's program under the SDK's
mocks, reads its last test run, and renders the document a reviewer reads, with its verdict.

The verdict is strict: a control whose tests failed, or did not all run, fails the report, and
so does a broken governance invariant. A skipped test counts as run (the spec has nothing for it:
no retrieval, say) and the report shows pytest's reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from unittest import mock

import pulumi

from governed_assistant.erasure.targets import ErasureTargets, retained
from governed_assistant.infra.invariants import ResourceLike, resource_checks, stack_checks
from governed_assistant.security.controls import CONTROLS, LAYERS, Control
from governed_assistant.security.exceptions import SecurityReportError
from governed_assistant.security.inventory import permission_matrix, resource_names_by_arn, stores
from governed_assistant.security.results import TestResult, read_results
from governed_assistant.spec.loader import load_spec
from governed_assistant.spec.model import AssistantSpec

Verdict = Literal["passed", "failed", "not run", "not applicable"]

# Stands in for build/layer.zip, as the project's own tests/test_infra.py does: the report needs
# what the program declares, not the packages.
LAYER_ARN: Final = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"

# Each sentence here is about this template's own tests and local stack; keep them true.
VERIFIED_HERE: Final = (
    "Cedar policies are evaluated by the Cedar engine (cedarpy), against the spec's schema.",
    "Tokens are real JWTs signed with RSA keys generated for the test run, verified as deployed.",
    "The end-to-end scenarios run the real handlers and the real state-machine definition on a local "
    "stack (moto's AWS services, a scripted model, a local guardrail) over HTTP.",
    "The Pulumi program is evaluated under the SDK's mocks, and the governance invariants the policy "
    "pack enforces at deploy time are checked over what it would create.",
)
NOT_VERIFIED_HERE: Final = (
    "A real `pulumi up`: the mocks answer for AWS, so service-side validation happens at deploy time "
    "(the policy pack runs there too).",
    "IAM's evaluation of these policies: the permission matrix is what the program declares, not what "
    "IAM decided.",
    "The model's behaviour and Bedrock Guardrails' own filters: locally a scripted model and a local "
    "guardrail stand in (the guardrail's configuration is checked against the spec).",
    "API Gateway's JWT authorizer: locally a stand-in verifies the same issuer, audience and claims.",
)


@dataclass(frozen=True)
class ControlResult:
    control: Control
    verdict: Verdict
    tests: tuple[TestResult, ...]
    missing: tuple[str, ...]


@dataclass
class SecurityReport:
    """The document, and what made its verdict."""

    markdown: str
    controls: list[ControlResult]
    invariants: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return [result.control.id for result in self.controls if result.verdict == "failed"]

    @property
    def not_run(self) -> list[str]:
        return [result.control.id for result in self.controls if result.verdict == "not run"]

    @property
    def broken_invariants(self) -> list[str]:
        return [name for name, violations in self.invariants.items() if violations]

    @property
    def ok(self) -> bool:
        return not (self.failed or self.not_run or self.broken_invariants)


def judge(control: Control, results: Mapping[str, TestResult]) -> ControlResult:
    """A control's verdict from its tests' results: failed if any failed; not run if any named test
    has no result; not applicable if every one was skipped; else passed."""
    found: list[TestResult] = []
    missing: list[str] = []
    for test in control.tests:
        cases = [
            result for node_id, result in results.items() if node_id == test or node_id.startswith(test + "[")
        ]
        if cases:
            found.extend(cases)
        else:
            missing.append(test)
    verdict: Verdict
    if any(result.outcome == "failed" for result in found):
        verdict = "failed"
    elif missing:
        verdict = "not run"
    elif all(result.outcome == "skipped" for result in found):
        verdict = "not applicable"
    else:
        verdict = "passed"
    return ControlResult(control, verdict, tuple(found), tuple(missing))


def evaluate_program(project_root: Path, spec: AssistantSpec, stack: str) -> tuple[list[Any], dict[str, Any]]:
    """The resources the program registers for ``stack`` under mocks, and its exported outputs."""
    from governed_assistant.infra.testing import run_program  # loads Pulumi's mocks only here

    exports: dict[str, Any] = {}

    def record(name: str, value: Any) -> None:
        pulumi.Output.from_input(value).apply(lambda resolved: exports.__setitem__(name, resolved))

    with mock.patch.object(pulumi, "export", record):
        run = run_program(
            project_root, project=spec.slug, stack=stack, config={"dependenciesLayerArn": LAYER_ARN}
        )
    return run.resources, exports


def check_invariants(resources: Sequence[ResourceLike], spec: AssistantSpec) -> dict[str, list[str]]:
    """Each governance invariant by name, with its violations over ``resources`` (empty: it holds)."""
    found = {
        name: [
            violation
            for resource in resources
            for violation in check(resource.type, resource.name, resource.inputs)
        ]
        for name, check in resource_checks(spec).items()
    }
    found |= {name: check(resources) for name, check in stack_checks().items()}
    return found


def build_report(project_root: Path, results_path: Path, stack: str | None = None) -> SecurityReport:
    """The review pack for the project at ``project_root``, from the test run at ``results_path``."""
    results = read_results(results_path, project_root)
    spec = load_spec(project_root / "assistant.yaml")
    stack = stack or spec.stacks[0]
    if stack not in spec.stacks:
        raise SecurityReportError(
            f"No stack {stack!r} in assistant.yaml (its stacks: {', '.join(spec.stacks)}); "
            "name one of them, e.g. STACK=" + spec.stacks[0]
        )
    resources, exports = evaluate_program(project_root, spec, stack)
    controls = [judge(control, results) for control in CONTROLS]
    invariants = check_invariants(resources, spec)
    report = SecurityReport("", controls, invariants)
    report.markdown = _render(spec, stack, results_path, report, resources, exports)
    return report


# ---------------------------------------------------------------------- rendering


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _render(
    spec: AssistantSpec,
    stack: str,
    results_path: Path,
    report: SecurityReport,
    resources: Sequence[Any],
    exports: Mapping[str, Any],
) -> str:
    counts = ", ".join(
        f"{sum(result.verdict == verdict for result in report.controls)} {verdict}"
        for verdict in ("passed", "failed", "not run", "not applicable")
    )
    lines = [
        f"# Security review pack: {spec.name}",
        "",
        f"Stack `{stack}`; `assistant.yaml`: pattern {spec.pattern}, mode {spec.mode}, "
        f"{len(spec.actions)} actions, retrieval {spec.retrieval.backend}, "
        f"identity {spec.identity.provider}. Test results: `{results_path}`.",
        "",
        f"**Verdict: {'PASSED' if report.ok else 'FAILED'}.** Controls: {counts}. "
        f"Invariants broken: {len(report.broken_invariants)} of {len(report.invariants)}.",
        "",
    ]
    lines += _data_flows(resources)
    lines += _controls(report.controls)
    lines += [
        "## Governance invariants",
        "",
        "Checked over the program, as the policy pack does at deploy time:",
        "",
    ]
    for name, violations in report.invariants.items():
        lines.append(f"- `{name}`: " + ("holds" if not violations else "BROKEN: " + "; ".join(violations)))
    lines.append("")
    lines += _permissions(resources)
    lines += _stores(resources, exports)
    lines += ["## What is verified here, and what is not", "", "Verified without AWS:", ""]
    lines += [f"- {sentence}" for sentence in VERIFIED_HERE]
    lines += ["", "Not verified without AWS:", ""]
    lines += [f"- {sentence}" for sentence in NOT_VERIFIED_HERE]
    lines.append("")
    return "\n".join(lines)


def _of_type(resources: Sequence[Any], type_: str) -> list[Any]:
    return [resource for resource in resources if resource.type == type_]


def _data_flows(resources: Sequence[Any]) -> list[str]:
    names = {resource.id: resource.name for resource in resources if getattr(resource, "id", "")}
    names |= resource_names_by_arn(resources)
    lines = ["## Data flows", "", "Where requests enter, and every hand-off the program wires:", ""]
    routes = sorted(
        _of_type(resources, "aws:apigatewayv2/route:Route"), key=lambda route: route.inputs["routeKey"]
    )
    for route in routes:
        lines.append(
            f"- API `{route.inputs['routeKey']}`: authorization {route.inputs.get('authorizationType')}"
        )
    for target in _of_type(resources, "aws:cloudwatch/eventTarget:EventTarget"):
        rule, arn = target.inputs.get("rule"), target.inputs.get("arn")
        lines.append(f"- EventBridge rule {names.get(rule, rule)} -> {names.get(arn, arn)}")
    for forward in _of_type(resources, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"):
        group, arn, pattern = (
            forward.inputs.get(key) for key in ("logGroup", "destinationArn", "filterPattern")
        )
        lines.append(f"- log group `{group}` -> {names.get(arn, arn)}, lines matching `{pattern}`")
    for subscription in _of_type(resources, "aws:sns/topicSubscription:TopicSubscription"):
        topic = subscription.inputs.get("topic")
        lines.append(
            f"- SNS topic {names.get(topic, topic)} -> {subscription.inputs.get('protocol')}, "
            f"filter `{subscription.inputs.get('filterPolicy')}`"
        )
    lines.append("")
    return lines


def _controls(results: Sequence[ControlResult]) -> list[str]:
    lines = ["## Tenant-isolation and governance controls", ""]
    for layer in LAYERS:
        lines += [f"### {layer.capitalize()}", ""]
        for result in (result for result in results if result.control.layer == layer):
            lines.append(f"- **{result.control.id}**: {result.control.claim} Result: **{result.verdict}**.")
            for test in result.tests:
                detail = f" ({test.detail})" if test.detail else ""
                lines.append(f"  - `{test.node_id}`: {test.outcome}{detail}")
            lines += [f"  - `{test}`: not in the test run" for test in result.missing]
        lines.append("")
    return lines


def _permissions(resources: Sequence[Any]) -> list[str]:
    lines = [
        "## Permissions per role",
        "",
        "Every statement of every role's inline policies; resources by their logical names.",
        "",
        _row("Role", "Assumed by", "Used by", "Effect", "Actions", "Resources", "Conditions"),
        _row(*["---"] * 7),
    ]
    for entry in permission_matrix(resources):
        who = (", ".join(entry.assumed_by), ", ".join(entry.used_by))
        if not entry.grants:
            lines.append(_row(entry.role, *who, "", "(none)", "", ""))
        for grant in entry.grants:
            lines.append(
                _row(
                    entry.role,
                    *who,
                    grant.effect,
                    ", ".join(grant.actions),
                    ", ".join(grant.resources),
                    ", ".join(grant.conditions),
                )
            )
    lines.append("")
    return lines


def _stores(resources: Sequence[Any], exports: Mapping[str, Any]) -> list[str]:
    erasure = exports.get("erasure") or {}
    lines = [
        "## Encryption, retention and erasure per store",
        "",
        _row("Store", "Kind", "Encryption at rest", "Retention", "Erasure (`make erase-tenant`)"),
        _row(*["---"] * 5),
    ]
    for store in stores(resources, erasure):
        lines.append(_row(store.name, store.kind, store.encryption, store.retention, store.erasure))
    lines += ["", "What stays after an erasure, and for how long:", ""]
    kept = retained(ErasureTargets.from_outputs({"erasure": erasure})) if erasure else []
    lines += [f"- {note}" for note in kept] or ["- nothing: the stack exports no erasure targets"]
    lines.append("")
    return lines
