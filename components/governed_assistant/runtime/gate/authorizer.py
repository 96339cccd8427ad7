"""Cedar authorization for the gate, with cedarpy: default deny, the tenant guard always on.

Built once per cold start: the policies are validated against the spec's Cedar schema (an
invalid set refuses to build, listing every problem), then parsed once into a PolicySet
handle, so each decision pays only for evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cedarpy

from governed_assistant.authz import (
    TENANT_GUARD_POLICY,
    cedar_schema,
    entity_type,
    load_policies,
    policy_problems,
)
from governed_assistant.runtime.gate.base import AuthorizationRequest, AuthorizationResult
from governed_assistant.runtime.gate.constants import TENANT_GUARD_ID
from governed_assistant.runtime.gate.exceptions import PolicyValidationError

# Annotations only: importing the spec package at run time loads YAML and builds its model,
# which a handler's cold import should not pay (tests/handlers/test_wiring.py checks).
if TYPE_CHECKING:
    from governed_assistant.spec.model import AssistantSpec


class CedarAuthorizer:
    """Principal ``User`` (tenant from the verified context) in ``Role``s; resource owned by a tenant."""

    def __init__(self, spec: AssistantSpec, policies: str) -> None:
        if TENANT_GUARD_POLICY not in policies:
            # The guard is not optional: text built without load_policies gets it too.
            policies = f"{policies}\n{TENANT_GUARD_POLICY}"
        problems = policy_problems(spec, policies)
        if policies.count(f'@id("{TENANT_GUARD_ID}")') > 1:
            problems.append(
                f'@id("{TENANT_GUARD_ID}") is reserved for the runtime\'s tenant guard; rename that policy'
            )
        if problems:
            raise PolicyValidationError(problems)
        self.policies_text = policies
        self._policies = cedarpy.PolicySet.from_str(policies)
        self._schema = cedarpy.Schema.from_json_str(json.dumps(cedar_schema(spec)))

    @classmethod
    def from_directory(cls, spec: AssistantSpec, directory: Path) -> CedarAuthorizer:
        """Every ``*.cedar`` file in ``directory`` plus the tenant guard (``governed_assistant.authz``)."""
        return cls(spec, load_policies(directory))

    def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        resource = {"type": entity_type(request.action.resource_type), "id": request.resource_id}
        principal = {"type": "User", "id": request.context.user_id}
        roles = [{"type": "Role", "id": role} for role in request.context.roles]
        entities: list[dict[str, Any]] = [
            {"uid": principal, "attrs": {"tenant": request.context.tenant_id}, "parents": roles},
            *({"uid": role, "attrs": {}, "parents": []} for role in roles),
            {"uid": resource, "attrs": {"tenant": request.resource_tenant}, "parents": []},
        ]
        cedar_request = {
            "principal": principal,
            "action": {"type": "Action", "id": request.action.name},
            "resource": resource,
            "context": {},
        }
        try:
            result = cedarpy.is_authorized(cedar_request, self._policies, entities, schema=self._schema)
        except Exception as error:  # any engine failure is a denial, never a crash
            return AuthorizationResult(allowed=False, errors=(f"cedar evaluation failed: {error}",))
        diagnostics = result.diagnostics
        names = diagnostics.id_annotations_by_reason
        return AuthorizationResult(
            allowed=result.allowed,
            policies=tuple(names.get(policy, policy) for policy in diagnostics.reasons),
            errors=tuple(str(error) for error in diagnostics.errors),
        )
