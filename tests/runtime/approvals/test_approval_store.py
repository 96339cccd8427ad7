"""Both approval stores keep the task token server-side and let each approval be decided once, rightly."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from approval_fakes import ALICE, APPROVER_ROLES, BOB, CAROL, DAVE, MALLORY, TOKEN, FakeClock, context
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.approvals import (
    ApprovalAlreadyDecidedError,
    ApprovalError,
    ApprovalExistsError,
    ApprovalExpiredError,
    ApprovalNotFoundError,
    ApprovalView,
    BaseApprovalStore,
    DynamoDBApprovalStore,
    InvalidApprovalError,
    NotApproverError,
    SeparationOfDutiesError,
)


def _request(store: BaseApprovalStore, clock: FakeClock, *, minutes: int = 30, **kwargs: Any) -> ApprovalView:
    return store.request(
        ALICE,
        "job-1",
        "refund 120 EUR on order o-7",
        TOKEN,
        clock.now + timedelta(minutes=minutes),
        details={"actionType": "refund", "risk": 0.7},
        **kwargs,
    )


def test_request_returns_pending_view_without_token(store: BaseApprovalStore, clock: FakeClock) -> None:
    """A requested approval is pending, owned by the requester's tenant, and its view holds no token."""
    view = _request(store, clock)
    assert (view.status, view.tenant_id, view.requested_by, view.job_id) == (
        "pending",
        "acme",
        "alice",
        "job-1",
    )
    assert view.details == {"actionType": "refund", "risk": 0.7}
    assert TOKEN not in view.model_dump_json() + repr(view)
    assert store.get(BOB, view.approval_id, approver_roles=APPROVER_ROLES) == view


def test_request_taken_id_raises_exists(store: BaseApprovalStore, clock: FakeClock) -> None:
    """Two approvals cannot share an id in one tenant (the first token is never overwritten)."""
    _request(store, clock, approval_id="a1")
    with pytest.raises(ApprovalExistsError, match="approval_id=a1"):
        _request(store, clock, approval_id="a1")


def test_request_over_a_decided_approval_leaves_the_decision(
    store: BaseApprovalStore, clock: FakeClock
) -> None:
    """A forged re-request under a decided approval's id is refused; the decision stands as recorded."""
    _request(store, clock, approval_id="a1")
    decided = store.decide(BOB, "a1", False, "no", approver_roles=APPROVER_ROLES).approval
    with pytest.raises(ApprovalExistsError, match="approval_id=a1"):
        _request(store, clock, approval_id="a1")
    assert store.get(BOB, "a1", approver_roles=APPROVER_ROLES) == decided
    assert (decided.status, decided.decided_by) == ("rejected", "bob")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"approval_id": "a#b"}, "approval_id", id="separator-in-id"),
        pytest.param({"task_token": ""}, "task_token", id="empty-token"),
        pytest.param({"summary": ""}, "summary", id="empty-summary"),
        pytest.param({"expires_at": datetime(2025, 1, 1, 13)}, "expires_at", id="naive-deadline"),
    ],
)
def test_request_invalid_value_raises_invalid_approval(
    store: BaseApprovalStore, clock: FakeClock, change: dict[str, Any], field: str
) -> None:
    """A request with a bad id, empty token or summary, or a deadline without a zone is refused."""
    arguments: dict[str, Any] = {
        "job_id": "job-1",
        "summary": "refund",
        "task_token": TOKEN,
        "expires_at": clock.now + timedelta(minutes=5),
    }
    with pytest.raises(InvalidApprovalError, match=f"Invalid approval {field}") as refused:
        store.request(ALICE, **(arguments | change))
    assert TOKEN not in str(refused.value)


