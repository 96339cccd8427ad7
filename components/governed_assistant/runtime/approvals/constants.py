"""The approval store's names, keys and defaults, in one place.

Key scheme (the infra's approvals table: hash ``pk`` (S), range ``sk`` (S), TTL ``expiresAt``):
``pk = "<tenant_id>#approval"``, ``sk = "<approval_id>"``. The partition key starts with the
tenant, so no read can be written without it, and one ``Query`` lists a tenant's approvals.
``expiresAt`` is when DynamoDB may *purge* the record (deadline + retention, kept for audit);
the decision deadline itself is ``deadline`` / ``deadlineEpoch``.
"""

from __future__ import annotations

import os
import re
from typing import Final

from governed_assistant.wire import ENV_APPROVALS_TABLE

DEFAULT_APPROVALS_TABLE: Final = "governed-approvals"

KEY_SEPARATOR: Final = "#"
APPROVALS_PARTITION_SUFFIX: Final = "approval"
TTL_ATTRIBUTE: Final = "expiresAt"

APPROVAL_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_SUMMARY_CHARS: Final = 4000
MAX_REASON_CHARS: Final = 1000

# Decided and expired approvals are kept this long after their deadline, then purged by TTL.
DEFAULT_RETENTION_SECONDS: Final = 90 * 24 * 60 * 60


def approvals_table_name(explicit: str | None = None) -> str:
    """The approvals table: ``explicit``, else ``$GOVERNED_APPROVALS_TABLE``, else the default."""
    return explicit or os.environ.get(ENV_APPROVALS_TABLE) or DEFAULT_APPROVALS_TABLE
