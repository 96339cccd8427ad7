"""Identity: who is asking, as a TenantContext built only from verified token claims.

Behind API Gateway the authorizer has verified the JWT: ``context_from_api_gateway(event)`` reads
the claims, with their JSON types, from that token (the authorizer's copy is flattened to strings).
Without it (the local stack, tests), ``JwtVerifier(...).verify(authorization_header)`` checks the
token itself. Both give the same TenantContext for the same token, and both refuse with
``AuthenticationError`` and a short ``reason``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from governed_assistant.runtime.identity.constants import (
    ALLOWED_ALGORITHMS,
    ROLE_NAME_PATTERN,
    TENANT_ID_PATTERN,
)
from governed_assistant.runtime.identity.exceptions import (
    AuthenticationError,
    AuthenticationReason,
    JwksError,
    VerifierConfigError,
)

if TYPE_CHECKING:
    from governed_assistant.runtime.identity.api_gateway import (
        context_from_api_gateway,
        flatten_claims,
        unverified_payload,
    )
    from governed_assistant.runtime.identity.base import JwksFetch, SigningKeys
    from governed_assistant.runtime.identity.bearer import bearer_token
    from governed_assistant.runtime.identity.claims import context_from_claims, parse_roles
    from governed_assistant.runtime.identity.jwks import JwksCache, StaticJwks, fetch_jwks, signing_keys
    from governed_assistant.runtime.identity.verifier import JwtVerifier
else:
    from governed_assistant.runtime.lazy import lazy_exports

    # Why lazy: the verifier and JWKS parts load PyJWT and cryptography (~100-190 ms), and claims
    # loads the spec model; a handler that only reads API Gateway's verified claims needs neither
    # at import time (bench/handler_cold_import.py).
    __getattr__ = lazy_exports(
        __name__,
        {
            "context_from_api_gateway": "governed_assistant.runtime.identity.api_gateway",
            "flatten_claims": "governed_assistant.runtime.identity.api_gateway",
            "unverified_payload": "governed_assistant.runtime.identity.api_gateway",
            "JwksFetch": "governed_assistant.runtime.identity.base",
            "SigningKeys": "governed_assistant.runtime.identity.base",
            "bearer_token": "governed_assistant.runtime.identity.bearer",
            "context_from_claims": "governed_assistant.runtime.identity.claims",
            "parse_roles": "governed_assistant.runtime.identity.claims",
            "JwksCache": "governed_assistant.runtime.identity.jwks",
            "StaticJwks": "governed_assistant.runtime.identity.jwks",
            "fetch_jwks": "governed_assistant.runtime.identity.jwks",
            "signing_keys": "governed_assistant.runtime.identity.jwks",
            "JwtVerifier": "governed_assistant.runtime.identity.verifier",
        },
    )

__all__ = [
    "ALLOWED_ALGORITHMS",
    "ROLE_NAME_PATTERN",
    "TENANT_ID_PATTERN",
    "AuthenticationError",
    "AuthenticationReason",
    "JwksCache",
    "JwksError",
    "JwksFetch",
    "JwtVerifier",
    "SigningKeys",
    "StaticJwks",
    "VerifierConfigError",
    "bearer_token",
    "context_from_api_gateway",
    "context_from_claims",
    "fetch_jwks",
    "flatten_claims",
    "parse_roles",
    "signing_keys",
    "unverified_payload",
]
