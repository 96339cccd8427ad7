"""The tenant-isolation and governance controls a reviewer asks about, per layer, each with the
generated project's tests that prove it.

A test is named by its pytest node id without parameters: every parametrized case of it counts
(``tests/test_identity.py::test_x`` covers ``test_x[api-gateway]`` and ``test_x[verifier]``).
The demo scenarios are named by their titles (``scenario``), the ids ``tests/test_e2e.py`` gives
them, so a renamed scenario breaks the link loudly instead of silently proving nothing (the
template's own tests collect a rendered project and find every test named here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

LAYERS: Final = ("identity", "conversation", "reasoning", "execution", "infrastructure")

_E2E: Final = "tests/test_e2e.py::test_demo_scenario_behaves_as_governed"


def scenario(title: str) -> str:
    """The node id of the end-to-end test of the demo scenario called ``title``."""
    return f"{_E2E}[{title}]"


@dataclass(frozen=True)
class Control:
    """One control: what it guarantees, in one sentence, and the tests that prove it."""

    id: str
    layer: str
    claim: str
    tests: tuple[str, ...]


CONTROLS: Final[tuple[Control, ...]] = (
    Control(
        "identity-from-verified-claims",
        "identity",
        "Tenant, user and roles come only from a verified token's claims, read with their JSON types; "
        "a malformed claim is refused.",
        (
            "tests/test_identity.py::test_identity_well_formed_token_accepted",
            "tests/test_identity.py::test_identity_malformed_claim_refused",
        ),
    ),
    Control(
        "input-guardrail",
        "conversation",
        "The input guardrail blocks the spec's denied topics and masks PII before the model sees a message.",
        (scenario("the guardrail blocks a denied topic and masks PII"),),
    ),
    Control(
        "retrieved-passages-screened",
        "reasoning",
        "Retrieved passages pass the guardrail before they enter the prompt: a hostile document planted "
        "in one tenant's knowledge never reaches the model.",
        (scenario("a hostile document planted in one tenant's knowledge is screened out"),),
    ),
    Control(
        "cedar-roles-per-action",
        "reasoning",
        "Cedar permits an action only to the roles the spec lists for it, in the caller's own tenant.",
        (
            "tests/test_policies.py::test_policies_validate_against_the_spec_schema",
            "tests/test_policies.py::test_roles_run_their_actions_in_their_own_tenant",
            "tests/test_policies.py::test_roles_not_listed_for_an_action_are_denied",
        ),
    ),
    Control(
        "cross-tenant-resource-denied",
        "reasoning",
        "A proposal naming another tenant's resource is denied, whatever the model wrote, and recorded "
        "as a security event.",
        (
            "tests/test_policies.py::test_no_role_acts_on_another_tenants_resource",
            scenario("another tenant's resource is denied as a security event"),
        ),
    ),
    Control(
        "approval-by-another-user-of-the-tenant",
        "execution",
        "A high-risk action waits for an approver of the same tenant; the requester cannot approve it.",
        (scenario("a high-risk action waits for an approver of the same tenant"),),
    ),
    Control(
        "approval-notices-reach-their-tenant-only",
        "execution",
        "Every approver subscription the stack creates (approvalSubscriptions) filters the approval topic "
        "on exactly one tenant's id, so an approver receives only that tenant's notices.",
        ("tests/test_infra.py::test_governance_invariants_hold",),
    ),
    Control(
        "steps-rederive-authority-from-records",
        "execution",
        "The executor re-derives what was decided from the job record: a job awaiting approval, a changed "
        "parameter or another tenant's job is refused, whatever the step was given.",
        (
            "tests/test_step_authority.py::test_execute_job_awaiting_approval_is_denied",
            "tests/test_step_authority.py::test_execute_changed_parameter_is_denied",
            "tests/test_step_authority.py::test_execute_another_tenants_job_is_denied",
        ),
    ),
    Control(
        "shadow-mode-never-executes",
        "execution",
        "A tenant in shadow mode is decided and recorded, never executed.",
        (scenario("a tenant in shadow mode is decided, never executed"),),
    ),
    Control(
        "failures-retried-then-compensated",
        "execution",
        "A failing executor is retried with backoff, then compensated: the job ends failed, not half-done.",
        (scenario("a failing executor is retried, then compensated"),),
    ),
    Control(
        "deploy-time-invariants",
        "infrastructure",
        "What the program would deploy satisfies the governance invariants the policy pack enforces on "
        "every preview and update (a JWT authorizer on every API route, least-privilege grants, "
        "encrypted and recoverable tables, retained logs), with every resource inside a component.",
        (
            "tests/test_infra.py::test_governance_invariants_hold",
            "tests/test_infra.py::test_tables_are_encrypted_and_recoverable",
            "tests/test_infra.py::test_every_cloud_resource_is_parented",
        ),
    ),
    Control(
        "api-contract",
        "infrastructure",
        "openapi.json is the API this spec deploys: every route, its authentication and its errors.",
        ("tests/test_openapi.py::test_openapi_json_is_the_document_for_this_spec",),
    ),
)
