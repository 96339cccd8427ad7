"""The dev issuer: persistent keys, tokens under the spec's claim names, refusals with reasons."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from governed_assistant.local.issuer import DevIssuer, local_audience
from governed_assistant.runtime.identity import AuthenticationError

from tests.local.conftest import spec_with

ISSUER = "http://127.0.0.1:8080"


def _issuer(state_dir: Path) -> DevIssuer:
    return DevIssuer.for_spec(spec_with(), state_dir, issuer=ISSUER)


def test_token_valid_verifies_to_its_tenant_user_and_roles(tmp_path: Path) -> None:
    """A dev token verifies and names the tenant, user and roles it was made for."""
    issuer = _issuer(tmp_path)
    context = issuer.verifier().verify(f"Bearer {issuer.token('acme', 'alice', ['agent', 'supervisor'])}")
    assert (context.tenant_id, context.user_id, context.roles) == ("acme", "alice", ("agent", "supervisor"))


def test_token_claims_use_the_spec_claim_names(tmp_path: Path) -> None:
    """The tenant, user and roles travel under identity.claims' names, for the spec's audience."""
    issuer = _issuer(tmp_path)
    claims = issuer.verifier().verified_claims(f"Bearer {issuer.token('acme', 'alice', ['agent'])}")
    names = spec_with().identity.claims
    assert (
        claims[names.tenant] == "acme" and claims[names.user] == "alice" and claims[names.roles] == ["agent"]
    )
    assert claims["iss"] == ISSUER and claims["aud"] == local_audience(spec_with())


def test_token_tampered_payload_is_refused_as_bad_signature(tmp_path: Path) -> None:
    """A token whose payload was edited (another tenant) is refused with reason bad_signature."""
    issuer = _issuer(tmp_path)
    header, payload, signature = issuer.token("acme", "alice", ["agent"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["custom:tenantId"] = "globex"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(AuthenticationError) as refused:
        issuer.verifier().verify(f"Bearer {header}.{forged}.{signature}")
    assert refused.value.reason == "bad_signature"


def test_token_expired_is_refused_as_expired(tmp_path: Path) -> None:
    """A token past its lifetime is refused with reason expired."""
    issuer = _issuer(tmp_path)
    with pytest.raises(AuthenticationError) as refused:
        issuer.verifier().verify(f"Bearer {issuer.token('acme', 'alice', expires_in=-60)}")
    assert refused.value.reason == "expired"


def test_issuer_restarted_keeps_its_key_so_old_tokens_verify(tmp_path: Path) -> None:
    """A second issuer on the same state directory reuses the key: earlier tokens still verify."""
    token = _issuer(tmp_path).token("acme", "alice", ["agent"])
    again = _issuer(tmp_path)
    assert again.verifier().verify(f"Bearer {token}").tenant_id == "acme"
    assert (tmp_path / "dev-issuer-key.pem").stat().st_mode & 0o077 == 0


def test_issuer_other_state_dir_is_a_different_key(tmp_path: Path) -> None:
    """An issuer with another key refuses the first one's tokens (unknown kid)."""
    token = _issuer(tmp_path / "one").token("acme", "alice")
    with pytest.raises(AuthenticationError) as refused:
        _issuer(tmp_path / "two").verifier().verify(f"Bearer {token}")
    assert refused.value.reason == "unknown_kid"
