"""Errors raised while establishing who is asking."""

from __future__ import annotations

from typing import Literal

from governed_assistant.errors import GovernanceError
from governed_assistant.errors import shown as shown  # re-exported: it was defined here first

AuthenticationReason = Literal[
    "missing_token", "bad_scheme", "malformed_token", "unsupported_algorithm", "unknown_kid",
    "bad_signature", "expired", "not_yet_valid", "wrong_issuer", "wrong_audience", "missing_claim",
    "invalid_claim", "missing_tenant", "invalid_tenant", "missing_user", "invalid_user",
    "invalid_roles", "no_verified_claims", "token_mismatch",
]  # fmt: skip


class AuthenticationError(GovernanceError):
    """When a request carries no token, or one that fails verification; refuse it with the reason."""

    kind = "unauthenticated"

    def __init__(self, reason: AuthenticationReason, message: str) -> None:
        self.reason: AuthenticationReason = reason
        self.message = message
        super().__init__(f"{message} (reason={reason})")


class JwksError(GovernanceError):
    """When the issuer's JWKS cannot be fetched or holds no usable signing key: the service is
    unavailable, the caller is not refused."""

    kind = "unavailable"


class VerifierConfigError(GovernanceError):
    """When a JwtVerifier is configured with a value that would break or weaken verification."""
