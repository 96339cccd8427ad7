"""The job store's names, keys and defaults, in one place.

Key scheme (the infra's jobs table: hash ``pk`` (S), range ``sk`` (S), TTL ``expiresAt``):
``pk = "<tenant_id>#<job_id>"``, ``sk = "job"``. The partition key starts with the tenant, so no
read can be written without it; tenant ids never hold ``#`` (identity's TENANT_ID_PATTERN) and
job ids are checked against ``JOB_ID_PATTERN``, so one tenant's key can never spell another's.
"""

from __future__ import annotations

import os
import re
from typing import Final

from governed_assistant.wire import ENV_JOBS_TABLE

DEFAULT_JOBS_TABLE: Final = "governed-jobs"

KEY_SEPARATOR: Final = "#"
JOB_SORT_KEY: Final = "job"
TTL_ATTRIBUTE: Final = "expiresAt"
# The job's history, one map per change ({status?, stage, at}); see governed_assistant.runtime.jobs.progress.
PROGRESS_ATTRIBUTE: Final = "progress"

# Generated ids are uuid4 hex; callers may bring their own, but never one holding the separator.
JOB_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

INITIAL_STAGE: Final = "accepted"
# A job is kept this long after it was created, then DynamoDB's TTL removes it.
DEFAULT_RETENTION_SECONDS: Final = 90 * 24 * 60 * 60


def jobs_table_name(explicit: str | None = None) -> str:
    """The jobs table: ``explicit``, else ``$GOVERNED_JOBS_TABLE``, else the default."""
    return explicit or os.environ.get(ENV_JOBS_TABLE) or DEFAULT_JOBS_TABLE
