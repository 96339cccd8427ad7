"""Both job stores keep each job's progress: one entry per change, appended with the change itself."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.runtime.jobs import (
    DynamoDBJobStore,
    InvalidTransitionError,
    JobNotFoundError,
    JobStore,
)
from job_fakes import ADMIN_ROLES, FakeClock, context

ALICE = context("acme", "alice", "agent")
BOB = context("acme", "bob", "agent")
ADMIN = context("acme", "ann", "tenant-admin")
MALLORY = context("globex", "alice", "agent")


def test_get_progress_new_job_has_one_accepted_entry(store: JobStore, clock: FakeClock) -> None:
    """A new job's history starts with its acceptance, numbered 1."""
    job = store.create(ALICE, stage="guardrail_input")
    progress = store.get_progress(ALICE, job.job_id)
    assert progress.job == job
    assert [(e.seq, e.status, e.stage, e.at) for e in progress.entries] == [
        (1, "accepted", "guardrail_input", clock.now)
    ]


def test_get_progress_changes_are_appended_in_order(store: JobStore, clock: FakeClock) -> None:
    """Transitions and stage updates each append one entry; a stage update keeps the status before it."""
    job = store.create(ALICE)
    clock.advance(1)
    store.transition("acme", job.job_id, "processing", "execute:a")
    clock.advance(1)
    store.set_stage("acme", job.job_id, "execute:b")
    clock.advance(1)
    store.transition("acme", job.job_id, "complete", "complete", result={"text": "done"})
    entries = store.get_progress(ALICE, job.job_id).entries
    assert [(e.seq, e.status, e.stage) for e in entries] == [
        (1, "accepted", "accepted"),
        (2, "processing", "execute:a"),
        (3, "processing", "execute:b"),
        (4, "complete", "complete"),
    ]
    assert entries[-1].at == clock.now


def test_get_progress_refused_change_appends_nothing(store: JobStore) -> None:
    """A refused transition leaves the history as it was."""
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "rejected", "gate")
    with pytest.raises(InvalidTransitionError):
        store.set_stage("acme", job.job_id, "execute")
    assert [e.stage for e in store.get_progress(ALICE, job.job_id).entries] == ["accepted", "gate"]


@pytest.mark.parametrize(
    ("reader", "admin_roles", "visible"),
    [
        pytest.param(BOB, (), False, id="same-tenant-other-user"),
        pytest.param(ADMIN, ADMIN_ROLES, True, id="same-tenant-admin"),
        pytest.param(MALLORY, ADMIN_ROLES, False, id="other-tenant-same-user-id"),
    ],
)
def test_get_progress_follows_the_read_rule(
    store: JobStore, reader: Any, admin_roles: tuple[str, ...], visible: bool
) -> None:
    """Progress is readable exactly when the job is: its user or an admin of its tenant."""
    job = store.create(ALICE)
    if visible:
        assert store.get_progress(reader, job.job_id, admin_roles=admin_roles).job == job
    else:
        with pytest.raises(JobNotFoundError):
            store.get_progress(reader, job.job_id, admin_roles=admin_roles)


def test_dynamodb_progress_is_a_list_on_the_item(dynamodb: Any, clock: FakeClock) -> None:
    """DynamoDB keeps the history as a list attribute grown by list_append."""
    store = DynamoDBJobStore(dynamodb, clock=clock)
    job = store.create(ALICE)
    store.transition("acme", job.job_id, "processing", "gate")
    (item,) = dynamodb.scan(TableName=store.table_name)["Items"]
    assert [entry["M"]["stage"]["S"] for entry in item["progress"]["L"]] == ["accepted", "gate"]
