"""The job status rules: which status may follow which, and who may read a job."""

from __future__ import annotations

import pytest
from governed_assistant.contracts import JobStatus, TenantContext
from governed_assistant.runtime.jobs import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    InvalidJobKeyError,
    InvalidTransitionError,
    check_transition,
    may_read,
)
from governed_assistant.runtime.jobs.transitions import ALL_STATUSES, job_pk, sources
from job_fakes import ADMIN_ROLES, context


def test_allowed_transitions_cover_every_status() -> None:
    """Every status the contract knows has a rule, and only terminal ones have no way out."""
    assert set(ALLOWED_TRANSITIONS) == set(ALL_STATUSES)
    assert {status for status, targets in ALLOWED_TRANSITIONS.items() if not targets} == TERMINAL_STATUSES


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("accepted", ("accepted",), id="accepted"),
        pytest.param("processing", ("accepted", "processing", "awaiting_approval"), id="processing"),
        pytest.param("awaiting_approval", ("processing", "awaiting_approval"), id="awaiting-approval"),
        pytest.param("complete", ("processing",), id="complete"),
        pytest.param("rejected", ("accepted", "processing", "awaiting_approval"), id="rejected"),
    ],
)
def test_sources_target_lists_statuses_it_may_follow(target: JobStatus, expected: tuple[str, ...]) -> None:
    """The conditional write's allowed statuses are exactly those whose rule names the target."""
    assert sources(target) == expected


@pytest.mark.parametrize("current", sorted(TERMINAL_STATUSES))
def test_check_transition_terminal_status_raises_with_context(current: JobStatus) -> None:
    """Leaving a terminal status is refused with the job, both statuses and 'terminal' in the message."""
    with pytest.raises(
        InvalidTransitionError, match=rf"job_id=j1 current={current} target=processing.*terminal"
    ):
        check_transition("j1", current, "processing")


@pytest.mark.parametrize(
    ("reader", "admin_roles", "expected"),
    [
        pytest.param(context("acme", "alice"), (), True, id="owner"),
        pytest.param(context("acme", "ann", "tenant-admin"), ADMIN_ROLES, True, id="same-tenant-admin"),
        pytest.param(context("acme", "bob", "agent"), ADMIN_ROLES, False, id="same-tenant-user"),
        pytest.param(context("globex", "alice"), (), False, id="other-tenant-same-user-id"),
        pytest.param(context("globex", "root", "tenant-admin"), ADMIN_ROLES, False, id="other-tenant-admin"),
    ],
)
def test_may_read_reader_gets_expected_answer(
    reader: TenantContext, admin_roles: tuple[str, ...], expected: bool
) -> None:
    """Only the job's own tenant reads it: its user, or an admin of that tenant."""
    assert may_read(reader, "acme", "alice", admin_roles) is expected


@pytest.mark.parametrize(
    ("tenant", "job_id"),
    [
        pytest.param("ac#me", "j1", id="separator-in-tenant"),
        pytest.param("", "j1", id="empty-tenant"),
        pytest.param("acme", "x#y", id="separator-in-job"),
        pytest.param("acme", "", id="empty-job"),
    ],
)
def test_job_pk_ambiguous_part_raises_invalid_key(tenant: str, job_id: str) -> None:
    """A key part that could spell another tenant's key is refused before any write."""
    with pytest.raises(InvalidJobKeyError):
        job_pk(tenant, job_id)
