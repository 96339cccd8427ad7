"""The job state machine, executed for real by moto's Step Functions interpreter.

Every Lambda task reaches the local Invoke endpoint (``AWS_ENDPOINT_URL_LAMBDA``), where
scripted step handlers answer; the definition is exactly the one the execution layer deploys.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from governed_assistant.infra.asl import build_definition, render_definition, run_state, undo_state
from governed_assistant.infra.steps import definition_steps
from governed_assistant.local.lambda_endpoint import LambdaEndpoint, serve_lambda
from governed_assistant.spec import AssistantSpec, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.wire import APPROVAL_REJECTED_ERROR
from moto import mock_aws

from tests.conftest import PRESETS, answer_mode_document, preset_document

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTIONS = ("reason", "gate", "approval", "execute", "compensate", "guardrail_output", "respond")
CONTEXT = {"tenantId": "acme", "userId": "alice", "roles": ["support-agent"], "requestId": "r-1"}


def fast_spec(preset: str) -> AssistantSpec:
    """The preset with retries shortened, so a retry walk takes seconds, not minutes."""
    document = preset_document(preset)
    for action in document["actions"]:
        action["retry"] = {
            "max_attempts": 2,
            "interval_seconds": 1,
            "backoff_rate": 1.0,
            "max_delay_seconds": 1,
        }
    return parse_spec(render_spec_yaml(document))


@dataclass
class Script:
    """What each scripted step answers for one job."""

    proposal: dict[str, Any] | None
    outcome: str = "allow"
    failures: int = 0
    fail_always: bool = False


@dataclass
class StepFunctions:
    """The scripted handlers' shared state: scripts by job, what they saw."""

    scripts: dict[str, Script] = field(default_factory=dict)
    attempts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    tokens: dict[str, str] = field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    compensated: list[dict[str, Any]] = field(default_factory=list)

    def handlers(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FUNCTIONS}

    def reason(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        proposal = self.scripts[event["jobId"]].proposal
        if proposal is None:
            return {"kind": "answer", "text": f"answer to {event['message']}"}
        return {"kind": "proposal", "proposal": proposal}

    def gate(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        outcome = self.scripts[event["jobId"]].outcome
        return {"outcome": outcome, "risk": 0.3, "reasons": [f"scripted {outcome}"], "policies": []}

    def approval(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        self.tokens[event["jobId"]] = event["taskToken"]
        return {"requested": True}

    def execute(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        script = self.scripts[event["jobId"]]
        key = (event["jobId"], event["step"] or event["action"])
        self.attempts[key] += 1
        if script.fail_always or self.attempts[key] <= script.failures:
            raise ConnectionError(f"downstream refused {key}")
        return {"status": "succeeded", "summary": f"{key[1]} done", "completed": sorted(event["results"])}

    def compensate(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        self.compensated.append(event)
        return {"status": "succeeded", "summary": "undone"}

    def guardrail_output(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        return {"action": "NONE", "text": "screened"}

    def respond(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        self.responses[event["state"]["jobId"]] = event
        return {"recorded": event["outcome"]}


@pytest.fixture
def steps() -> StepFunctions:
    return StepFunctions()


@pytest.fixture
def aws(steps: StepFunctions, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, LambdaEndpoint]]:
    """moto with state machines executing, and Lambda served by the scripted handlers."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with serve_lambda(steps.handlers()) as (endpoint, url):
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", url)
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield boto3.client("stepfunctions", region_name=REGION), endpoint


def deploy(client: Any, spec: AssistantSpec, approval_timeout_seconds: int = 60) -> str:
    definition = build_definition(spec, approval_timeout_seconds=approval_timeout_seconds)
    arns = {
        placeholder: f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{step}"
        for placeholder, step in definition_steps(
            definition, external=frozenset({"${ReasonFunctionArn}"})
        ).items()
    }
    arns["ReasonFunctionArn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:reason"
    machine = client.create_state_machine(
        name=f"{spec.slug}-jobs",
        definition=render_definition(definition, arns),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/states",
        type="STANDARD",
    )
    return str(machine["stateMachineArn"])


def start(client: Any, machine: str, job_id: str) -> str:
    detail = {"jobId": job_id, "context": CONTEXT, "message": "please help"}
    return str(
        client.start_execution(stateMachineArn=machine, name=job_id, input=json.dumps(detail))["executionArn"]
    )


def wait(
    client: Any, execution: str, until: tuple[str, ...] = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = str(client.describe_execution(executionArn=execution)["status"])
        if status in until:
            return status
        time.sleep(0.05)
    raise AssertionError(f"execution {execution} still running after 60 s")


def wait_for_token(steps: StepFunctions, job_id: str) -> str:
    deadline = time.monotonic() + 30
    while job_id not in steps.tokens:
        assert time.monotonic() < deadline, "the approval task was never invoked"
        time.sleep(0.05)
    return steps.tokens[job_id]


def entered(client: Any, execution: str) -> list[str]:
    """The states the execution entered, in order."""
    events = client.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def proposal(action: str) -> dict[str, Any]:
    return {"actionType": action, "resourceId": "res-1", "tenantId": "acme", "parameters": {}}


def first_action(spec: AssistantSpec, *, reversible: bool | None = None) -> str:
    for action in spec.actions:
        if reversible is None or action.reversible == reversible:
            return action.name
    pytest.skip(f"preset {spec.pattern} has no action with reversible={reversible}")


@pytest.mark.parametrize("preset", PRESETS)
def test_state_machine_allowed_proposal_runs_the_action_and_completes(
    aws: Any, steps: StepFunctions, preset: str
) -> None:
    """An allowed proposal runs every step of its action, then the output guardrail, then completes."""
    client, _ = aws
    spec = fast_spec(preset)
    action = spec.actions[-1]
    steps.scripts["job-allow"] = Script(proposal(action.name))
    execution = start(client, deploy(client, spec), "job-allow")
    assert wait(client, execution) == "SUCCEEDED"
    path = entered(client, execution)
    runs = [run_state(action.name, step) for step in action.steps] or [run_state(action.name)]
    assert path == ["Begin", "Reason", "ProposedAction", "Gate", "RouteDecision", "ChooseAction", *runs,
                    "ScreenOutput", "RecordCompletion"]  # fmt: skip
    response = steps.responses["job-allow"]
    assert response["outcome"] == "complete"
    assert set(response["state"]["results"]) == set(action.steps or [action.name])


@pytest.mark.parametrize(
    ("outcome", "recorder"),
    [pytest.param("deny", "RecordDenial", id="deny"), pytest.param("shadow", "RecordShadow", id="shadow"),
     pytest.param("bogus", "RecordDenial", id="unknown-outcome-denies")],
)  # fmt: skip
def test_state_machine_denied_or_shadowed_proposal_never_executes(
    aws: Any, steps: StepFunctions, outcome: str, recorder: str
) -> None:
    """A denial or a shadow decision is recorded and no executor is ever invoked."""
    client, endpoint = aws
    spec = fast_spec("bounded-action")
    steps.scripts["job-1"] = Script(proposal(spec.actions[0].name), outcome=outcome)
    execution = start(client, deploy(client, spec), "job-1")
    assert wait(client, execution) == "SUCCEEDED"
    assert entered(client, execution)[-1] == recorder
    assert endpoint.calls("execute") == []


def test_state_machine_plain_answer_skips_the_gate(aws: Any, steps: StepFunctions) -> None:
    """A plain answer goes straight to the output guardrail: nothing to gate, nothing to run."""
    client, endpoint = aws
    steps.scripts["job-answer"] = Script(None)
    execution = start(client, deploy(client, fast_spec("bounded-action")), "job-answer")
    assert wait(client, execution) == "SUCCEEDED"
    assert entered(client, execution) == [
        "Begin",
        "Reason",
        "ProposedAction",
        "ScreenOutput",
        "RecordCompletion",
    ]
    assert endpoint.calls("gate") == []


def test_state_machine_approved_proposal_waits_then_runs(aws: Any, steps: StepFunctions) -> None:
    """An approval waits on its task token; the approver's SendTaskSuccess lets the action run."""
    client, endpoint = aws
    spec = fast_spec("bounded-action")
    action = first_action(spec)
    steps.scripts["job-approve"] = Script(proposal(action), outcome="approve")
    execution = start(client, deploy(client, spec), "job-approve")
    token = wait_for_token(steps, "job-approve")
    assert client.describe_execution(executionArn=execution)["status"] == "RUNNING"
    assert endpoint.calls("execute") == []
    client.send_task_success(taskToken=token, output=json.dumps({"approved": True, "approverId": "bob"}))
    assert wait(client, execution) == "SUCCEEDED"
    assert steps.responses["job-approve"]["state"]["approval"] == {"approved": True, "approverId": "bob"}
    assert len(endpoint.calls("execute")) >= 1


def test_state_machine_rejected_approval_is_recorded_and_never_runs(aws: Any, steps: StepFunctions) -> None:
    """An approver's rejection (SendTaskFailure ApprovalRejected) ends the job rejected."""
    client, endpoint = aws
    spec = fast_spec("bounded-action")
    steps.scripts["job-reject"] = Script(proposal(first_action(spec)), outcome="approve")
    execution = start(client, deploy(client, spec), "job-reject")
    token = wait_for_token(steps, "job-reject")
    client.send_task_failure(taskToken=token, error=APPROVAL_REJECTED_ERROR, cause="not today")
    assert wait(client, execution) == "SUCCEEDED"
    assert entered(client, execution)[-1] == "RecordRejection"
    assert steps.responses["job-reject"]["outcome"] == "rejected"
    assert endpoint.calls("execute") == []


def test_state_machine_unanswered_approval_expires_as_a_denial(aws: Any, steps: StepFunctions) -> None:
    """Silence is not consent: an approval nobody answers times out and the job is not run."""
    client, endpoint = aws
    spec = fast_spec("bounded-action")
    steps.scripts["job-expire"] = Script(proposal(first_action(spec)), outcome="approve")
    execution = start(client, deploy(client, spec, approval_timeout_seconds=1), "job-expire")
    assert wait(client, execution) == "SUCCEEDED"
    assert entered(client, execution)[-1] == "RecordExpiry"
    assert steps.responses["job-expire"]["outcome"] == "expired"
    assert endpoint.calls("execute") == []


def test_state_machine_failing_executor_is_retried_then_succeeds(aws: Any, steps: StepFunctions) -> None:
    """A transient failure is retried with backoff, and the job completes on the next attempt."""
    client, _ = aws
    spec = fast_spec("bounded-action")
    action = first_action(spec)
    steps.scripts["job-retry"] = Script(proposal(action), failures=1)
    execution = start(client, deploy(client, spec), "job-retry")
    assert wait(client, execution) == "SUCCEEDED"
    assert steps.attempts[("job-retry", action)] == 2
    assert steps.responses["job-retry"]["outcome"] == "complete"
    assert steps.compensated == []


def test_state_machine_exhausted_retries_compensate_and_fail(aws: Any, steps: StepFunctions) -> None:
    """When retries run out, the reversible action is compensated and the job fails, nothing half-done."""
    client, _ = aws
    spec = fast_spec("bounded-action")
    action = first_action(spec, reversible=True)
    steps.scripts["job-undo"] = Script(proposal(action), fail_always=True)
    execution = start(client, deploy(client, spec), "job-undo")
    assert wait(client, execution) == "FAILED"
    path = entered(client, execution)
    assert path[-3:] == [undo_state(action), "RecordFailure", "JobFailed"]
    assert steps.attempts[("job-undo", action)] == 1 + spec.actions[0].retry.max_attempts
    (undo,) = steps.compensated
    assert undo["action"] == action
    assert "ConnectionError" in json.dumps(undo["error"])
    assert steps.responses["job-undo"]["outcome"] == "failed"


def test_state_machine_failed_workflow_step_compensates_completed_steps(
    aws: Any, steps: StepFunctions
) -> None:
    """A multi-step workflow failing at its second step tells compensation which steps completed."""
    client, endpoint = aws
    spec = fast_spec("workflow-aware")
    action = next((a for a in spec.actions if len(a.steps) >= 2 and a.reversible), None)
    if action is None:
        pytest.skip("workflow-aware preset has no reversible multi-step action")
    steps.scripts["job-steps"] = Script(proposal(action.name))

    def fail_second(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["step"] == action.steps[1]:
            raise ConnectionError("second step down")
        return steps.execute(event, context)

    endpoint.handlers = {**endpoint.handlers, "execute": fail_second}
    execution = start(client, deploy(client, spec), "job-steps")
    assert wait(client, execution) == "FAILED"
    (undo,) = steps.compensated
    assert list(undo["results"]) == [action.steps[0]]


def test_state_machine_answer_mode_has_no_gate_states() -> None:
    """An answer-mode assistant's machine has no gate, approval or action states at all."""
    document = preset_document("bounded-action")
    document["mode"] = "answer"
    document["actions"] = []
    document["roles"] = {
        role: text
        for role, text in document["roles"].items()
        if role in document["approver_roles"] + document["admin_roles"]
    }
    definition = build_definition(parse_spec(render_spec_yaml(document)))
    assert "Gate" not in definition["States"]
    assert definition["States"]["Reason"]["Next"] == "ScreenOutput"


def test_render_definition_unresolved_placeholder_raises() -> None:
    """A placeholder with no ARN fails rendering instead of deploying half-resolved."""
    with pytest.raises(KeyError, match="GateFunctionArn"):
        render_definition({"States": {"A": {"Resource": "${GateFunctionArn}"}}}, {})


def test_build_definition_is_pure() -> None:
    """The same spec gives the same definition, byte for byte."""
    spec = fast_spec("workflow-aware")
    assert json.dumps(build_definition(spec)) == json.dumps(build_definition(spec))


def _reachable(definition: dict[str, Any]) -> set[str]:
    """Every state a walk from StartAt can reach through Next, Default, Choices and Catch."""
    states = definition["States"]
    seen: set[str] = set()
    pending = [definition["StartAt"]]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        targets = [state.get("Next"), state.get("Default")]
        targets += [choice["Next"] for choice in state.get("Choices", [])]
        targets += [catch["Next"] for catch in state.get("Catch", [])]
        pending += [target for target in targets if target]
    return seen


def _answer_spec() -> AssistantSpec:
    return parse_spec(render_spec_yaml(answer_mode_document()))


@pytest.mark.parametrize(
    "spec",
    [
        *(pytest.param(preset, id=preset) for preset in PRESETS),
        pytest.param("answer", id="answer-mode-no-actions"),
    ],
)
def test_every_state_is_reachable_and_every_target_exists(spec: str) -> None:
    """CreateStateMachine refuses an unreachable state (MISSING_TRANSITION_TARGET) or a missing target."""
    definition = build_definition(_answer_spec() if spec == "answer" else fast_spec(spec))
    reachable = _reachable(definition)
    assert reachable <= set(definition["States"]), "a transition names a state that does not exist"
    assert set(definition["States"]) - reachable == set()


def test_state_names_stay_within_80_characters_for_the_longest_names() -> None:
    """The States Language caps a state's name at 80 characters; a 64-character action with 64-character
    steps (the spec's limits) still gets unique names within it, and every transition still lands."""
    document = preset_document("workflow-aware")
    longest = document["actions"][0]
    longest |= {"name": "a" * 64, "steps": ["s" * 64, "s" * 63 + "t"], "reversible": True}
    twin = {**longest, "name": "a" * 63 + "b"}  # the same 63-character prefix, told apart by its hash
    document["actions"] = [longest, twin]
    definition = build_definition(parse_spec(render_spec_yaml(document)))
    names = list(definition["States"])
    assert max(len(name) for name in names) <= 80
    assert len([name for name in names if name.startswith(("Run ", "Undo "))]) == 2 * 3  # 2 steps + undo
    assert _reachable(definition) == set(names)
