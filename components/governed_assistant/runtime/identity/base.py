"""The swappable parts of token verification: where the signing keys come from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from jwt import PyJWK

# Fetches the JWKS document at a URL; swap it to serve keys without a network.
JwksFetch = Callable[[str], Mapping[str, Any]]


class SigningKeys(Protocol):
    """Where a verifier finds the public key for a token's ``kid``."""

    def key(self, kid: str) -> PyJWK:
        """The trusted key with this ``kid``; raises ``AuthenticationError(unknown_kid)`` if none."""
        ...