def test_pending_lists_decidable_approvals_only(store: BaseApprovalStore, clock: FakeClock) -> None:
    """Pending shows the tenant's open approvals, not decided, expired, own or other tenants' ones."""
    open_one = _request(store, clock, approval_id="open")
    _request(store, clock, approval_id="decided")
    store.decide(CAROL, "decided", True, approver_roles=APPROVER_ROLES)
    _request(store, clock, approval_id="expiring", minutes=1)
    store.request(BOB, "job-2", "bob's own", TOKEN, clock.now + timedelta(hours=1), approval_id="bobs")
    store.request(MALLORY, "job-3", "globex", TOKEN, clock.now + timedelta(hours=1), approval_id="theirs")
    clock.advance(120)
    assert store.pending(BOB, approver_roles=APPROVER_ROLES) == [open_one]
    assert [view.approval_id for view in store.pending(CAROL, approver_roles=APPROVER_ROLES)] == [
        "bobs",
        "open",
    ]


def test_pending_non_approver_raises_not_approver(store: BaseApprovalStore, clock: FakeClock) -> None:
    """Someone without an approver role cannot list approvals."""
    _request(store, clock)
    with pytest.raises(NotApproverError, match="approver_roles=\\['approver'\\]"):
        store.pending(DAVE, approver_roles=APPROVER_ROLES)


@pytest.mark.parametrize(
    ("approve", "status"),
    [pytest.param(True, "approved", id="approve"), pytest.param(False, "rejected", id="reject")],
)
def test_decide_valid_approver_records_decision_and_returns_token(
    store: BaseApprovalStore, clock: FakeClock, approve: bool, status: str
) -> None:
    """An approver of the tenant decides once; the decision carries the token, the record the approver."""
    view = _request(store, clock)
    clock.advance(60)
    decision = store.decide(BOB, view.approval_id, approve, "looks right", approver_roles=APPROVER_ROLES)
    assert decision.task_token == TOKEN
    assert decision.approved is approve
    assert TOKEN not in repr(decision)
    recorded = store.get(ALICE, view.approval_id, approver_roles=APPROVER_ROLES)
    assert recorded == decision.approval
    assert (recorded.status, recorded.decided_by, recorded.decided_at, recorded.reason) == (
        status,
        "bob",
        clock.now,
        "looks right",
    )


@pytest.mark.parametrize(
    ("approver", "setup", "error"),
    [
        pytest.param(MALLORY, None, ApprovalNotFoundError, id="approve-other-tenants-approval"),
        pytest.param(ALICE, None, SeparationOfDutiesError, id="requester-approves-own"),
        pytest.param(DAVE, None, NotApproverError, id="non-approver"),
        pytest.param(context("acme", "eve", "Approver"), None, NotApproverError, id="role-case-differs"),
        pytest.param(BOB, "decided", ApprovalAlreadyDecidedError, id="approve-twice"),
        pytest.param(BOB, "expired", ApprovalExpiredError, id="approve-after-expiry"),
        pytest.param(BOB, "at-deadline", ApprovalExpiredError, id="approve-at-deadline"),
    ],
)
def test_decide_attack_is_refused(
    store: BaseApprovalStore,
    clock: FakeClock,
    approver: TenantContext,
    setup: str | None,
    error: type[Exception],
) -> None:
    """Other tenants, the requester, non-approvers, second and late decisions are all refused."""
    view = _request(store, clock, minutes=10)
    if setup == "decided":
        store.decide(CAROL, view.approval_id, False, "no", approver_roles=APPROVER_ROLES)
    elif setup == "expired":
        clock.advance(11 * 60)
    elif setup == "at-deadline":
        clock.advance(10 * 60)
    before = store.get(BOB, view.approval_id, approver_roles=APPROVER_ROLES)
    with pytest.raises(error) as refused:
        store.decide(approver, view.approval_id, True, "ok", approver_roles=APPROVER_ROLES)
    assert TOKEN not in str(refused.value)
    after = store.get(BOB, view.approval_id, approver_roles=APPROVER_ROLES)
    if setup in ("expired", "at-deadline"):
        assert (after.status, after.decided_by, after.reason) == (
            "expired",
            "bob",
            "expired before a decision",
        )
    else:
        assert after == before


def test_decide_after_expiry_recorded_denial_is_final(store: BaseApprovalStore, clock: FakeClock) -> None:
    """Once a late decision recorded the approval as expired, no later decision can approve it."""
    view = _request(store, clock, minutes=1)
    clock.advance(61)
    with pytest.raises(ApprovalExpiredError, match=f"approval_id={view.approval_id}"):
        store.decide(BOB, view.approval_id, True, approver_roles=APPROVER_ROLES)
    with pytest.raises(ApprovalAlreadyDecidedError, match="status=expired"):
        store.decide(CAROL, view.approval_id, True, approver_roles=APPROVER_ROLES)


