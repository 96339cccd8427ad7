"""A JWT issuer for tests and the local stack: its own keys, its JWKS, tokens with any claims.

    issuer = TokenIssuer()
    verifier = issuer.verifier()
    context = verifier.verify(issuer.bearer(identity_claims("acme", "alice", roles=["agent"])))

Signatures are real (RSA 2048 for RS256, P-256 for ES256), so tests exercise the same
verification path as production. The private keys never leave the object.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from governed_assistant.runtime.identity import JwtVerifier, StaticJwks
from governed_assistant.spec.model import Claims

SigningAlgorithm = Literal["RS256", "ES256"]
# "none" makes an unsigned token: only useful to prove that verifiers refuse it.
TokenAlgorithm = Literal["RS256", "ES256", "none"]

DEFAULT_ISSUER = "https://issuer.governed.test"
DEFAULT_AUDIENCE = "governed-assistant"


def identity_claims(
    tenant_id: str, user_id: str, roles: Sequence[str] = (), *, claims_config: Claims | None = None
) -> dict[str, Any]:
    """The tenant, user and roles claims under the configured claim names (default: Cognito's)."""
    names = claims_config or Claims()
    return {names.tenant: tenant_id, names.user: user_id, names.roles: list(roles)}


class TokenIssuer:
    """An identity provider in a box: an RSA and a P-256 key pair, their JWKS, and signed tokens.

    Every issuer makes fresh keys with random kids, so a second issuer is a convincing forger:
    ``attacker.token(claims, kid=trusted.kid_for("RS256"))`` carries a trusted kid and a foreign signature.
    """

    def __init__(
        self,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._clock = clock
        suffix = secrets.token_hex(4)
        self._kids: dict[SigningAlgorithm, str] = {"RS256": f"rs256-{suffix}", "ES256": f"es256-{suffix}"}
        self._rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._ec = ec.generate_private_key(ec.SECP256R1())

    def kid_for(self, alg: SigningAlgorithm) -> str:
        """The kid this issuer puts in the header of tokens signed with ``alg``."""
        return self._kids[alg]

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document, as an issuer serves it at ``/.well-known/jwks.json``."""
        rsa_jwk = RSAAlgorithm.to_jwk(self._rsa.public_key(), as_dict=True)
        ec_jwk = ECAlgorithm.to_jwk(self._ec.public_key(), as_dict=True)
        return {
            "keys": [
                {**rsa_jwk, "kid": self._kids["RS256"], "alg": "RS256", "use": "sig"},
                {**ec_jwk, "kid": self._kids["ES256"], "alg": "ES256", "use": "sig"},
            ]
        }

    def verifier(self, claims_config: Claims | None = None) -> JwtVerifier:
        """A JwtVerifier that trusts this issuer's keys, issuer and audience."""
        return JwtVerifier(
            issuer=self.issuer,
            audience=self.audience,
            keys=StaticJwks(self.jwks()),
            claims_config=claims_config,
        )

    def token(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        alg: TokenAlgorithm = "RS256",
        kid: str | None = None,
        issuer: str | None = None,
        audience: str | Sequence[str] | None = None,
        expires_in: float = 300,
        not_before: float | None = None,
        issued_at: float = 0,
        omit: Iterable[str] = (),
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed compact JWT.

        ``iss``, ``aud``, ``iat`` and ``exp`` are filled in (``claims`` override them); times are
        offsets in seconds from now: ``expires_in=-60`` is expired, ``not_before=300`` is not valid
        yet, ``issued_at=300`` is issued in the future. ``omit`` drops claims, e.g. ``omit=["exp"]``.
        ``kid`` defaults to this issuer's kid for ``alg``; ``headers`` adds or overrides header
        fields, and a ``None`` value removes one (``headers={"kid": None}``).
        """
        now = int(self._clock())
        payload: dict[str, Any] = {
            "iss": self.issuer if issuer is None else issuer,
            "aud": self.audience if audience is None else audience,
            "iat": now + int(issued_at),
            "exp": now + int(expires_in),
        }
        if not_before is not None:
            payload["nbf"] = now + int(not_before)
        payload.update(claims or {})
        for name in omit:
            payload.pop(name, None)
        header: dict[str, Any] = {"kid": kid or self._kids["RS256" if alg == "none" else alg]}
        header.update(headers or {})
        header = {name: value for name, value in header.items() if value is not None}
        if alg == "none":
            return jwt.encode(payload, "", algorithm="none", headers=header)
        key = self._rsa if alg == "RS256" else self._ec
        return jwt.encode(payload, key, algorithm=alg, headers=header)

    def bearer(self, claims: Mapping[str, Any] | None = None, **options: Any) -> str:
        """``"Bearer <token>"``: an Authorization header value; ``options`` as for ``token``."""
        return f"Bearer {self.token(claims, **options)}"
