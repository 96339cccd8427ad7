"""The issuer's public signing keys: fetched from its JWKS URL and cached, or held in memory."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jwt import PyJWK, PyJWKSet, PyJWTError

from governed_assistant.errors import shown
from governed_assistant.runtime.identity.base import JwksFetch
from governed_assistant.runtime.identity.constants import (
    ALLOWED_ALGORITHMS,
    DEFAULT_FETCH_TIMEOUT_SECONDS,
    DEFAULT_JWKS_TTL_SECONDS,
    DEFAULT_REFETCH_INTERVAL_SECONDS,
    DEFAULT_RETRY_AFTER_FAILURE_SECONDS,
    MAX_JWKS_BYTES,
)
from governed_assistant.runtime.identity.exceptions import AuthenticationError, JwksError

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def fetch_jwks(url: str, *, timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS) -> dict[str, Any]:
    """GET the JWKS document at ``url`` with urllib: https only (plain http only for localhost)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        raise JwksError(f"JWKS URL must use https (http only for localhost), url={url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:  # noqa: S310 - scheme checked above
            body = response.read(MAX_JWKS_BYTES + 1)
    except (OSError, ValueError) as error:
        raise JwksError(f"Cannot fetch the JWKS, url={url}, error={error}; check the issuer URL") from error
    if len(body) > MAX_JWKS_BYTES:
        raise JwksError(f"JWKS document is larger than {MAX_JWKS_BYTES} bytes, url={url}")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise JwksError(f"JWKS document is not JSON, url={url}, error={error}") from error
    if not isinstance(document, dict):
        raise JwksError(f"JWKS document is not a JSON object, url={url}")
    return document


def signing_keys(
    document: Mapping[str, Any], algorithms: Sequence[str] = ALLOWED_ALGORITHMS
) -> dict[str, PyJWK]:
    """The usable public signing keys of a JWKS document, by ``kid``.

    Skips keys without a kid, keys for encryption (``use: enc``), private keys and keys whose
    algorithm is not allowed (symmetric ``oct`` keys among them).
    """
    raw_keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(raw_keys, list):
        raise JwksError("JWKS document has no 'keys' list; point the verifier at the issuer's jwks.json")
    candidates = [
        key
        for key in raw_keys
        if isinstance(key, dict) and "d" not in key and key.get("use", "sig") == "sig"
        and isinstance(key.get("kid"), str) and key["kid"]
    ]  # fmt: skip
    usable: dict[str, PyJWK] = {}
    if candidates:
        try:
            key_set = PyJWKSet(candidates)
        except PyJWTError:
            key_set = None
        for key in key_set or ():
            if key.algorithm_name in algorithms and isinstance(key.key_id, str):
                usable.setdefault(key.key_id, key)
    if not usable:
        raise JwksError(
            f"JWKS document holds no usable signing key, keys={len(raw_keys)}, "
            f"algorithms={list(algorithms)}; publish public RSA (RS256) or P-256 (ES256) keys with a kid"
        )
    return usable


def unknown_kid(kid: str) -> AuthenticationError:
    """The refusal for a token signed with a key the issuer does not publish."""
    return AuthenticationError(
        "unknown_kid",
        f"Token is signed with a key the issuer does not publish, kid={shown(kid)}; sign in again, or "
        "check that identity.issuer names the identity provider that issued the token",
    )


class StaticJwks:
    """Keys from a JWKS document you already hold (tests, the local stack); never fetches."""

    def __init__(
        self, document: Mapping[str, Any], *, algorithms: Sequence[str] = ALLOWED_ALGORITHMS
    ) -> None:
        self._keys = signing_keys(document, algorithms)

    def key(self, kid: str) -> PyJWK:
        found = self._keys.get(kid)
        if found is None:
            raise unknown_kid(kid)
        return found


class JwksCache:
    """Keys fetched from a JWKS URL and cached for ``ttl_seconds``.

    A token whose kid is not cached triggers one refetch (the issuer may have rotated its keys),
    but there is never more than one fetch per ``refetch_interval_seconds``: a stream of made-up
    kids cannot turn into a fetch storm. A failed fetch is retried after
    ``retry_after_failure_seconds``; until then requests fail with ``JwksError`` (fail closed).
    """

    def __init__(
        self,
        url: str,
        *,
        fetch: JwksFetch = fetch_jwks,
        ttl_seconds: float = DEFAULT_JWKS_TTL_SECONDS,
        refetch_interval_seconds: float = DEFAULT_REFETCH_INTERVAL_SECONDS,
        retry_after_failure_seconds: float = DEFAULT_RETRY_AFTER_FAILURE_SECONDS,
        algorithms: Sequence[str] = ALLOWED_ALGORITHMS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._fetch = fetch
        self._ttl = max(ttl_seconds, refetch_interval_seconds)
        self._refetch_interval = refetch_interval_seconds
        self._retry_after_failure = retry_after_failure_seconds
        self._algorithms = tuple(algorithms)
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._next_fetch_at = float("-inf")
        self._failure: JwksError | None = None

    def key(self, kid: str) -> PyJWK:
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl:
                self._refresh(now)
            found = self._keys.get(kid)
            if found is None and now >= self._next_fetch_at:
                self._refresh(now)
                found = self._keys.get(kid)
            if found is None:
                raise unknown_kid(kid)
            return found

    def _refresh(self, now: float) -> None:
        if self._failure is not None and now < self._next_fetch_at:
            raise JwksError(
                f"JWKS unavailable, url={self.url}, retry_in_seconds={self._next_fetch_at - now:.1f}; "
                f"last error: {self._failure}"
            ) from self._failure
        try:
            keys = signing_keys(self._fetch(self.url), self._algorithms)
        except JwksError as error:
            self._fail(now, error)
            raise
        except Exception as error:  # the fetch is pluggable: any failure means no keys, so fail closed
            failure = JwksError(
                f"Cannot fetch the JWKS, url={self.url}, error={error!r}; check the issuer URL"
            )
            self._fail(now, failure)
            raise failure from error
        self._keys = keys
        self._fetched_at = now
        self._failure = None
        self._next_fetch_at = now + self._refetch_interval

    def _fail(self, now: float, failure: JwksError) -> None:
        self._failure = failure
        self._next_fetch_at = now + self._retry_after_failure
