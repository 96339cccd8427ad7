"""run_once runs an action at most once per job and key on Powertools idempotency (moto DynamoDB)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from governed_assistant.runtime.idempotency import (
    ActionInProgressError,
    IdempotencyStoreError,
    persistence_layer,
    run_once,
)
from governed_assistant.runtime.jobs.tables import TableNames


@pytest.fixture
def persistence(dynamodb: Any) -> BasePersistenceLayer:
    return persistence_layer(boto3_client=dynamodb)


class Action:
    """Counts its runs; fails the first ``failures`` of them."""

    def __init__(self, failures: int = 0) -> None:
        self.runs = 0
        self.failures = failures

    def __call__(self) -> dict[str, Any]:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"upstream timeout, run={self.runs}")
        return {"status": "succeeded", "run": self.runs, "amount": 12.5}


@dataclass
class FakeLambdaContext:
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_run_once_duplicate_delivery_executes_once(persistence: BasePersistenceLayer) -> None:
    """A second delivery of the same job and key gets the first result without running again."""
    action = Action()
    first = run_once("job-1", "execute:refund", action, persistence=persistence)
    second = run_once("job-1", "execute:refund", action, persistence=persistence)
    assert action.runs == 1
    assert first == second == {"status": "succeeded", "run": 1, "amount": 12.5}


@pytest.mark.parametrize(
    ("job_id", "key"),
    [
        pytest.param("job-2", "execute:refund", id="other-job"),
        pytest.param("job-1", "compensate:refund", id="other-step"),
        pytest.param("job-1", "execute:cancel", id="other-action"),
    ],
)
def test_run_once_different_job_or_key_executes_again(
    persistence: BasePersistenceLayer, job_id: str, key: str
) -> None:
    """Another job, step or action is another run."""
    action = Action()
    run_once("job-1", "execute:refund", action, persistence=persistence)
    assert run_once(job_id, key, action, persistence=persistence)["run"] == 2


def test_run_once_failed_execution_can_be_retried(persistence: BasePersistenceLayer, dynamodb: Any) -> None:
    """When the action raises, its record is deleted, so the retry runs it and succeeds."""
    action = Action(failures=1)
    with pytest.raises(RuntimeError, match="run=1"):
        run_once("job-1", "execute:refund", action, persistence=persistence)
    assert dynamodb.scan(TableName=TableNames.resolve().idempotency)["Items"] == []
    assert run_once("job-1", "execute:refund", action, persistence=persistence)["run"] == 2
    assert run_once("job-1", "execute:refund", action, persistence=persistence)["run"] == 2
    assert action.runs == 2


def test_run_once_duplicate_while_in_progress_raises_in_progress(persistence: BasePersistenceLayer) -> None:
    """A duplicate that arrives while the first run is still going is refused with a retryable error."""
    inner = Action()

    def outer() -> dict[str, Any]:
        with pytest.raises(ActionInProgressError, match="job_id=job-1 key=execute:refund"):
            run_once("job-1", "execute:refund", inner, persistence=persistence)
        return {"status": "succeeded"}

    assert run_once("job-1", "execute:refund", outer, persistence=persistence) == {"status": "succeeded"}
    assert inner.runs == 0


def test_run_once_record_has_stable_id_and_ttl(
    persistence: BasePersistenceLayer, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record id does not depend on the Lambda function's name, and it expires by TTL."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "assistant-execute-v2")
    run_once("job-1", "execute:refund", Action(), persistence=persistence)
    [item] = dynamodb.scan(TableName=TableNames.resolve().idempotency)["Items"]
    assert item["id"]["S"].startswith("governed#")
    assert "assistant-execute" not in item["id"]["S"]
    assert (item["status"]["S"], "N") == ("COMPLETED", next(iter(item["expiration"])))


def test_run_once_lambda_context_is_used_without_warning(persistence: BasePersistenceLayer) -> None:
    """Inside Lambda the handler's context bounds the in-progress record (and no warning is raised)."""
    action = Action()
    context: Any = FakeLambdaContext()
    run_once("job-1", "execute:refund", action, persistence=persistence, lambda_context=context)
    run_once("job-1", "execute:refund", action, persistence=persistence, lambda_context=context)
    assert action.runs == 1


def test_run_once_missing_table_raises_store_error_without_running(dynamodb: Any) -> None:
    """When the table cannot be written, the action does not run and the error names the job."""
    action = Action()
    broken = persistence_layer("no-such-table", boto3_client=dynamodb)
    with pytest.raises(IdempotencyStoreError, match="job_id=job-1 key=execute:refund"):
        run_once("job-1", "execute:refund", action, persistence=broken)
    assert action.runs == 0


@pytest.mark.parametrize(
    ("job_id", "key"), [pytest.param("", "execute", id="no-job"), pytest.param("job-1", "", id="no-key")]
)
def test_run_once_empty_identity_raises_value_error(
    persistence: BasePersistenceLayer, job_id: str, key: str
) -> None:
    """Without a job id and a key there is nothing to be idempotent on, so nothing runs."""
    with pytest.raises(ValueError, match="needs a job id and a key"):
        run_once(job_id, key, Action(), persistence=persistence)


@pytest.mark.parametrize(
    ("explicit", "environment", "expected"),
    [
        pytest.param("mine", "from-env", "mine", id="explicit-wins"),
        pytest.param(None, "from-env", "from-env", id="environment"),
        pytest.param(None, None, "governed-idempotency", id="default"),
    ],
)
def test_persistence_layer_table_name_resolves_argument_env_default(
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    explicit: str | None,
    environment: str | None,
    expected: str,
) -> None:
    """The table name comes from the argument, then GOVERNED_IDEMPOTENCY_TABLE, then the default."""
    if environment is None:
        monkeypatch.delenv("GOVERNED_IDEMPOTENCY_TABLE", raising=False)
    else:
        monkeypatch.setenv("GOVERNED_IDEMPOTENCY_TABLE", environment)
    assert persistence_layer(explicit, boto3_client=dynamodb).table_name == expected
