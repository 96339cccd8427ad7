"""Both job stores record jobs under tenant keys, hide them from everyone else, and guard transitions."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.contracts import JobStatus, TenantContext
from governed_assistant.runtime.jobs import (
    DynamoDBJobStore,
    InvalidTransitionError,
    JobExistsError,
    JobNotFoundError,
    JobStore,
)
from job_fakes import ADMIN_ROLES, FakeClock, context

ALICE = context("acme", "alice", "agent")
ALICE_ADMIN = context("acme", "ann", "agent", "tenant-admin")
BOB = context("acme", "bob", "agent")
MALLORY = context("globex", "alice", "agent")
MALLORY_ADMIN = context("globex", "mallory", "tenant-admin")


def test_create_new_job_is_accepted_for_its_tenant_and_user(store: JobStore, clock: FakeClock) -> None:
    """A new job is accepted, stamped now, and owned by the context's tenant, user and roles."""
    job = store.create(ALICE, stage="guardrail_input")
    assert (job.status, job.stage, job.tenant_id, job.user_id, job.roles) == (
        "accepted",
        "guardrail_input",
        "acme",
        "alice",
        ALICE.roles,
    )
    assert job.roles, "the fixture's context has roles, so an empty tuple would prove nothing"
    assert job.created_at == job.updated_at == clock.now
    assert len(job.job_id) == 32
    assert store.get(ALICE, job.job_id) == job


def test_create_taken_id_raises_exists(store: JobStore) -> None:
    """A second job with the same id in the same tenant is refused."""
    store.create(ALICE, job_id="job-1")
    with pytest.raises(JobExistsError, match="job_id=job-1"):
        store.create(BOB, job_id="job-1")


def test_create_same_id_other_tenant_is_separate(store: JobStore) -> None:
    """The same job id in two tenants names two different jobs."""
    ours = store.create(ALICE, job_id="job-1")
    theirs = store.create(MALLORY, job_id="job-1")
    assert store.get(ALICE, "job-1") == ours
    assert store.get(MALLORY, "job-1") == theirs


def test_get_same_tenant_admin_returns_job(store: JobStore) -> None:
    """An admin of the job's tenant reads another user's job."""
    job = store.create(ALICE)
    assert store.get(ALICE_ADMIN, job.job_id, admin_roles=ADMIN_ROLES) == job


@pytest.mark.parametrize(
    ("reader", "admin_roles"),
    [
        pytest.param(MALLORY, (), id="other-tenant-same-user-id"),
        pytest.param(MALLORY_ADMIN, ADMIN_ROLES, id="other-tenant-admin"),
        pytest.param(BOB, ADMIN_ROLES, id="same-tenant-non-admin-other-user"),
        pytest.param(ALICE_ADMIN, (), id="admin-role-not-passed-in"),
    ],
)
def test_get_attack_raises_not_found(
    store: JobStore, reader: TenantContext, admin_roles: tuple[str, ...]
) -> None:
    """A job is invisible to another tenant (admins too) and to a non-admin other user of its tenant."""
    job = store.create(ALICE)
    with pytest.raises(JobNotFoundError) as refused:
        store.get(reader, job.job_id, admin_roles=admin_roles)
    assert str(refused.value) == str(JobNotFoundError(job.job_id))


@pytest.mark.parametrize(
    "job_id",
    [
        pytest.param("globex#{job_id}", id="separator"),
        pytest.param("../{job_id}", id="path"),
        pytest.param("", id="empty"),
        pytest.param("{job_id}" * 3, id="too-long"),
        pytest.param("{job_id}\n", id="newline"),
    ],
)
def test_get_crafted_id_raises_not_found(store: JobStore, job_id: str) -> None:
    """An id the store could not have issued is simply not found, never a different error to probe."""
    job = store.create(ALICE)
    with pytest.raises(JobNotFoundError):
        store.get(ALICE, job_id.format(job_id=job.job_id))


def test_get_other_tenants_job_looks_like_missing_job(store: JobStore) -> None:
    """Another tenant's job and a job that does not exist raise the same error with the same shape."""
    job = store.create(ALICE, job_id="job-1")
    with pytest.raises(JobNotFoundError) as theirs:
        store.get(MALLORY, job.job_id)
    store.create(ALICE, job_id="job-2")
    with pytest.raises(JobNotFoundError) as missing:
        store.get(MALLORY, "job-3")
    assert str(theirs.value).replace("job-1", "X") == str(missing.value).replace("job-3", "X")


def test_transition_happy_path_reaches_complete_with_result(store: JobStore, clock: FakeClock) -> None:
    """A job moves accepted, processing, awaiting_approval, processing, complete, keeping its result."""
    job = store.create(ALICE)
    steps: list[tuple[JobStatus, str]] = [
        ("processing", "gate"),
        ("awaiting_approval", "approval_requested"),
        ("processing", "execute"),
    ]
    for status, stage in steps:
        clock.advance(1)
        moved = store.transition("acme", job.job_id, status, stage)
        assert (moved.status, moved.stage, moved.updated_at) == (status, stage, clock.now)
    done = store.transition("acme", job.job_id, "complete", "complete", result={"summary": "done", "n": 2})
    assert done.result == {"summary": "done", "n": 2}
    assert store.get(ALICE, job.job_id) == done
    assert done.created_at == job.created_at


