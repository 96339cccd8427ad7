"""Only the API edge knows HTTP: the runtime's errors carry a kind, one table turns it into a status."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import governed_assistant
import pytest
from governed_assistant.errors import ErrorKind, GovernanceError
from governed_assistant.handlers.http import INTERNAL_ERROR_STATUS, STATUS_BY_KIND, status_for
from governed_assistant.runtime.approvals import (
    ApprovalAlreadyDecidedError,
    ApprovalError,
    ApprovalExistsError,
    ApprovalExpiredError,
    ApprovalNotFoundError,
    InvalidApprovalError,
    NotApproverError,
    SeparationOfDutiesError,
)
from governed_assistant.runtime.identity import AuthenticationError, JwksError
from governed_assistant.runtime.jobs import InvalidTransitionError, JobExistsError, JobNotFoundError

PACKAGE = Path(governed_assistant.__file__).parent


def test_every_kind_has_a_status() -> None:
    """The table answers every kind an error may have."""
    assert set(STATUS_BY_KIND) == set(get_args(ErrorKind))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        pytest.param(AuthenticationError("expired", "Token expired; sign in"), 401, id="unauthenticated"),
        pytest.param(JwksError("Cannot fetch the JWKS"), 503, id="jwks-unavailable"),
        pytest.param(JobNotFoundError("job-1"), 404, id="job-not-found"),
        pytest.param(JobExistsError("job-1"), 409, id="job-exists"),
        pytest.param(InvalidTransitionError("job-1", "complete", "failed", ()), 409, id="job-transition"),
        pytest.param(ApprovalNotFoundError("a-1"), 404, id="approval-not-found"),
        pytest.param(ApprovalExistsError("a-1"), 409, id="approval-exists"),
        pytest.param(NotApproverError("bob", ("approver",)), 403, id="not-approver"),
        pytest.param(SeparationOfDutiesError("a-1", "alice"), 403, id="separation-of-duties"),
        pytest.param(ApprovalExpiredError("a-1", "2026-01-01T00:00:00Z"), 409, id="approval-expired"),
        pytest.param(ApprovalAlreadyDecidedError("a-1", "approved"), 409, id="already-decided"),
        pytest.param(InvalidApprovalError("comment", "x" * 2000, "too long"), 400, id="invalid-approval"),
        pytest.param(GovernanceError("the service failed"), INTERNAL_ERROR_STATUS, id="no-kind"),
    ],
)
def test_status_for_runtime_error_is_its_kinds(error: GovernanceError, status: int) -> None:
    """Each runtime refusal is answered with the status of its kind; an error of no kind is a 500."""
    assert status_for(error) == status


def test_status_for_error_without_kind_takes_the_default() -> None:
    """An approval refusal the API names no code for is the caller's mistake."""
    assert status_for(ApprovalError("refused"), default="invalid") == 400


def test_no_module_but_the_api_edge_knows_http_statuses() -> None:
    """Runtime modules and the shared errors say what happened; they never name an HTTP status."""
    sources = [PACKAGE / "errors.py", PACKAGE / "contracts.py", *sorted((PACKAGE / "runtime").rglob("*.py"))]
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sources
        if any(word in path.read_text() for word in ("status_code", "HTTPStatus", "statusCode"))
    ]
    assert offenders == []
