"""TokenIssuer publishes only public keys and signs tokens with the claims and header asked for."""

from __future__ import annotations

import jwt
import pytest
from governed_assistant.spec.model import Claims
from governed_assistant.testing import TokenIssuer, identity_claims


def _header_and_claims(token: str) -> tuple[dict[str, object], dict[str, object]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def test_token_issuer_jwks_holds_public_keys_only(trusted: TokenIssuer) -> None:
    """The JWKS has one RSA and one P-256 signing key, and no private part."""
    keys = trusted.jwks()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [
        ("RSA", "RS256", "sig"),
        ("EC", "ES256", "sig"),
    ]
    assert [key["kid"] for key in keys] == [trusted.kid_for("RS256"), trusted.kid_for("ES256")]
    assert not any(private in key for key in keys for private in ("d", "p", "q", "dp", "dq", "qi"))


def test_token_issuer_two_issuers_have_different_kids(trusted: TokenIssuer, attacker: TokenIssuer) -> None:
    """Each issuer makes its own keys and kids."""
    assert trusted.kid_for("RS256") != attacker.kid_for("RS256")
    assert trusted.jwks() != attacker.jwks()


def test_token_issuer_defaults_fill_registered_claims() -> None:
    """A token carries iss, aud, iat and exp from the issuer and its clock, plus the given claims."""
    issuer = TokenIssuer(issuer="https://idp.test", audience="app", clock=lambda: 1_000_000.0)
    header, claims = _header_and_claims(issuer.token({"sub": "alice"}, alg="ES256"))
    assert header == {"alg": "ES256", "typ": "JWT", "kid": issuer.kid_for("ES256")}
    assert claims == {
        "iss": "https://idp.test",
        "aud": "app",
        "iat": 1_000_000,
        "exp": 1_000_300,
        "sub": "alice",
    }


def test_token_issuer_options_shape_token() -> None:
    """Offsets, omitted claims, issuer, audience and header overrides land in the token."""
    issuer = TokenIssuer(clock=lambda: 1_000_000.0)
    token = issuer.token(
        {"sub": "alice"},
        issuer="https://other.test",
        audience=["a", "b"],
        expires_in=-60,
        not_before=30,
        issued_at=-10,
        omit=["sub"],
        headers={"kid": None, "typ": "at+jwt"},
    )
    header, claims = _header_and_claims(token)
    assert header == {"alg": "RS256", "typ": "at+jwt"}
    assert claims == {
        "iss": "https://other.test",
        "aud": ["a", "b"],
        "iat": 999_990,
        "exp": 999_940,
        "nbf": 1_000_030,
    }


def test_token_issuer_alg_none_is_unsigned(trusted: TokenIssuer) -> None:
    """alg "none" makes an unsigned token with an empty signature and a trusted-looking kid."""
    token = trusted.token({"sub": "alice"}, alg="none")
    assert token.endswith(".")
    assert jwt.get_unverified_header(token) == {"alg": "none", "typ": "JWT", "kid": trusted.kid_for("RS256")}


@pytest.mark.parametrize(
    ("claims_config", "expected"),
    [
        pytest.param(
            None, {"custom:tenantId": "acme", "sub": "alice", "cognito:groups": ["agent"]}, id="cognito"
        ),
        pytest.param(
            Claims(tenant="tid", user="oid", roles="roles"),
            {"tid": "acme", "oid": "alice", "roles": ["agent"]},
            id="custom-names",
        ),
    ],
)
def test_identity_claims_configured_names_used(
    claims_config: Claims | None, expected: dict[str, object]
) -> None:
    """identity_claims puts tenant, user and roles under the configured claim names."""
    assert identity_claims("acme", "alice", ["agent"], claims_config=claims_config) == expected


def test_token_issuer_verifier_round_trip(trusted: TokenIssuer) -> None:
    """The issuer's own verifier accepts its tokens: a handler test in three lines."""
    context = trusted.verifier().verify(trusted.bearer(identity_claims("acme", "alice", ["agent"])))
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent",))
