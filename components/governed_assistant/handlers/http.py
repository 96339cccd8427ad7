"""HTTP statuses for the runtime's refusals: the one table from an ``ErrorKind`` to a status.

The runtime raises errors that say what kind of refusal they are (``GovernanceError.kind``); only
this edge knows which HTTP status each kind is answered with.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from governed_assistant.errors import ErrorKind, GovernanceError

STATUS_BY_KIND: Final[Mapping[ErrorKind, int]] = MappingProxyType(
    {
        "invalid": 400,
        "unauthenticated": 401,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
        "unavailable": 503,
    }
)
# An error of no kind is the service's own failure.
INTERNAL_ERROR_STATUS: Final = 500


def status_for(error: GovernanceError, *, default: ErrorKind | None = None) -> int:
    """The status ``error`` is answered with: its kind's, else ``default``'s, else 500."""
    kind = error.kind or default
    return STATUS_BY_KIND[kind] if kind else INTERNAL_ERROR_STATUS
