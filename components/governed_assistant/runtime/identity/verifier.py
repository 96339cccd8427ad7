"""Direct token verification, where no API Gateway authorizer sits in front (local stack, tests).

Checks what API Gateway's JWT authorizer checks - signature against the issuer's JWKS, issuer,
audience, expiry, not-before - with PyJWT, then builds the TenantContext from the verified claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from governed_assistant.contracts import TenantContext
from governed_assistant.errors import shown
from governed_assistant.runtime.identity.base import JwksFetch, SigningKeys
from governed_assistant.runtime.identity.bearer import bearer_token
from governed_assistant.runtime.identity.claims import context_from_claims
from governed_assistant.runtime.identity.constants import (
    ALLOWED_ALGORITHMS,
    DEFAULT_LEEWAY_SECONDS,
    JWKS_WELL_KNOWN_PATH,
    MAX_LEEWAY_SECONDS,
)
from governed_assistant.runtime.identity.exceptions import AuthenticationError, VerifierConfigError
from governed_assistant.runtime.identity.jwks import JwksCache, fetch_jwks
from governed_assistant.spec.model import Claims, Identity

_REQUIRED_CLAIMS = ["exp", "iss", "aud"]


class JwtVerifier:
    """Verifies a bearer JWT and returns who is asking.

    Keys come from ``keys`` (any ``SigningKeys``) or else from ``jwks_url`` (default: the issuer's
    ``/.well-known/jwks.json``, where Cognito publishes them) through a ``JwksCache`` using ``fetch``.
    Only RS256 and ES256 are accepted. Verify ID tokens: Cognito puts custom attributes such as
    ``custom:tenantId`` and the ``aud`` claim in ID tokens only.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Sequence[str],
        keys: SigningKeys | None = None,
        jwks_url: str | None = None,
        fetch: JwksFetch = fetch_jwks,
        claims_config: Claims | None = None,
        algorithms: Sequence[str] = ALLOWED_ALGORITHMS,
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
    ) -> None:
        audiences = [audience] if isinstance(audience, str) else list(audience)
        _check_config(issuer, audiences, keys, jwks_url, algorithms, leeway_seconds)
        self.issuer = issuer
        self.audiences = tuple(audiences)
        self.algorithms = tuple(algorithms)
        self.leeway_seconds = leeway_seconds
        self.claims_config = claims_config or Claims()
        if keys is None:
            url = jwks_url or issuer.rstrip("/") + JWKS_WELL_KNOWN_PATH
            keys = JwksCache(url, fetch=fetch, algorithms=self.algorithms)
        self.keys: SigningKeys = keys

    @classmethod
    def from_identity(
        cls, identity: Identity, *, jwks_url: str | None = None, fetch: JwksFetch = fetch_jwks
    ) -> JwtVerifier:
        """A verifier for the spec's ``identity`` section (issuer, audience, claim names).

        Cognito publishes its keys at ``<issuer>/.well-known/jwks.json``, the default; for another
        OIDC provider pass the ``jwks_uri`` of its discovery document as ``jwks_url``.
        """
        if not identity.issuer or not identity.audience:
            raise VerifierConfigError(
                f"identity.issuer and identity.audience are required to verify tokens, "
                f"issuer={identity.issuer!r}, audience={identity.audience!r}; set both in assistant.yaml "
                "(issuer: https://cognito-idp.<region>.amazonaws.com/<pool id>, audience: the app client id)"
            )
        return cls(
            issuer=identity.issuer,
            audience=identity.audience,
            jwks_url=jwks_url,
            fetch=fetch,
            claims_config=identity.claims,
        )

    def verify(self, authorization: str | None, *, request_id: str | None = None) -> TenantContext:
        """The TenantContext of a verified ``Authorization`` header value; a new uuid as request id."""
        return context_from_claims(
            self.verified_claims(authorization), self.claims_config, request_id=request_id
        )

    def verified_claims(self, authorization: str | None) -> dict[str, Any]:
        """All claims of the bearer token, once its signature, issuer, audience and lifetime check out."""
        token = bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError(
                "malformed_token",
                f"Bearer token header is not valid JWT, error={error}; "
                "send the identity provider's token unchanged",
            ) from error
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise _unsupported_algorithm(algorithm, self.algorithms)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError(
                "unknown_kid",
                "Token header has no kid, so no trusted key can verify it; send a token from the configured "
                f"issuer={self.issuer}",
            )
        key = self.keys.key(kid)
        if key.algorithm_name != algorithm:
            raise AuthenticationError(
                "unsupported_algorithm",
                f"Token alg does not match its key, alg={algorithm}, kid={shown(kid)}, "
                f"key_alg={key.algorithm_name}; the token was not signed by this issuer's key",
            )
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=list(self.audiences),
                leeway=self.leeway_seconds,
                options={"require": list(_REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise self._refusal(error) from error

    def _refusal(self, error: jwt.PyJWTError) -> AuthenticationError:
        leeway = f"leeway_seconds={self.leeway_seconds:g}"
        if isinstance(error, jwt.InvalidSignatureError):
            return AuthenticationError(
                "bad_signature",
                "Token signature does not verify against the issuer's key; the token was altered or signed "
                "by someone else - sign in again to get a genuine token",
            )
        if isinstance(error, jwt.ExpiredSignatureError):
            return AuthenticationError("expired", f"Token has expired, {leeway}; sign in again or refresh it")
        if isinstance(error, jwt.ImmatureSignatureError):
            return AuthenticationError(
                "not_yet_valid",
                f"Token is not valid yet (nbf or iat in the future), {leeway}; check the clocks of the "
                "client and the identity provider",
            )
        if isinstance(error, jwt.InvalidIssuerError):
            return AuthenticationError(
                "wrong_issuer",
                f"Token was issued by another issuer, expected issuer={self.issuer}; "
                "sign in with that identity provider, or fix identity.issuer in assistant.yaml",
            )
        if isinstance(error, jwt.InvalidAudienceError):
            return AuthenticationError(
                "wrong_audience",
                f"Token is meant for another audience, expected audience={','.join(self.audiences)}; "
                "send the ID token of this app client, or fix identity.audience in assistant.yaml",
            )
        if isinstance(error, jwt.MissingRequiredClaimError):
            return AuthenticationError(
                "missing_claim",
                f"Token lacks a required claim, claim={error.claim}; tokens must carry "
                f"{', '.join(_REQUIRED_CLAIMS)} - send the identity provider's ID token",
            )
        if isinstance(error, jwt.InvalidAlgorithmError):
            return _unsupported_algorithm(None, self.algorithms)
        if isinstance(error, jwt.DecodeError):
            return AuthenticationError(
                "malformed_token",
                f"Bearer token cannot be decoded, error={error}; "
                "send the identity provider's token unchanged",
            )
        return AuthenticationError(
            "invalid_claim",
            f"Token has an invalid registered claim, error={error}; send the identity provider's ID token",
        )


def _unsupported_algorithm(algorithm: Any, allowed: Sequence[str]) -> AuthenticationError:
    return AuthenticationError(
        "unsupported_algorithm",
        f"Token alg is not accepted, alg={shown(algorithm)}, allowed={','.join(allowed)}; tokens must be "
        "signed with the issuer's RSA or P-256 key ('none' and HMAC algorithms are always refused)",
    )


def _check_config(
    issuer: str,
    audiences: list[str],
    keys: SigningKeys | None,
    jwks_url: str | None,
    algorithms: Sequence[str],
    leeway_seconds: float,
) -> None:
    problems: list[str] = []
    if not isinstance(issuer, str) or not issuer.startswith(("https://", "http://")):
        problems.append(f"issuer must be the issuer URL, issuer={issuer!r}")
    if not audiences or not all(isinstance(item, str) and item for item in audiences):
        problems.append(f"audience must name the app client id(s), audience={audiences!r}")
    if keys is not None and jwks_url is not None:
        problems.append("give either keys or jwks_url, not both")
    unsupported = [name for name in algorithms if name not in ALLOWED_ALGORITHMS]
    if not algorithms or unsupported:
        problems.append(f"algorithms must be among {','.join(ALLOWED_ALGORITHMS)}, unsupported={unsupported}")
    if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
        problems.append(
            f"leeway_seconds must be between 0 and {MAX_LEEWAY_SECONDS:g}, leeway_seconds={leeway_seconds}"
        )
    if problems:
        raise VerifierConfigError("Invalid JwtVerifier configuration: " + "; ".join(problems))
