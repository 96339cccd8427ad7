"""The token out of an ``Authorization: Bearer <JWT>`` header value (RFC 6750)."""

from __future__ import annotations

import re

from governed_assistant.runtime.identity.constants import MAX_TOKEN_CHARS
from governed_assistant.runtime.identity.exceptions import AuthenticationError

# A compact JWS: three base64url segments. The signature may be empty (alg "none"), so that such a
# token is refused for its algorithm, with that reason, rather than as malformed.
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def bearer_token(authorization: str | None) -> str:
    """The JWT in an Authorization header value; the scheme is matched case-insensitively."""
    if not isinstance(authorization, str) or not authorization.strip():
        raise AuthenticationError(
            "missing_token",
            "No bearer token: the request has no Authorization header; "
            "sign in and send the ID token as 'Authorization: Bearer <token>'",
        )
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        hint = "add the 'Bearer ' prefix" if COMPACT_JWS.fullmatch(scheme) else "use the Bearer scheme"
        raise AuthenticationError(
            "bad_scheme",
            f"Authorization header does not use the Bearer scheme, scheme={scheme[:16]!r}; {hint}: "
            "'Authorization: Bearer <token>'",
        )
    token = rest.strip()
    if not token:
        raise AuthenticationError(
            "missing_token",
            "No bearer token after 'Bearer'; send 'Authorization: Bearer <token>'",
        )
    if len(token) > MAX_TOKEN_CHARS or not COMPACT_JWS.fullmatch(token):
        raise AuthenticationError(
            "malformed_token",
            f"Bearer token is not a JWT, length={len(token)}; send the identity provider's ID token "
            "unchanged (three base64url parts separated by dots)",
        )
    return token
