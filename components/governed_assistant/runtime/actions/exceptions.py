"""Errors raised while turning the spec into tools and a model's tool use into a proposal."""

from __future__ import annotations

from typing import Literal

from governed_assistant.errors import GovernanceError
from governed_assistant.errors import shown as shown  # re-exported: it was defined here first

ProposalReason = Literal[
    "not_a_mapping", "missing_field", "unknown_field", "wrong_type", "invalid_value",
    "unknown_action", "invalid_parameters",
]  # fmt: skip


class ProposalError(GovernanceError):
    """When a model's tool use or proposal is malformed; ``location`` says where, ``reason`` what."""

    def __init__(self, reason: ProposalReason, location: str, message: str) -> None:
        self.reason: ProposalReason = reason
        self.location = location
        self.message = message
        super().__init__(f"{message} (reason={reason}, location={location})")


class ActionSchemaError(GovernanceError):
    """When an action's parameters schema falls outside the strict subset and cannot become a tool."""
