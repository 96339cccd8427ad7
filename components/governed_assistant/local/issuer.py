"""The local development issuer: one RSA key kept in ``.local/``, its JWKS, and signed ID tokens.

The key is generated on the first run and reused after, so tokens printed by ``make token`` or
``make dev`` keep working across restarts (until they expire, or the API's port - part of the
issuer URL - changes). Claim names come from the spec's ``identity.claims``, so the API verifies
local tokens exactly as API Gateway's authorizer verifies the identity provider's.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from governed_assistant.local.constants import DEFAULT_TOKEN_TTL_SECONDS, ISSUER_KEY_FILE
from governed_assistant.local.exceptions import LocalStackError
from governed_assistant.runtime.identity import JwtVerifier, StaticJwks
from governed_assistant.spec.model import AssistantSpec, Claims

_ALGORITHM = "RS256"


def local_audience(spec: AssistantSpec) -> str:
    """The audience of local tokens: the spec's (oidc), else a stand-in for Cognito's app client id."""
    return spec.identity.audience or f"{spec.slug}-local"


class DevIssuer:
    """Signs tokens as ``issuer`` for ``audience`` with the key at ``key_path`` (created if missing)."""

    def __init__(
        self,
        key_path: str | Path,
        *,
        issuer: str,
        audience: str,
        claims_config: Claims | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key_path = Path(key_path)
        self.issuer = issuer
        self.audience = audience
        self.claims_config = claims_config or Claims()
        self._clock = clock
        self._key = _load_or_create_key(self.key_path)
        public = self._key.public_key().public_numbers()
        # A stable kid derived from the public key: same key, same kid, across restarts.
        self.kid = "dev-" + hashlib.sha256(f"{public.n:x}.{public.e:x}".encode()).hexdigest()[:16]

    @classmethod
    def for_spec(cls, spec: AssistantSpec, state_dir: str | Path, *, issuer: str) -> DevIssuer:
        return cls(
            Path(state_dir) / ISSUER_KEY_FILE,
            issuer=issuer,
            audience=local_audience(spec),
            claims_config=spec.identity.claims,
        )

    def jwks(self) -> dict[str, Any]:
        """The public JWKS, as served at ``/.well-known/jwks.json``."""
        public = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": _ALGORITHM, "use": "sig"}]}

    def verifier(self) -> JwtVerifier:
        """A verifier that trusts exactly this issuer, audience and key."""
        return JwtVerifier(
            issuer=self.issuer,
            audience=self.audience,
            keys=StaticJwks(self.jwks()),
            claims_config=self.claims_config,
        )

    def token(
        self,
        tenant: str,
        user: str,
        roles: Sequence[str] = (),
        *,
        expires_in: float = DEFAULT_TOKEN_TTL_SECONDS,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """An ID token for ``user`` of ``tenant`` with ``roles``, under the spec's claim names."""
        now = int(self._clock())
        names = self.claims_config
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + int(expires_in),
            "token_use": "id",
            names.tenant: tenant,
            names.user: user,
            names.roles: list(roles),
            **(extra or {}),
        }
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM, headers={"kid": self.kid})


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise LocalStackError(
                f"the dev issuer's key cannot be read, path={path}, error={error}; delete the file and "
                "restart (a new key is made; tokens printed before stop working)"
            ) from error
        if not isinstance(key, rsa.RSAPrivateKey):
            raise LocalStackError(
                f"the dev issuer's key is not an RSA key, path={path}; delete it and restart"
            )
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Owner-only from the start: a development key, but a signing key all the same.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key
