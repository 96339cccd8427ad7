"""The JWKS cache fetches rarely, refetches once on a rotated key, and cannot be driven into a fetch storm."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from governed_assistant.handlers.http import status_for
from governed_assistant.runtime.identity import (
    AuthenticationError,
    JwksCache,
    JwksError,
    JwtVerifier,
    StaticJwks,
    fetch_jwks,
    signing_keys,
)
from governed_assistant.testing import TokenIssuer, identity_claims

ALICE = identity_claims("acme", "alice", roles=["agent"])
URL = "https://idp.test/.well-known/jwks.json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingFetch:
    """Serves whatever JWKS document it currently holds and counts the fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.calls = 0
        self.error: Exception | None = None

    def __call__(self, url: str) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.document


def _cache(fetch: CountingFetch, clock: FakeClock) -> JwksCache:
    return JwksCache(URL, fetch=fetch, ttl_seconds=600, refetch_interval_seconds=60, clock=clock)


def _verifier(issuer: TokenIssuer, cache: JwksCache) -> JwtVerifier:
    return JwtVerifier(issuer=issuer.issuer, audience=issuer.audience, keys=cache)


def _refusal(verifier: JwtVerifier, header: str) -> str:
    with pytest.raises(AuthenticationError) as refused:
        verifier.verify(header)
    return refused.value.reason


def test_jwks_cache_known_kid_fetches_once(trusted: TokenIssuer) -> None:
    """Tokens signed with known keys, RS256 or ES256, are verified from one fetch."""
    fetch, clock = CountingFetch(trusted.jwks()), FakeClock()
    verifier = _verifier(trusted, _cache(fetch, clock))
    for _ in range(5):
        verifier.verify(trusted.bearer(ALICE))
        verifier.verify(trusted.bearer(ALICE, alg="ES256"))
        clock.now += 100
    assert fetch.calls == 1


def test_jwks_cache_unknown_kid_refetches_at_most_once_per_interval(
    trusted: TokenIssuer, attacker: TokenIssuer
) -> None:
    """A flood of unknown kids causes at most one fetch per refetch interval."""
    fetch, clock = CountingFetch(trusted.jwks()), FakeClock()
    verifier = _verifier(trusted, _cache(fetch, clock))
    verifier.verify(trusted.bearer(ALICE))
    for index in range(50):
        assert _refusal(verifier, attacker.bearer(ALICE, kid=f"made-up-{index}")) == "unknown_kid"
    assert fetch.calls == 1  # the keys were fetched just now: no refetch yet
    clock.now += 61
    for index in range(50):
        assert _refusal(verifier, attacker.bearer(ALICE, kid=f"made-up-{index}")) == "unknown_kid"
    assert fetch.calls == 2
    clock.now += 61
    assert _refusal(verifier, attacker.bearer(ALICE)) == "unknown_kid"
    assert fetch.calls == 3


def test_jwks_cache_rotated_key_found_after_one_refetch(trusted: TokenIssuer) -> None:
    """After key rotation, the first token with the new kid triggers one refetch and verifies."""
    rotated = TokenIssuer(issuer=trusted.issuer, audience=trusted.audience)
    fetch, clock = CountingFetch(trusted.jwks()), FakeClock()
    verifier = _verifier(trusted, _cache(fetch, clock))
    verifier.verify(trusted.bearer(ALICE))
    fetch.document = {"keys": trusted.jwks()["keys"] + rotated.jwks()["keys"]}
    clock.now += 61
    assert verifier.verify(rotated.bearer(ALICE, alg="ES256")).tenant_id == "acme"
    assert verifier.verify(trusted.bearer(ALICE)).tenant_id == "acme"
    assert fetch.calls == 2


def test_jwks_cache_ttl_expired_refetches(trusted: TokenIssuer) -> None:
    """Keys older than the TTL are fetched again, even for a known kid."""
    fetch, clock = CountingFetch(trusted.jwks()), FakeClock()
    verifier = _verifier(trusted, _cache(fetch, clock))
    verifier.verify(trusted.bearer(ALICE))
    clock.now += 599
    verifier.verify(trusted.bearer(ALICE))
    assert fetch.calls == 1
    clock.now += 1
    verifier.verify(trusted.bearer(ALICE))
    assert fetch.calls == 2


