"""JwtVerifier accepts genuine tokens and refuses every attack with a 401 and its reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from governed_assistant.contracts import TenantContext
from governed_assistant.handlers.http import status_for
from governed_assistant.runtime.identity import AuthenticationError, JwtVerifier, VerifierConfigError
from governed_assistant.spec.model import Claims, Identity
from governed_assistant.testing import TokenIssuer, identity_claims

ALICE = identity_claims("acme", "alice", roles=["agent"])
TENANT = "custom:tenantId"

Attack = Callable[[TokenIssuer, TokenIssuer], str | None]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _hs256_signed_with_rsa_public_key(trusted: TokenIssuer, attacker: TokenIssuer) -> str:
    """The algorithm-confusion attack: HMAC over the token, keyed with the issuer's public key PEM."""
    rsa_jwk = next(key for key in trusted.jwks()["keys"] if key["alg"] == "RS256")
    public_pem = jwt.PyJWK(rsa_jwk).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT", "kid": rsa_jwk["kid"]}
    claims = {**ALICE, "iss": trusted.issuer, "aud": trusted.audience, "iat": now, "exp": now + 300}
    signing_input = f"{_json_segment(header)}.{_json_segment(claims)}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"Bearer {signing_input}.{_b64(signature)}"


def _unsigned(trusted: TokenIssuer, alg: str) -> str:
    """An unsigned token whose header names ``alg``, spelled the way some libraries accept."""
    payload = trusted.token(ALICE).split(".")[1]
    return f"Bearer {_json_segment({'alg': alg, 'kid': trusted.kid_for('RS256')})}.{payload}."


def _tenant_swapped_after_signing(trusted: TokenIssuer, attacker: TokenIssuer) -> str:
    """A genuine token whose payload is re-encoded with another tenant; the signature is kept."""
    header, _, signature = trusted.token(ALICE).split(".")
    claims = jwt.decode(trusted.token(ALICE), options={"verify_signature": False})
    forged = _json_segment({**claims, TENANT: "globex"})
    return f"Bearer {header}.{forged}.{signature}"


def _bearer(claims: dict[str, Any] | None = None, **options: Any) -> Attack:
    return lambda trusted, attacker: trusted.bearer(ALICE if claims is None else claims, **options)


def _without(claim: str) -> dict[str, Any]:
    return {name: value for name, value in ALICE.items() if name != claim}


