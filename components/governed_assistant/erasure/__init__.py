"""Erase one tenant's data from every store the product keeps it in (``make erase-tenant``).

    from governed_assistant.erasure import ErasureTargets, build_erasers, erase_tenant

    targets = ErasureTargets.from_outputs(outputs)            # pulumi stack output --json
    erasers = build_erasers(targets, client=session.client, run_keys=spec_run_keys(spec),
                            credentials=session.get_credentials())
    report = erase_tenant("acme", erasers, confirm="acme")    # or dry_run=True: counts only
    print("\\n".join(report.lines()))

Stores, in the order they run: the tenant's running executions (stopped), idempotency records,
jobs (with their progress), approvals, token usage, knowledge-base documents (every S3 version)
and the sync that drops their vectors, OpenSearch vectors, pgvector rows, decision events in
OpenSearch, and the local events file. ``report.retained`` says where data remains a while
(logs, execution history, backups) and for how long.
"""

from __future__ import annotations

from governed_assistant.erasure.base import ErasureReport, StoreEraser, StoreResult
from governed_assistant.erasure.erasure import check_tenant_id, erase_tenant
from governed_assistant.erasure.exceptions import (
    ConfirmationError,
    ErasureError,
    ErasureTargetsError,
    InvalidTenantError,
    StoreEraseError,
)
from governed_assistant.erasure.targets import (
    ErasureTargets,
    build_erasers,
    local_targets,
    retained,
    spec_run_keys,
)

__all__ = [
    "ConfirmationError",
    "ErasureError",
    "ErasureReport",
    "ErasureTargets",
    "ErasureTargetsError",
    "InvalidTenantError",
    "StoreEraseError",
    "StoreEraser",
    "StoreResult",
    "build_erasers",
    "check_tenant_id",
    "erase_tenant",
    "local_targets",
    "retained",
    "spec_run_keys",
]