def test_transition_failure_records_error(store: JobStore) -> None:
    """A failed job keeps the error it failed with."""
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "processing", "execute")
    failed = store.transition("acme", job.job_id, "failed", "execute", error="Timeout: upstream")
    assert (failed.status, failed.error) == ("failed", "Timeout: upstream")


@pytest.mark.parametrize("terminal", ["complete", "failed", "rejected"])
@pytest.mark.parametrize(
    "target", [pytest.param(status, id=f"to-{status}") for status in ("processing", "complete", "accepted")]
)
def test_transition_terminal_job_moved_again_raises_invalid_transition(
    store: JobStore, terminal: JobStatus, target: JobStatus
) -> None:
    """A terminal job never changes: not back to processing, not even to another terminal status."""
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "processing", "execute")
    final = store.transition("acme", job.job_id, terminal, "complete", result={"ok": True})
    with pytest.raises(InvalidTransitionError, match=f"current={terminal} target={target}") as refused:
        store.transition("acme", job.job_id, target, "execute", result={"ok": False})
    assert refused.value.current == terminal
    assert store.load("acme", job.job_id) == final


@pytest.mark.parametrize(
    ("path", "target"),
    [
        pytest.param((), "complete", id="accepted-to-complete"),
        pytest.param((), "awaiting_approval", id="accepted-to-awaiting-approval"),
        pytest.param(("processing", "awaiting_approval"), "complete", id="awaiting-approval-to-complete"),
        pytest.param(("processing",), "accepted", id="processing-to-accepted"),
    ],
)
def test_transition_skipping_a_step_raises_invalid_transition(
    store: JobStore, path: tuple[JobStatus, ...], target: JobStatus
) -> None:
    """A job cannot skip processing or an approval, nor go back to accepted."""
    job = store.create(ALICE)
    for status in path:
        store.transition("acme", job.job_id, status, "step")
    with pytest.raises(InvalidTransitionError):
        store.transition("acme", job.job_id, target, "step")


@pytest.mark.parametrize(
    ("tenant", "job_id"),
    [pytest.param("globex", None, id="other-tenant"), pytest.param("acme", "missing", id="missing-job")],
)
def test_transition_unknown_job_raises_not_found(store: JobStore, tenant: str, job_id: str | None) -> None:
    """A step cannot move a job its tenant does not own, nor create one by moving it."""
    job = store.create(ALICE)
    with pytest.raises(JobNotFoundError):
        store.transition(tenant, job_id or job.job_id, "processing", "gate")
    with pytest.raises(JobNotFoundError):
        store.set_stage(tenant, job_id or job.job_id, "gate")
    assert store.load("acme", job.job_id) == job


def test_set_stage_keeps_status_and_records_progress(store: JobStore, clock: FakeClock) -> None:
    """A stage update records progress without a status change."""
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "processing", "execute")
    clock.advance(5)
    moved = store.set_stage("acme", job.job_id, "execute:2/3")
    assert (moved.status, moved.stage, moved.updated_at) == ("processing", "execute:2/3", clock.now)
    assert store.get(ALICE, job.job_id) == moved


def test_set_stage_terminal_job_raises_invalid_transition(store: JobStore) -> None:
    """A finished job's stage is as final as its status."""
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "rejected", "gate")
    with pytest.raises(InvalidTransitionError, match="current=rejected"):
        store.set_stage("acme", job.job_id, "execute")


def test_dynamodb_item_key_starts_with_tenant(dynamodb: Any, clock: FakeClock) -> None:
    """The DynamoDB item is keyed <tenant>#<job>, sk "job", with a TTL in epoch seconds."""
    store = DynamoDBJobStore(dynamodb, clock=clock, retention_seconds=60)
    job = store.create(ALICE)
    items = dynamodb.scan(TableName=store.table_name)["Items"]
    assert [(item["pk"]["S"], item["sk"]["S"]) for item in items] == [(f"acme#{job.job_id}", "job")]
    assert items[0]["expiresAt"]["N"] == str(int(clock.now.timestamp()) + 60)


def test_dynamodb_concurrent_writer_cannot_reopen_finished_job(dynamodb: Any, clock: FakeClock) -> None:
    """When another writer finished the job first, a stale writer's transition is refused."""
    store = DynamoDBJobStore(dynamodb, clock=clock)
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "processing", "execute")
    # Another step (another process) completes the job behind this writer's back.
    DynamoDBJobStore(dynamodb, clock=clock).transition("acme", job.job_id, "complete", "complete")
    with pytest.raises(InvalidTransitionError, match="current=complete target=awaiting_approval"):
        store.transition("acme", job.job_id, "awaiting_approval", "approval_requested")
