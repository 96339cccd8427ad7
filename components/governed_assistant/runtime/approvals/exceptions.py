"""Errors raised while requesting and deciding approvals."""

from __future__ import annotations

from governed_assistant.errors import GovernanceError, shown


class ApprovalError(GovernanceError):
    """When an approval cannot be requested, read or decided."""


class ApprovalNotFoundError(ApprovalError):
    """When an approval does not exist in the caller's tenant; another tenant's looks exactly the same."""

    kind = "not_found"

    def __init__(self, approval_id: str) -> None:
        self.approval_id = approval_id
        super().__init__(f"Approval not found, approval_id={shown(approval_id)}")


class ApprovalExistsError(ApprovalError):
    """When an approval is requested with an id that is already taken."""

    kind = "conflict"

    def __init__(self, approval_id: str) -> None:
        self.approval_id = approval_id
        super().__init__(f"An approval with this id already exists, approval_id={approval_id}")


class NotApproverError(ApprovalError):
    """When someone without an approver role lists or decides approvals."""

    kind = "forbidden"

    def __init__(self, user_id: str, approver_roles: tuple[str, ...]) -> None:
        self.user_id = user_id
        super().__init__(
            f"Only an approver may do this; ask for one of the roles, user_id={shown(user_id)} "
            f"approver_roles={list(approver_roles)}"
        )


class SeparationOfDutiesError(ApprovalError):
    """When the user who asked for an action tries to approve or reject it themselves."""

    kind = "forbidden"

    def __init__(self, approval_id: str, user_id: str) -> None:
        self.approval_id = approval_id
        super().__init__(
            f"The requester may not decide their own approval; another approver must, "
            f"approval_id={approval_id} user_id={shown(user_id)}"
        )


class ApprovalExpiredError(ApprovalError):
    """When a decision arrives after the approval's deadline; the approval is recorded as expired (denied)."""

    kind = "conflict"

    def __init__(self, approval_id: str, deadline: str) -> None:
        self.approval_id = approval_id
        super().__init__(f"Approval expired before a decision, approval_id={approval_id} deadline={deadline}")


class ApprovalAlreadyDecidedError(ApprovalError):
    """When an approval that is no longer pending is decided again (a second or racing decision)."""

    kind = "conflict"

    def __init__(self, approval_id: str, status: str) -> None:
        self.approval_id = approval_id
        self.status = status
        super().__init__(f"Approval is already decided, approval_id={approval_id} status={status}")


class InvalidApprovalError(ApprovalError):
    """When an approval request or decision carries a value the store refuses (bad id, too long)."""

    kind = "invalid"

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        super().__init__(f"Invalid approval {field}: {rule}, {field}={shown(value)}")