ATTACKS = [
    pytest.param(lambda t, a: None, "missing_token", id="no-header"),
    pytest.param(lambda t, a: "", "missing_token", id="empty-header"),
    pytest.param(lambda t, a: "Bearer   ", "missing_token", id="bearer-without-token"),
    pytest.param(lambda t, a: t.token(ALICE), "bad_scheme", id="no-bearer-prefix"),
    pytest.param(lambda t, a: "Basic YWxpY2U6c2VjcmV0", "bad_scheme", id="basic-scheme"),
    pytest.param(lambda t, a: "Token " + t.token(ALICE), "bad_scheme", id="other-scheme"),
    pytest.param(lambda t, a: "Bearer not-a-jwt", "malformed_token", id="not-a-jwt"),
    pytest.param(lambda t, a: "Bearer aaa.bbb.ccc", "malformed_token", id="garbage-segments"),
    pytest.param(lambda t, a: "Bearer " + t.token(ALICE) + ".x", "malformed_token", id="four-segments"),
    pytest.param(lambda t, a: "Bearer " + "a" * 20000 + ".b.c", "malformed_token", id="oversized-token"),
    pytest.param(_tenant_swapped_after_signing, "bad_signature", id="payload-tampered"),
    pytest.param(
        lambda t, a: a.bearer(ALICE, kid=t.kid_for("RS256")), "bad_signature", id="forged-claims-rs256"
    ),
    pytest.param(
        lambda t, a: a.bearer(ALICE, alg="ES256", kid=t.kid_for("ES256")),
        "bad_signature",
        id="forged-claims-es256",
    ),
    pytest.param(_bearer(alg="none"), "unsupported_algorithm", id="alg-none"),
    pytest.param(lambda t, a: _unsigned(t, "None"), "unsupported_algorithm", id="alg-none-capitalised"),
    pytest.param(lambda t, a: _unsigned(t, "nOnE"), "unsupported_algorithm", id="alg-none-mixed-case"),
    pytest.param(_hs256_signed_with_rsa_public_key, "unsupported_algorithm", id="hs256-with-rsa-public-key"),
    pytest.param(_bearer(headers={"alg": "RS512"}), "unsupported_algorithm", id="alg-not-allowed"),
    pytest.param(_bearer(alg="ES256", kid="placeholder"), "unknown_kid", id="es256-with-unknown-kid"),
    pytest.param(
        lambda t, a: t.bearer(ALICE, alg="ES256", kid=t.kid_for("RS256")),
        "unsupported_algorithm",
        id="alg-differs-from-key",
    ),
    pytest.param(lambda t, a: a.bearer(ALICE), "unknown_kid", id="unknown-kid"),
    pytest.param(_bearer(headers={"kid": None}), "unknown_kid", id="no-kid"),
    pytest.param(_bearer(expires_in=-120), "expired", id="expired"),
    pytest.param(_bearer(not_before=300), "not_yet_valid", id="not-yet-valid-nbf"),
    pytest.param(_bearer(issued_at=300), "not_yet_valid", id="issued-in-future"),
    pytest.param(_bearer(issuer="https://evil.example"), "wrong_issuer", id="wrong-issuer"),
    pytest.param(_bearer(audience="another-app"), "wrong_audience", id="wrong-audience"),
    pytest.param(_bearer(omit=["exp"]), "missing_claim", id="no-exp"),
    pytest.param(_bearer(omit=["aud"]), "missing_claim", id="no-aud"),
    pytest.param(_bearer(omit=["iss"]), "missing_claim", id="no-iss"),
    pytest.param(_bearer({**ALICE, "exp": "tomorrow"}), "malformed_token", id="exp-not-a-number"),
    pytest.param(_bearer({**ALICE, "iat": "yesterday"}), "invalid_claim", id="iat-not-a-number"),
    pytest.param(_bearer(_without(TENANT)), "missing_tenant", id="missing-tenant"),
    pytest.param(_bearer(_without("sub")), "missing_user", id="missing-user"),
    pytest.param(_bearer({**ALICE, TENANT: ""}), "invalid_tenant", id="empty-tenant"),
    pytest.param(_bearer({**ALICE, TENANT: "   "}), "invalid_tenant", id="blank-tenant"),
    pytest.param(_bearer({**ALICE, TENANT: 42}), "invalid_tenant", id="tenant-number"),
    pytest.param(_bearer({**ALICE, TENANT: ["acme", "globex"]}), "invalid_tenant", id="tenant-list"),
    pytest.param(_bearer({**ALICE, TENANT: "acme/../globex"}), "invalid_tenant", id="tenant-path"),
    pytest.param(_bearer({**ALICE, "sub": ""}), "invalid_user", id="empty-user"),
    pytest.param(_bearer({**ALICE, "cognito:groups": {"admin": True}}), "invalid_roles", id="roles-object"),
]


@pytest.mark.parametrize(("attack", "reason"), ATTACKS)
def test_verify_attack_token_refused_with_reason(
    verifier: JwtVerifier, trusted: TokenIssuer, attacker: TokenIssuer, attack: Attack, reason: str
) -> None:
    """Each attack is refused with a 401 and a reason that names what is wrong."""
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(attack(trusted, attacker))
    assert refused.value.reason == reason
    assert status_for(refused.value) == 401
    assert f"reason={reason}" in str(refused.value)
    assert ";" in refused.value.message  # what is wrong; how to fix it


@pytest.mark.parametrize("alg", [pytest.param("RS256", id="rs256"), pytest.param("ES256", id="es256")])
def test_verify_genuine_token_returns_context(verifier: JwtVerifier, trusted: TokenIssuer, alg: str) -> None:
    """A genuine token yields the tenant, user and roles of its claims."""
    claims = identity_claims("acme", "alice", roles=["agent", "supervisor"])
    context = verifier.verify(trusted.bearer(claims, alg=alg), request_id="req-1")
    assert context == TenantContext(
        tenant_id="acme", user_id="alice", roles=("agent", "supervisor"), request_id="req-1"
    )


def test_verify_no_request_id_generates_uuid(verifier: JwtVerifier, trusted: TokenIssuer) -> None:
    """Without a request id the context gets a fresh uuid."""
    first = verifier.verify(trusted.bearer(ALICE))
    second = verifier.verify(trusted.bearer(ALICE))
    assert uuid.UUID(first.request_id) != uuid.UUID(second.request_id)


