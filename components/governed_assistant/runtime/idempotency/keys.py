"""What an action run is remembered by: its key, and the record id Powertools stores it under.

The execute and compensate steps key each run by step, tenant, action and (for a workflow) step
name; ``run_once`` hands ``{"jobId", "key"}`` to Powertools, which stores the run under
``<KEY_PREFIX>#<md5 of that dict as sorted JSON>``. Erasure computes the same ids for a tenant's
jobs (the record itself names no tenant), so both sides build them here.
"""

from __future__ import annotations

import hashlib
import json

from governed_assistant.runtime.idempotency.constants import KEY_PREFIX


def run_key(step: str, tenant_id: str, action: str, part: str | None = None) -> str:
    """``<step>:<tenant>:<action>[:<part>]``: one run of an action (or of one of its steps) for a tenant."""
    return ":".join(piece for piece in (step, tenant_id, action, part) if piece)


def record_id(job_id: str, key: str) -> str:
    """The idempotency table's ``id`` of ``run_once(job_id, key, ...)`` (Powertools' default md5)."""
    data = json.dumps({"jobId": job_id, "key": key}, sort_keys=True)
    # Not a security use: the digest only has to be the one Powertools computes.
    return f"{KEY_PREFIX}#{hashlib.md5(data.encode()).hexdigest()}"  # noqa: S324
