# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The governance invariants as a Pulumi CrossGuard policy pack: a violation blocks the deploy.

Run it from the project's root with every preview or deploy:

    pulumi preview --policy-pack policypack
    pulumi up --policy-pack policypack

Each policy calls a plain function of ``governed_assistant.infra.invariants``, the same functions
the project's tests run over the program under mocks; this file only adapts them to
CrossGuard. A value Pulumi cannot know during preview (an ARN not yet created) skips the
policy for that resource; ``pulumi up`` checks it again once it is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# assistant.yaml lives in the project, one level up from this pack; the invariants come from
# the governance package requirements.txt pins.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

Check = Callable[[str, str, Mapping[str, Any]], list[str]]


class _Resource(NamedTuple):
    """A stack resource in the shape the stack-wide invariants read (``type``, ``name``, ``inputs``)."""

    type: str
    name: str
    inputs: Mapping[str, Any]


def _summary(check: Callable[..., Any]) -> str:
    function = getattr(check, "func", check)  # functools.partial keeps the function in .func
    return (function.__doc__ or function.__name__).strip().splitlines()[0]


def _resource_policy(name: str, check: Check) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for violation in check(args.resource_type, args.name, args.props):
            report_violation(violation, None)

    return ResourceValidationPolicy(name=name, description=_summary(check), validate=validate)


def _stack_policy(name: str, check: Callable[[list[_Resource]], list[str]]) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [_Resource(r.resource_type, r.name, r.props) for r in args.resources]
        for violation in check(resources):
            report_violation(violation, None)

    return StackValidationPolicy(name=name, description=_summary(check), validate=validate)


def policies(spec_path: Path = PROJECT_ROOT / "assistant.yaml") -> list[Policy]:
    """One policy per invariant, bound to the project's spec."""
    from governed_assistant import load_spec, resource_checks, stack_checks

    spec = load_spec(spec_path)
    built: list[Policy] = [_resource_policy(name, check) for name, check in resource_checks(spec).items()]
    built += [_stack_policy(name, check) for name, check in stack_checks().items()]
    return built


if __name__ == "__main__":
    PolicyPack(
        name="governed-assistant",
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=policies(),
    )
