"""Cedar authorization: the schema derived from the spec, starter policies, validation."""

from __future__ import annotations

from governed_assistant.authz.cedar_schema import (
    TENANT_GUARD_POLICY,
    cedar_schema,
    entity_type,
    load_policies,
    policy_problems,
    starter_policy,
)

__all__ = [
    "TENANT_GUARD_POLICY",
    "cedar_schema",
    "entity_type",
    "load_policies",
    "policy_problems",
    "starter_policy",
]