def test_decide_racing_second_decision_is_refused(
    store: BaseApprovalStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two approvers who both read the approval as pending: the conditional write lets only one win."""
    view = _request(store, clock)
    stale = store._load("acme", view.approval_id)
    first = store.decide(BOB, view.approval_id, False, "no", approver_roles=APPROVER_ROLES)
    real_load = store._load
    reads = iter([stale])
    # Carol's first read happened before Bob's write; her later reads see the truth.
    monkeypatch.setattr(
        store, "_load", lambda tenant, approval: next(reads, None) or real_load(tenant, approval)
    )
    with pytest.raises(ApprovalAlreadyDecidedError, match="status=rejected"):
        store.decide(CAROL, view.approval_id, True, "yes", approver_roles=APPROVER_ROLES)
    assert store.get(BOB, view.approval_id, approver_roles=APPROVER_ROLES) == first.approval


@pytest.mark.parametrize(
    ("reader", "visible"),
    [
        pytest.param(ALICE, True, id="requester"),
        pytest.param(BOB, True, id="approver"),
        pytest.param(DAVE, False, id="same-tenant-non-approver"),
        pytest.param(MALLORY, False, id="other-tenant-approver"),
    ],
)
def test_get_reader_sees_approval_only_when_entitled(
    store: BaseApprovalStore, clock: FakeClock, reader: TenantContext, visible: bool
) -> None:
    """The requester and the tenant's approvers see an approval; to anyone else it does not exist."""
    view = _request(store, clock)
    if visible:
        assert store.get(reader, view.approval_id, approver_roles=APPROVER_ROLES) == view
    else:
        with pytest.raises(ApprovalNotFoundError):
            store.get(reader, view.approval_id, approver_roles=APPROVER_ROLES)


@pytest.mark.parametrize(
    "approval_id", [pytest.param("acme#x", id="separator"), pytest.param("", id="empty")]
)
def test_decide_crafted_id_raises_not_found(
    store: BaseApprovalStore, clock: FakeClock, approval_id: str
) -> None:
    """An id the store could not have issued is simply not found."""
    _request(store, clock)
    with pytest.raises(ApprovalNotFoundError):
        store.decide(BOB, approval_id, True, approver_roles=APPROVER_ROLES)


def test_decide_overlong_reason_raises_invalid_approval(store: BaseApprovalStore, clock: FakeClock) -> None:
    """A reason past the limit is refused before anything is recorded."""
    view = _request(store, clock)
    with pytest.raises(ApprovalError, match="at most 1000 chars"):
        store.decide(BOB, view.approval_id, True, "x" * 1001, approver_roles=APPROVER_ROLES)
    assert store.get(BOB, view.approval_id, approver_roles=APPROVER_ROLES).status == "pending"


def test_dynamodb_record_keys_by_tenant_and_lists_without_token(dynamodb: Any, clock: FakeClock) -> None:
    """The item is keyed <tenant>#approval / <id>, keeps the token, and a listing never reads it."""
    store = DynamoDBApprovalStore(dynamodb, clock=clock, retention_seconds=60)
    view = _request(store, clock)
    item = dynamodb.get_item(
        TableName=store.table_name, Key={"pk": {"S": "acme#approval"}, "sk": {"S": view.approval_id}}
    )
    assert item["Item"]["taskToken"]["S"] == TOKEN
    assert item["Item"]["expiresAt"]["N"] == str(int(view.expires_at.timestamp()) + 60)
    calls: list[dict[str, Any]] = []
    real_query = dynamodb.query

    def query(**request: Any) -> Any:
        response = real_query(**request)
        calls.append(response)
        return response

    store._client = type("Spy", (), {"query": staticmethod(query), "exceptions": dynamodb.exceptions})()
    assert store.pending(BOB, approver_roles=APPROVER_ROLES) == [view]
    assert calls and all("taskToken" not in item for call in calls for item in call["Items"])
