"""Fuzzed Authorization headers and tokens: the only failure a client can cause is AuthenticationError."""

from __future__ import annotations

import string

from governed_assistant.runtime.identity import AuthenticationError, JwtVerifier, bearer_token
from governed_assistant.testing import TokenIssuer, identity_claims
from hypothesis import given, settings
from hypothesis import strategies as st

ALICE = identity_claims("acme", "alice", roles=["agent"])
FUZZ = settings(max_examples=300, deadline=None, database=None)
BASE64URL = string.ascii_letters + string.digits + "-_"

_segment = st.text(alphabet=BASE64URL, max_size=60)
_jwt_shaped = st.builds(lambda *parts: ".".join(parts), _segment, _segment, _segment)
_headers = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.builds(
        lambda scheme, rest: f"{scheme} {rest}", st.sampled_from(["Bearer", "bearer", "BEARER"]), st.text()
    ),
    st.builds(lambda token: f"Bearer {token}", _jwt_shaped),
    st.builds(
        lambda token: f"Bearer {token}",
        st.text(alphabet=BASE64URL + ".", min_size=1, max_size=300),
    ),
)


@FUZZ
@given(header=_headers)
def test_bearer_token_fuzzed_header_returns_jwt_or_refuses(header: str | None) -> None:
    """Any header value either yields a JWT-shaped token or raises AuthenticationError."""
    try:
        token = bearer_token(header)
    except AuthenticationError:
        return
    assert token.count(".") == 2


_ISSUER = TokenIssuer()
_VERIFIER = _ISSUER.verifier()
_GENUINE = {alg: _ISSUER.token(ALICE, alg=alg) for alg in ("RS256", "ES256")}


@FUZZ
@given(header=_headers)
def test_verify_fuzzed_header_refused_with_authentication_error(header: str | None) -> None:
    """Random headers never verify and never raise anything but AuthenticationError."""
    verifier: JwtVerifier = _VERIFIER
    try:
        verifier.verify(header)
    except AuthenticationError as error:
        assert error.reason
    else:
        raise AssertionError(f"a random header verified: {header!r}")


@FUZZ
@given(
    alg=st.sampled_from(sorted(_GENUINE)),
    position=st.integers(min_value=0),
    replacement=st.text(alphabet=BASE64URL + ".", min_size=0, max_size=3),
)
def test_verify_mutated_token_refused_or_unchanged(alg: str, position: int, replacement: str) -> None:
    """A genuine token with any few characters changed is refused, or still says exactly the same."""
    token = _GENUINE[alg]
    index = position % len(token)
    mutated = token[:index] + replacement + token[index + 1 :]
    try:
        context = _VERIFIER.verify(f"Bearer {mutated}")
    except AuthenticationError:
        return
    # Only the unused low bits of a base64url character can change without changing the bytes.
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent",))
