"""Fixtures for the identity tests: a trusted issuer, an attacker with keys of its own, a verifier."""

from __future__ import annotations

import pytest
from governed_assistant.runtime.identity import JwtVerifier
from governed_assistant.testing import TokenIssuer


@pytest.fixture(scope="session")
def trusted() -> TokenIssuer:
    """The identity provider the verifier trusts."""
    return TokenIssuer()


@pytest.fixture(scope="session")
def attacker() -> TokenIssuer:
    """Another issuer with the same issuer URL and audience, but keys the verifier does not trust."""
    return TokenIssuer()


@pytest.fixture(scope="session")
def verifier(trusted: TokenIssuer) -> JwtVerifier:
    return trusted.verifier()
