"""Only the API edge knows HTTP: the runtime's errors carry a kind, one table turns it into a status."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import governed_assistant
import pytest
from governed_assistant.errors import ErrorKind, GovernanceError
from governed_assistant.handlers import api
from governed_assistant.handlers.exceptions import ApiError
from governed_assistant.handlers.http import (
    ERROR_CODES,
    INTERNAL_ERROR_STATUS,
    STATUS_BY_KIND,
    status_for,
    status_of,
)
from governed_assistant.handlers.validation import BODY_FIELD_CODES, INVALID_FIELD
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


def _codes_raised(path: Path) -> set[str]:
    """The codes a module passes to ``ApiError`` or ``error_response`` as a literal, or maps to."""
    codes: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("ApiError", "error_response"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
    return codes


def test_every_code_the_api_sends_has_a_status() -> None:
    """Each code the API function and its body parser send is in ERROR_CODES (so in the OpenAPI document)."""
    handlers = PACKAGE / "handlers"
    sent = _codes_raised(handlers / "api.py") | _codes_raised(handlers / "validation.py")
    sent |= {*api.APPROVAL_ERRORS.values(), api.INVALID_APPROVAL, *BODY_FIELD_CODES.values(), INVALID_FIELD}
    assert {"invalid_approval", "unauthorized", "internal_error", "job_not_found"} <= sent
    assert sent - set(ERROR_CODES) == set()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        *(pytest.param(code, cls, id=code) for cls, code in api.APPROVAL_ERRORS.items()),
        pytest.param("invalid_approval", InvalidApprovalError, id="invalid_approval"),
        pytest.param("job_not_found", JobNotFoundError, id="job_not_found"),
        pytest.param("unauthorized", AuthenticationError, id="unauthorized"),
    ],
)
def test_code_for_a_runtime_error_has_its_kinds_status(code: str, error: type[GovernanceError]) -> None:
    """A code the API sends for a runtime refusal is answered with that refusal's kind's status."""
    assert error.kind is not None
    assert status_of(code) == STATUS_BY_KIND[error.kind]


def test_api_error_takes_its_codes_status() -> None:
    """ApiError carries the status ERROR_CODES gives its code; a code not there is refused."""
    assert ApiError("payload_too_large", "too big").status == 413
    with pytest.raises(KeyError):
        ApiError("no_such_code", "?")
