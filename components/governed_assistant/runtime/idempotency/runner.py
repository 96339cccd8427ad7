"""Run an action at most once per job and key, with Powertools idempotency on DynamoDB.

The first delivery runs ``fn`` and stores its (JSON) result; a duplicate delivery gets that
result back without running ``fn``. If ``fn`` raises, Powertools deletes the record, so a retry
runs it again. In Lambda pass the handler's context (its remaining time bounds how long an
in-progress record blocks duplicates); outside Lambda a fixed budget stands in for it, so
Powertools has no reason to warn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from governed_assistant.runtime.idempotency.constants import (
    DEFAULT_EXPIRES_AFTER_SECONDS,
    KEY_PREFIX,
    LOCAL_IN_PROGRESS_BUDGET_MS,
    idempotency_table_name,
)
from governed_assistant.runtime.idempotency.exceptions import ActionInProgressError, IdempotencyStoreError

ActionResultData = dict[str, Any]


@dataclass(frozen=True)
class _FixedBudget:
    """Stands in for a Lambda context outside Lambda: a constant remaining time."""

    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def persistence_layer(table_name: str | None = None, *, boto3_client: Any = None) -> DynamoDBPersistenceLayer:
    """Powertools' DynamoDB persistence on the idempotency table (argument, env var, default).

    Create it once per process (module level in a handler) and pass it to every ``run_once``.
    """
    return DynamoDBPersistenceLayer(table_name=idempotency_table_name(table_name), boto3_client=boto3_client)


def run_once(
    job_id: str,
    key: str,
    fn: Callable[[], ActionResultData],
    *,
    persistence: BasePersistenceLayer,
    lambda_context: LambdaContext | None = None,
) -> ActionResultData:
    """``fn()``'s result, running ``fn`` at most once for ``(job_id, key)`` (``key``: action and step).

    ``fn`` must return a JSON-serializable dict; a duplicate gets the stored copy. Raises
    ``ActionInProgressError`` while a first run is still going, ``IdempotencyStoreError`` when the
    table fails (``fn`` did not run), and whatever ``fn`` raised (its record is then deleted).
    """
    if not job_id or not key:
        raise ValueError(f"run_once needs a job id and a key, job_id={job_id!r} key={key!r}")
    context = lambda_context or cast(LambdaContext, _FixedBudget(LOCAL_IN_PROGRESS_BUDGET_MS))
    config = IdempotencyConfig(
        expires_after_seconds=DEFAULT_EXPIRES_AFTER_SECONDS,
        raise_on_no_idempotency_key=True,
        lambda_context=context,
    )

    def _run(identity: dict[str, str]) -> ActionResultData:
        return fn()

    # Applied as a call, not a decorator: Powertools' decorator is untyped.
    run = cast(
        Callable[..., ActionResultData],
        idempotent_function(
            _run,
            data_keyword_argument="identity",
            persistence_store=persistence,
            config=config,
            key_prefix=KEY_PREFIX,
        ),
    )
    try:
        result = run(identity={"jobId": job_id, "key": key})
    except IdempotencyAlreadyInProgressError as error:
        raise ActionInProgressError(job_id, key) from error
    except IdempotencyPersistenceLayerError as error:
        raise IdempotencyStoreError(job_id, key, type(error.__cause__ or error).__name__) from error
    return result
