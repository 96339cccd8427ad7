"""The retrieval store's setup function: run on deploy by ``aws.lambda_.Invocation``.

- ``backend: pgvector`` (``governed_assistant.infra.pgvector``): applies the row-level-security
  schema as the table owner through the RDS Data API, in one transaction; then gives the
  reader role a fresh password and writes it into the reader's secret, the only secret the
  reason function may read.
- ``backend: opensearch`` (``governed_assistant.infra.retrieval``, with or without a knowledge base):
  creates the vector index with the tenant field as a keyword, if it is missing.

Idempotent: the Invocation runs it again whenever its input (the schema's SHA-256) changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any

from governed_assistant.handlers.exceptions import StepInputError
from governed_assistant.handlers.logs import LOGGER
from governed_assistant.handlers.tracing import TRACER
from governed_assistant.runtime.retrieval.constants import READER_ROLE, TENANT_FIELD
from governed_assistant.runtime.retrieval.data_api import DataApiSession
from governed_assistant.runtime.retrieval.migration import apply_migration
from governed_assistant.runtime.retrieval.opensearch import SignedTransport, ensure_index

STEP = "retrieval_setup"


@dataclass
class SetupClients:
    """What the setup talks to; tests pass stubbed clients."""

    boto3_session: Any

    def client(self, name: str) -> Any:
        return self.boto3_session.client(name)


def _field(event: dict[str, Any], name: str, kind: type = str) -> Any:
    value = event.get(name)
    if not isinstance(value, kind) or (kind is str and not value):
        raise StepInputError(STEP, name, f"expected a non-empty {kind.__name__}, got {type(value).__name__}")
    return value


def setup_pgvector(event: dict[str, Any], rds_data: Any, secretsmanager: Any) -> dict[str, Any]:
    sql = _field(event, "sql")
    digest = hashlib.sha256(sql.encode()).hexdigest()
    if event.get("sqlSha256") not in (None, digest):
        raise StepInputError(STEP, "sqlSha256", f"does not match the SQL sent, computed={digest}")
    dimensions = _field(event, "dimensions", int)
    reader_role = event.get("readerRole") or READER_ROLE
    database = _field(event, "database")
    owner = DataApiSession(
        rds_data,
        cluster_arn=_field(event, "clusterArn"),
        secret_arn=_field(event, "secretArn"),
        database=database,
    )
    applied = apply_migration(owner, dimensions=dimensions, reader_role=reader_role, sql=sql)
    # token_urlsafe is [A-Za-z0-9_-] only, so the literal needs no quoting (ALTER ROLE binds no parameters).
    password = secrets.token_urlsafe(32)
    owner.run_in_transaction([f"ALTER ROLE {reader_role} WITH LOGIN PASSWORD '{password}'"])
    secretsmanager.put_secret_value(
        SecretId=_field(event, "readerSecretArn"),
        SecretString=json.dumps(
            {"engine": "postgres", "username": reader_role, "password": password, "dbname": database}
        ),
    )
    return {
        "backend": "pgvector",
        "appliedSha256": applied,
        "dimensions": dimensions,
        "readerRole": reader_role,
    }


def setup_opensearch(event: dict[str, Any], transport: SignedTransport) -> dict[str, Any]:
    tenant_field = event.get("tenantField", TENANT_FIELD)
    if tenant_field != TENANT_FIELD:
        raise StepInputError(
            STEP, "tenantField", f"the runtime filters on {TENANT_FIELD}, got {tenant_field}"
        )
    index = _field(event, "index")
    created = ensure_index(transport, index, _field(event, "dimensions", int))
    return {"backend": "opensearch", "index": index, "created": created}


def setup(event: dict[str, Any], clients: SetupClients) -> dict[str, Any]:
    backend = event.get("backend")
    if backend == "pgvector":
        return setup_pgvector(event, clients.client("rds-data"), clients.client("secretsmanager"))
    if backend == "opensearch":
        session = clients.boto3_session
        region = session.region_name or os.environ.get("AWS_REGION", "")
        transport = SignedTransport(_field(event, "endpoint"), session.get_credentials(), region)
        return setup_opensearch(event, transport)
    raise StepInputError(STEP, "backend", f"expected 'pgvector' or 'opensearch', got {backend!r}")


@LOGGER.inject_lambda_context
@TRACER.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

    return setup(event, SetupClients(boto3.session.Session()))
