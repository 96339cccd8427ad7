"""Where a stack keeps tenant data (``ErasureTargets``), and the erasers for it (``build_erasers``).

A deployed stack names its stores in its ``erasure`` output (``pulumi stack output --json``):
``ErasureTargets.from_outputs`` reads it. The local stack's names come from the spec, as the local
stack derives them (``local_targets``). Every field is optional: a store the stack does not have
(no knowledge base, no OpenSearch) has no eraser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from governed_assistant.erasure.base import StoreEraser
from governed_assistant.erasure.exceptions import ErasureTargetsError

# The stack output holding the targets (governed_assistant.infra.program exports it).
OUTPUT_NAME: Final = "erasure"
# Step Functions keeps a closed Standard execution's history this long; nothing deletes it sooner.
EXECUTION_HISTORY_DAYS: Final = 90
# What AWS keeps without being asked (not settings of this stack; see each service's documentation).
DOMAIN_SNAPSHOT_DAYS: Final = 14
COLLECTION_SNAPSHOT_DAYS: Final = 14


@dataclass(frozen=True)
class ErasureTargets:
    """The stores of one stack that hold tenant data; None where the stack has no such store."""

    region: str | None = None
    jobs_table: str | None = None
    approvals_table: str | None = None
    idempotency_table: str | None = None
    usage_table: str | None = None
    state_machine_arn: str | None = None
    retrieval_backend: str = "none"
    documents_bucket: str | None = None
    knowledge_base_id: str | None = None
    data_source_id: str | None = None
    collection_endpoint: str | None = None
    vector_index: str | None = None
    db_cluster_arn: str | None = None
    db_owner_secret_arn: str | None = None
    db_name: str | None = None
    db_dsn: str | None = None
    """A direct PostgreSQL connection as the table owner (the local stack's)."""
    events_endpoint: str | None = None
    """The decision-event domain's endpoint (observability.opensearch)."""
    failed_events_bucket: str | None = None
    """Where Firehose keeps the decision events the domain could not index."""
    events_index: str = "decision-events-*"
    events_db: Path | None = None
    """The local stack's decision events file."""
    log_retention_days: int | None = None
    audit_bucket: str | None = None
    """The stack's audit archive: retained by design, never erased (Object Lock, COMPLIANCE mode)."""
    audit_retention_days: int | None = None
    backups: Mapping[str, int] = field(default_factory=dict)
    """Backup windows the stack sets: ``dynamodb_pitr_days``, ``aurora_backup_days``."""

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> ErasureTargets:
        """The targets in ``pulumi stack output --json``'s ``erasure`` output."""
        erasure = outputs.get(OUTPUT_NAME)
        if not isinstance(erasure, Mapping):
            raise ErasureTargetsError(
                f"The stack outputs have no {OUTPUT_NAME!r} object, keys={sorted(outputs)}; deploy the stack "
                "with this version of the governance package (make up), then run the erasure again"
            )
        retrieval = erasure.get("retrieval") or {}
        backend = str(erasure.get("retrieval_backend") or "none")
        return cls(
            region=erasure.get("region"),
            jobs_table=erasure.get("jobs_table"),
            approvals_table=erasure.get("approvals_table"),
            idempotency_table=erasure.get("idempotency_table"),
            usage_table=erasure.get("usage_table"),
            state_machine_arn=erasure.get("state_machine_arn"),
            retrieval_backend=backend,
            documents_bucket=retrieval.get("documents_bucket"),
            knowledge_base_id=retrieval.get("knowledge_base_id"),
            data_source_id=retrieval.get("data_source_id"),
            collection_endpoint=retrieval.get("collection_endpoint"),
            vector_index=retrieval.get("vector_index"),
            db_cluster_arn=retrieval.get("cluster_arn"),
            db_owner_secret_arn=retrieval.get("master_secret_arn"),
            db_name=retrieval.get("database"),
            events_endpoint=erasure.get("events_endpoint") or None,
            failed_events_bucket=erasure.get("failed_events_bucket") or None,
            events_index=str(erasure.get("events_index") or "decision-events-*"),
            log_retention_days=_days(erasure.get("log_retention_days")),
            audit_bucket=erasure.get("audit_bucket") or None,
            audit_retention_days=_days(erasure.get("audit_retention_days")),
            backups={name: int(days) for name, days in (erasure.get("backups") or {}).items()},
        )


def _days(value: Any) -> int | None:
    # JSON (and Pulumi's outputs) may hand a whole number back as 35.0.
    return None if value is None else int(value)


def retained(targets: ErasureTargets) -> list[str]:
    """Where the tenant's data stays after the erasure, and for how long (what the report lists)."""
    notes = []
    if targets.audit_bucket is not None:
        # Evidence of who approved what outlives a tenant's erasure by design: the lock refuses the
        # deletion to everyone, and the records are what an auditor asks for.
        notes.append(
            f"Audit archive: s3://{targets.audit_bucket} keeps the tenant's approval records "
            f"(approvals/<tenant>/) and decision events for {targets.audit_retention_days} days after each "
            "was written; Object Lock (COMPLIANCE) refuses every deletion until then, by design"
        )
    if targets.log_retention_days is not None:
        notes.append(
            "CloudWatch Logs: every function's log group (its decision events included) keeps them for "
            f"{targets.log_retention_days} days; CloudWatch cannot delete single log events"
        )
    if targets.state_machine_arn is not None and targets.events_db is None:
        notes.append(
            f"Step Functions: each execution's history (its input: the message and the context) stays "
            f"{EXECUTION_HISTORY_DAYS} days after it closed; no API deletes it"
        )
    pitr = targets.backups.get("dynamodb_pitr_days")
    if pitr:
        notes.append(
            f"DynamoDB point-in-time recovery: a restore to a time before now brings the tenant's jobs, "
            f"approvals, usage and idempotency records back, for {pitr} days"
        )
    aurora = targets.backups.get("aurora_backup_days")
    if aurora and targets.db_cluster_arn:
        notes.append(
            "Aurora automated backups: a restore to a time before now brings the chunks back, "
            f"for {aurora} days"
        )
    if targets.events_endpoint:
        notes.append(
            f"OpenSearch Service automated snapshots of the decision-event domain: hourly, kept "
            f"{DOMAIN_SNAPSHOT_DAYS} days by AWS"
        )
    if targets.collection_endpoint:
        notes.append(
            f"OpenSearch Serverless automatic snapshots of the vector collection: hourly, kept "
            f"{COLLECTION_SNAPSHOT_DAYS} days by AWS"
        )
    return notes


def build_erasers(
    targets: ErasureTargets,
    *,
    client: Callable[[str], Any],
    run_keys: Callable[[str], Iterable[str]],
    credentials: Any = None,
    db_session: Any = None,
) -> list[StoreEraser]:
    """One eraser per store in ``targets``, in the order they must run.

    ``client(service)`` makes a boto3 client (``session.client``); ``run_keys(tenant)`` lists the
    idempotency run keys of the spec's actions (``spec_run_keys``); ``credentials`` sign OpenSearch
    requests; ``db_session`` (a ``TenantSession`` as the table owner) overrides the one built from
    the targets.
    """
    from governed_assistant.erasure.stores.dynamodb import (
        ApprovalsEraser,
        IdempotencyEraser,
        JobsEraser,
        UsageEraser,
    )
    from governed_assistant.erasure.stores.executions import ExecutionsEraser

    erasers: list[StoreEraser] = []
    # Running executions stop first: a step still running would write records back.
    if targets.state_machine_arn:
        erasers.append(ExecutionsEraser(client("stepfunctions"), targets.state_machine_arn))
    if targets.jobs_table:
        dynamodb = client("dynamodb")
        jobs = JobsEraser(dynamodb, targets.jobs_table)
        # Before the jobs: the idempotency ids are computed from the tenant's job ids.
        if targets.idempotency_table:
            erasers.append(IdempotencyEraser(dynamodb, targets.idempotency_table, jobs.job_ids, run_keys))
        erasers.append(jobs)
    if targets.approvals_table:
        erasers.append(ApprovalsEraser(client("dynamodb"), targets.approvals_table))
    if targets.usage_table:
        erasers.append(UsageEraser(client("dynamodb"), targets.usage_table))
    erasers.extend(_retrieval_erasers(targets, client, credentials, db_session))
    if targets.events_endpoint:
        from governed_assistant.erasure.stores.search import SearchDocumentsEraser

        transport = _transport(targets.events_endpoint, targets, credentials, "es")
        erasers.append(
            SearchDocumentsEraser(transport, targets.events_index, f"decision events {targets.events_index}")
        )
    if targets.failed_events_bucket:
        from governed_assistant.erasure.stores.failed_events import FailedEventsEraser

        erasers.append(FailedEventsEraser(client("s3"), targets.failed_events_bucket))
    if targets.events_db is not None:
        from governed_assistant.erasure.stores.local_events import LocalEventsEraser

        erasers.append(LocalEventsEraser(targets.events_db))
    return erasers


def _retrieval_erasers(
    targets: ErasureTargets, client: Callable[[str], Any], credentials: Any, db_session: Any
) -> list[StoreEraser]:
    erasers: list[StoreEraser] = []
    if targets.documents_bucket:
        from governed_assistant.erasure.stores.documents import DocumentsEraser, KnowledgeBaseSync

        erasers.append(DocumentsEraser(client("s3"), targets.documents_bucket))
        if targets.knowledge_base_id and targets.data_source_id:
            erasers.append(
                KnowledgeBaseSync(client("bedrock-agent"), targets.knowledge_base_id, targets.data_source_id)
            )
    if targets.retrieval_backend == "opensearch" and targets.collection_endpoint and targets.vector_index:
        from governed_assistant.erasure.stores.search import SearchDocumentsEraser

        transport = _transport(targets.collection_endpoint, targets, credentials, "aoss")
        erasers.append(
            SearchDocumentsEraser(transport, targets.vector_index, f"vectors {targets.vector_index}")
        )
    session = db_session or _db_session(targets, client)
    if session is not None:
        from governed_assistant.erasure.stores.vectors import VectorRowsEraser

        where = targets.db_cluster_arn.rsplit(":", 1)[-1] if targets.db_cluster_arn else "PostgreSQL"
        erasers.append(VectorRowsEraser(session, where))
    return erasers


def _transport(endpoint: str, targets: ErasureTargets, credentials: Any, service: str) -> Any:
    from governed_assistant.runtime.retrieval.opensearch import SignedTransport

    if credentials is None or not targets.region:
        raise ErasureTargetsError(
            f"OpenSearch requests are signed, but credentials={'set' if credentials else 'None'} and "
            f"region={targets.region!r}; run with AWS credentials and a stack whose outputs name its region"
        )
    return SignedTransport(endpoint, credentials, targets.region, service=service)


def _db_session(targets: ErasureTargets, client: Callable[[str], Any]) -> Any:
    if targets.db_dsn:
        from governed_assistant.runtime.retrieval.postgres import PsycopgSession

        return PsycopgSession(targets.db_dsn)
    if targets.db_cluster_arn and targets.db_owner_secret_arn and targets.db_name:
        from governed_assistant.runtime.retrieval.data_api import DataApiSession

        return DataApiSession(
            client("rds-data"),
            cluster_arn=targets.db_cluster_arn,
            secret_arn=targets.db_owner_secret_arn,
            database=targets.db_name,
        )
    return None


def spec_run_keys(spec: Any) -> Callable[[str], list[str]]:
    """The idempotency run keys the spec's actions use (execute per step, compensate if reversible)."""
    from governed_assistant.runtime.idempotency.keys import run_key

    def keys(tenant_id: str) -> list[str]:
        found: list[str] = []
        for action in spec.actions:
            parts = list(action.steps) or [None]
            found.extend(run_key("execute", tenant_id, action.name, part) for part in parts)
            if action.reversible:
                found.append(run_key("compensate", tenant_id, action.name))
        return found

    return keys


def local_targets(
    spec: Any, project_dir: Path, *, moto: bool = False, dsn: str | None = None, state_dir: Path | None = None
) -> ErasureTargets:
    """The local stack's stores: its events file always; its tables and executions when ``moto``
    (a ``make dev`` still running); its pgvector rows when ``dsn`` (the owner's)."""
    from governed_assistant.local.constants import EVENTS_DB_FILE, STATE_DIR
    from governed_assistant.local.resources import local_state_machine_arn, local_table_names

    events_db = (state_dir or project_dir / STATE_DIR) / EVENTS_DB_FILE
    if not moto:
        return ErasureTargets(region=spec.region, events_db=events_db, db_dsn=dsn)
    tables, usage = local_table_names(spec)
    return ErasureTargets(
        region=spec.region,
        jobs_table=tables.jobs,
        approvals_table=tables.approvals,
        idempotency_table=tables.idempotency,
        usage_table=usage,
        state_machine_arn=local_state_machine_arn(spec),
        db_dsn=dsn,
        events_db=events_db,
    )
