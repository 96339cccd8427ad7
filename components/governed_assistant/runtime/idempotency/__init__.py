"""Idempotency: run each action at most once per job, however often its event is delivered.

persistence = persistence_layer()                      # once, at module level
result = run_once(job_id, f"execute:{action}", lambda: execute(request).model_dump(mode="json"),
                  persistence=persistence, lambda_context=context)
"""

from __future__ import annotations

from governed_assistant.runtime.idempotency.constants import DEFAULT_IDEMPOTENCY_TABLE, idempotency_table_name
from governed_assistant.runtime.idempotency.exceptions import ActionInProgressError, IdempotencyStoreError
from governed_assistant.runtime.idempotency.runner import ActionResultData, persistence_layer, run_once

__all__ = [
    "DEFAULT_IDEMPOTENCY_TABLE",
    "ActionInProgressError",
    "ActionResultData",
    "IdempotencyStoreError",
    "idempotency_table_name",
    "persistence_layer",
    "run_once",
]
