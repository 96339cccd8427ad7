"""The one base class every governance error derives from, its ``ErrorKind``, and ``shown`` for
values in messages.

``shown`` lives here, beside the base class, so any package's exceptions can use it without
importing another package (importing identity's would load PyJWT and cryptography into every
handler).
"""

from __future__ import annotations

from typing import ClassVar, Literal

# What a refusal means for the caller, whatever protocol answers it: the API maps each kind to an
# HTTP status (governed_assistant.handlers.http), so no runtime module needs to know HTTP.
ErrorKind = Literal[
    "invalid", "unauthenticated", "forbidden", "not_found", "conflict", "throttled", "unavailable"
]


class GovernanceError(Exception):
    """When anything in the governed assistant refuses to proceed."""

    # None: a failure of the service itself, not something the caller can act on.
    kind: ClassVar[ErrorKind | None] = None


def shown(value: object, limit: int = 64) -> str:
    """``repr(value)`` cut to ``limit`` characters: safe to put an untrusted value in a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