def test_verify_lowercase_scheme_accepted(verifier: JwtVerifier, trusted: TokenIssuer) -> None:
    """The auth scheme is case-insensitive (RFC 7235), surrounding spaces are ignored."""
    assert verifier.verify("  bearer   " + trusted.token(ALICE) + " ").tenant_id == "acme"


def test_verify_expired_within_leeway_accepted(verifier: JwtVerifier, trusted: TokenIssuer) -> None:
    """A token expired a few seconds ago passes within the small clock-skew leeway."""
    assert verifier.verify(trusted.bearer(ALICE, expires_in=-3)).user_id == "alice"


def test_verify_audience_list_accepts_any(trusted: TokenIssuer) -> None:
    """A verifier with several audiences accepts a token for any one of them."""
    verifier = JwtVerifier(
        issuer=trusted.issuer,
        audience=["web", "mobile"],
        jwks_url="https://idp.test/jwks",
        fetch=_served(trusted),
    )
    assert verifier.verify(trusted.bearer(ALICE, audience="mobile")).tenant_id == "acme"


def test_verify_custom_claim_names_used(trusted: TokenIssuer) -> None:
    """Claim names come from the spec: another provider's tenant, user and roles claims work."""
    names = Claims(tenant="org_id", user="email", roles="groups")
    verifier = trusted.verifier(names)
    claims = {
        **identity_claims("globex", "bob@globex.test", ["approver"], claims_config=names),
        TENANT: "acme",  # the default claim name means nothing here
    }
    context = verifier.verify(trusted.bearer(claims))
    assert (context.tenant_id, context.user_id, context.roles) == ("globex", "bob@globex.test", ("approver",))


def _served(issuer: TokenIssuer, calls: list[str] | None = None) -> Callable[[str], dict[str, Any]]:
    def fetch(url: str) -> dict[str, Any]:
        if calls is not None:
            calls.append(url)
        return issuer.jwks()

    return fetch


def test_from_identity_spec_section_verifies(trusted: TokenIssuer) -> None:
    """A verifier built from the spec's identity section fetches the issuer's well-known JWKS."""
    calls: list[str] = []
    identity = Identity(issuer=trusted.issuer + "/", audience=trusted.audience)
    with pytest.raises(AuthenticationError) as refused:
        JwtVerifier.from_identity(identity, fetch=_served(trusted, calls)).verify(trusted.bearer(ALICE))
    assert refused.value.reason == "wrong_issuer"  # the trailing slash makes it another issuer
    identity = Identity(issuer=trusted.issuer, audience=trusted.audience)
    verifier = JwtVerifier.from_identity(identity, fetch=_served(trusted, calls))
    assert verifier.verify(trusted.bearer(ALICE)).tenant_id == "acme"
    assert calls == [f"{trusted.issuer}/.well-known/jwks.json"] * 2


def test_from_identity_without_issuer_raises() -> None:
    """A spec without issuer or audience cannot verify tokens and says which to set."""
    with pytest.raises(VerifierConfigError, match=r"identity\.issuer and identity\.audience"):
        JwtVerifier.from_identity(Identity(audience="app"))


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        pytest.param({"algorithms": ["HS256"]}, "unsupported=['HS256']", id="hmac-algorithm"),
        pytest.param({"algorithms": ["none"]}, "unsupported=['none']", id="none-algorithm"),
        pytest.param({"algorithms": []}, "algorithms must be among", id="no-algorithm"),
        pytest.param({"leeway_seconds": 3600}, "leeway_seconds=3600", id="long-leeway"),
        pytest.param({"leeway_seconds": -1}, "leeway_seconds=-1", id="negative-leeway"),
        pytest.param({"audience": ""}, "audience must name", id="empty-audience"),
        pytest.param({"audience": []}, "audience must name", id="no-audience"),
        pytest.param({"issuer": "acme"}, "issuer must be the issuer URL", id="issuer-not-url"),
        pytest.param({"jwks_url": "https://idp.test/jwks"}, "not both", id="keys-and-url"),
    ],
)
def test_verifier_weak_config_raises(trusted: TokenIssuer, options: dict[str, Any], problem: str) -> None:
    """A configuration that would weaken verification is refused at construction."""
    arguments: dict[str, Any] = {
        "issuer": trusted.issuer,
        "audience": trusted.audience,
        "keys": trusted.verifier().keys,
        **options,
    }
    with pytest.raises(VerifierConfigError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        JwtVerifier(**arguments)