def test_jwks_cache_failed_fetch_fails_closed_and_backs_off(trusted: TokenIssuer) -> None:
    """A failed fetch raises JwksError (503, not 401) and is retried only after a pause."""
    fetch, clock = CountingFetch(trusted.jwks()), FakeClock()
    fetch.error = OSError("connection refused")
    verifier = _verifier(trusted, _cache(fetch, clock))
    for _ in range(3):
        with pytest.raises(JwksError, match=r"url=https://idp\.test") as unavailable:
            verifier.verify(trusted.bearer(ALICE))
    assert status_for(unavailable.value) == 503
    assert fetch.calls == 1
    fetch.error = None
    clock.now += 5
    assert verifier.verify(trusted.bearer(ALICE)).tenant_id == "acme"
    assert fetch.calls == 2


def _jwk(trusted: TokenIssuer, key_alg: str = "RS256", /, **changes: Any) -> dict[str, Any]:
    key = next(key for key in trusted.jwks()["keys"] if key["alg"] == key_alg)
    return {name: value for name, value in {**key, **changes}.items() if value is not None}


@pytest.mark.parametrize(
    "document",
    [
        pytest.param([], id="not-an-object"),
        pytest.param({}, id="no-keys"),
        pytest.param({"keys": "abc"}, id="keys-not-a-list"),
        pytest.param({"keys": []}, id="empty-keys"),
        pytest.param({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}, id="symmetric-key-only"),
        pytest.param({"keys": [{"kty": "RSA", "kid": "broken", "n": "AQAB"}]}, id="broken-key"),
        pytest.param({"keys": ["RS256"]}, id="key-not-an-object"),
    ],
)
def test_signing_keys_unusable_document_raises(document: Any) -> None:
    """A JWKS without a usable public signing key is a JwksError, never an empty key set."""
    with pytest.raises(JwksError, match="JWKS document"):
        signing_keys(document)


@pytest.mark.parametrize(
    ("changes", "kept"),
    [
        pytest.param({"use": "enc"}, False, id="encryption-key"),
        pytest.param({"kid": None}, False, id="no-kid"),
        pytest.param({"kid": ""}, False, id="empty-kid"),
        pytest.param({"d": "private-part"}, False, id="private-key"),
        pytest.param({"use": None}, True, id="no-use"),
        pytest.param({"alg": None}, True, id="alg-inferred-from-kty"),
    ],
)
def test_signing_keys_filters_unsafe_keys(trusted: TokenIssuer, changes: dict[str, Any], kept: bool) -> None:
    """Encryption keys, private keys and keys without a kid are skipped; the rest are kept."""
    document = {"keys": [_jwk(trusted, **changes), _jwk(trusted, "ES256")]}
    keys = signing_keys(document)
    assert (trusted.kid_for("RS256") in keys) is kept
    assert trusted.kid_for("ES256") in keys


def test_signing_keys_algorithms_restrict_keys(trusted: TokenIssuer) -> None:
    """Keys for algorithms the verifier does not allow are not trusted."""
    assert list(signing_keys(trusted.jwks(), algorithms=["ES256"])) == [trusted.kid_for("ES256")]


def test_static_jwks_unknown_kid_refused(trusted: TokenIssuer) -> None:
    """An in-memory key set refuses a kid it does not hold."""
    with pytest.raises(AuthenticationError) as refused:
        StaticJwks(trusted.jwks()).key("nope")
    assert refused.value.reason == "unknown_kid"


@pytest.fixture
def jwks_server(trusted: TokenIssuer) -> Iterator[str]:
    """A local HTTP server publishing the trusted issuer's JWKS."""
    body = json.dumps(trusted.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if found else b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_jwks_local_server_verifies(trusted: TokenIssuer, jwks_server: str) -> None:
    """The default urllib fetch reads a JWKS served over http on localhost."""
    verifier = JwtVerifier(
        issuer=trusted.issuer, audience=trusted.audience, jwks_url=f"{jwks_server}/.well-known/jwks.json"
    )
    assert verifier.verify(trusted.bearer(ALICE)).tenant_id == "acme"


def test_fetch_jwks_missing_document_raises(jwks_server: str) -> None:
    """An HTTP error from the JWKS URL is a JwksError that names the URL."""
    with pytest.raises(JwksError, match=r"url=http://127\.0\.0\.1"):
        fetch_jwks(f"{jwks_server}/missing.json")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://idp.example.com/jwks.json", id="plain-http-remote"),
        pytest.param("file:///etc/passwd", id="file-scheme"),
        pytest.param("ftp://idp.example.com/jwks.json", id="ftp-scheme"),
    ],
)
def test_fetch_jwks_insecure_url_refused(url: str) -> None:
    """Keys are fetched over https only (plain http only on localhost), so no one can swap them in transit."""
    with pytest.raises(JwksError, match="must use https"):
        fetch_jwks(url)
