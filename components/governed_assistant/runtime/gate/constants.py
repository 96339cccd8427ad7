"""The gate's reason codes and defaults, in one place."""

from __future__ import annotations

from typing import Final, Literal

ReasonCode = Literal[
    "malformed_proposal", "unknown_action", "invalid_parameters", "tenant_mismatch",
    "owner_lookup_failed", "unknown_resource_owner", "resource_other_tenant", "not_authorized",
    "risk_hook_failed", "risk_too_high", "approval_required", "kill_switch", "shadow_mode",
    "gate_error",
]  # fmt: skip

# Reasons that mean the proposal tried to reach across a tenant boundary: telemetry alerts on these.
SECURITY_REASON_CODES: Final[frozenset[ReasonCode]] = frozenset({"tenant_mismatch", "resource_other_tenant"})

# The package holding the user-owned action modules (actions/<name>.py) in a generated project.
DEFAULT_ACTIONS_PACKAGE: Final = "actions"
# The optional functions an action module may define for the gate.
OWNER_FUNCTION: Final = "owner_of"
RISK_FUNCTION: Final = "risk"

# An unknown action has no base risk: report the maximum.
UNKNOWN_ACTION_RISK: Final = 1.0
# The @id the runtime gives the tenant guard (governed_assistant.authz.TENANT_GUARD_POLICY).
TENANT_GUARD_ID: Final = "tenant-guard"
