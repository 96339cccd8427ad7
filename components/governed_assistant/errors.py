"""The one base class every governance error derives from, and ``shown`` for values in messages.

``shown`` lives here, beside the base class, so any package's exceptions can use it without
importing another package (importing identity's would load PyJWT and cryptography into every
handler).
"""

from __future__ import annotations


class GovernanceError(Exception):
    """When anything in the governed assistant refuses to proceed."""


def shown(value: object, limit: int = 64) -> str:
    """``repr(value)`` cut to ``limit`` characters: safe to put an untrusted value in a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
