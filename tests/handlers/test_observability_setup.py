"""The search domain's setup against a local HTTP server standing in for OpenSearch: signed, idempotent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import urllib3
from governed_assistant.handlers.observability_setup import (
    SearchSetupError,
    SignedClient,
    apply,
    master_credentials,
)
from governed_assistant.infra.decision_index import (
    INDEX_PREFIX,
    ISM_POLICY_ID,
    WRITER_ROLE,
    decision_index_template,
    ism_policy,
    writer_role,
)
from moto import mock_aws

REGION = "us-east-1"
MASTER = "arn:aws:iam::123456789012:role/search-master"
FIREHOSE_ROLE = "arn:aws:iam::123456789012:role/delivery"


@dataclass
class FakeDomain:
    """What the server received and holds: requests in order, documents by path."""

    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    documents: dict[str, Any] = field(default_factory=dict)
    seq_no: int = 0
    refuse: str | None = None


def serve(domain: FakeDomain) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            domain.requests.append(("GET", self.path, dict(self.headers), None))
            document = domain.documents.get(self.path)
            if document is None:
                self._answer(404, {"error": "not found"})
                return
            # OpenSearch adds its bookkeeping to what it stored.
            policy = {**document["policy"], "policy_id": ISM_POLICY_ID, "last_updated_time": 1}
            self._answer(
                200, {"_id": ISM_POLICY_ID, "_seq_no": domain.seq_no, "_primary_term": 1, "policy": policy}
            )

        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            domain.requests.append(("PUT", self.path, dict(self.headers), body))
            if domain.refuse and domain.refuse in self.path:
                self._answer(403, {"error": "no permissions"})
                return
            path = self.path.split("?", 1)[0]
            if path in domain.documents and "_ism" in path and "if_seq_no" not in self.path:
                self._answer(409, {"error": "version_conflict_engine_exception"})
                return
            domain.documents[path] = body
            domain.seq_no += 1
            self._answer(200, {"acknowledged": True})

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def domain() -> Iterator[tuple[FakeDomain, str]]:
    state = FakeDomain()
    server = ThreadingHTTPServer(("127.0.0.1", 0), serve(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def client(domain: tuple[FakeDomain, str]) -> Iterator[SignedClient]:
    with mock_aws():
        credentials = master_credentials(boto3.client("sts", region_name=REGION), MASTER)
        pool = urllib3.PoolManager()
        yield SignedClient(domain[1], credentials, REGION, pool)
        pool.clear()


def setup_input(retention_days: int = 30) -> dict[str, Any]:
    """The Invocation's input, built the way governed_assistant.infra.search_domain builds it."""
    return {
        "indexTemplate": {"name": INDEX_PREFIX, "body": decision_index_template(0)},
        "ismPolicy": {"id": ISM_POLICY_ID, "body": ism_policy(retention_days)},
        "roles": {WRITER_ROLE: writer_role()},
        "endpoint": "search-events.us-east-1.es.amazonaws.com",
        "masterRoleArn": MASTER,
        "roleMappings": {WRITER_ROLE: {"backend_roles": [FIREHOSE_ROLE]}},
    }


def test_setup_applies_template_policy_role_and_mapping(
    domain: tuple[FakeDomain, str], client: SignedClient
) -> None:
    """The first run PUTs each document to its OpenSearch API path, with the documents as given."""
    state, _ = domain
    done = apply(setup_input(), client)
    assert done["ismPolicy"] == "created"
    assert state.documents == {
        f"/_index_template/{INDEX_PREFIX}": decision_index_template(0),
        f"/_plugins/_ism/policies/{ISM_POLICY_ID}": ism_policy(30),
        f"/_plugins/_security/api/roles/{WRITER_ROLE}": writer_role(),
        f"/_plugins/_security/api/rolesmapping/{WRITER_ROLE}": {"backend_roles": [FIREHOSE_ROLE]},
    }


def test_every_request_is_signed_for_es_with_the_master_session(
    domain: tuple[FakeDomain, str], client: SignedClient
) -> None:
    """Each request carries a SigV4 signature for service es in the region, and the session token."""
    state, _ = domain
    apply(setup_input(), client)
    assert state.requests
    for _, path, headers, _ in state.requests:
        authorization = headers["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential="), path
        assert f"/{REGION}/es/aws4_request" in authorization, path
        assert "SignedHeaders=" in authorization and "Signature=" in authorization, path
        assert headers["X-Amz-Security-Token"], path


def test_setup_is_idempotent_and_updates_a_changed_policy_with_its_sequence_number(
    domain: tuple[FakeDomain, str], client: SignedClient
) -> None:
    """A rerun changes nothing; a new retention updates the ISM policy with if_seq_no/if_primary_term."""
    state, _ = domain
    apply(setup_input(), client)
    before = dict(state.documents)
    assert apply(setup_input(), client)["ismPolicy"] == "unchanged"
    assert state.documents == before
    assert apply(setup_input(retention_days=90), client)["ismPolicy"] == "updated"
    (update,) = [path for method, path, _, _ in state.requests if method == "PUT" and "if_seq_no" in path]
    assert "if_primary_term=1" in update
    assert state.documents[f"/_plugins/_ism/policies/{ISM_POLICY_ID}"] == ism_policy(90)


def test_refused_request_fails_the_deploy_with_its_path(
    domain: tuple[FakeDomain, str], client: SignedClient
) -> None:
    """A 403 from the domain raises, naming the path and status, so `pulumi up` stops there."""
    state, _ = domain
    state.refuse = "rolesmapping"
    with pytest.raises(SearchSetupError, match=r"path=_plugins/_security/api/rolesmapping/.*status=403"):
        apply(setup_input(), client)


def test_missing_document_is_reported_by_name(client: SignedClient) -> None:
    """An input without the index template names the field and how to rebuild it."""
    document = setup_input()
    del document["indexTemplate"]
    with pytest.raises(SearchSetupError, match="field=indexTemplate"):
        apply(document, client)
