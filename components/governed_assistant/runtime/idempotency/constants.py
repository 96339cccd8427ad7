"""The idempotency runner's names and defaults, in one place."""

from __future__ import annotations

import os
from typing import Final

from governed_assistant.wire import ENV_IDEMPOTENCY_TABLE

DEFAULT_IDEMPOTENCY_TABLE: Final = "governed-idempotency"

# Record ids are "<prefix>#<hash of {jobId, key}>". A fixed prefix (not Powertools' default of
# function name + module path) keeps them stable when a function is renamed or redeployed,
# which would otherwise run an action a second time.
KEY_PREFIX: Final = "governed"

# How long a completed run is remembered. Step Functions redelivers within minutes; a day
# leaves room for a retried execution step after an outage.
DEFAULT_EXPIRES_AFTER_SECONDS: Final = 24 * 60 * 60

# Outside Lambda there is no remaining-time clock; an in-progress record left by a crashed run
# is treated as abandoned after this long (Lambda's own maximum run time).
LOCAL_IN_PROGRESS_BUDGET_MS: Final = 15 * 60 * 1000


def idempotency_table_name(explicit: str | None = None) -> str:
    """The idempotency table: ``explicit``, else ``$GOVERNED_IDEMPOTENCY_TABLE``, else the default."""
    return explicit or os.environ.get(ENV_IDEMPOTENCY_TABLE) or DEFAULT_IDEMPOTENCY_TABLE
