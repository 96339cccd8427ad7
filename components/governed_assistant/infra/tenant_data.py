"""The tenant data role: what the API function reads and writes a tenant's rows as.

The API function holds no DynamoDB grant of its own. Per request it assumes this role with the
session tag ``tenantId=<the verified tenant>`` (``governed_assistant.runtime.tenancy``), and
this role may touch the jobs and approvals tables only where every partition key of the
request starts with ``<that tenant>#`` (``dynamodb:LeadingKeys``). A bug that builds another
tenant's key is then refused by IAM, not only by the stores' key rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import allow, deny, physical_name, policy_document
from governed_assistant.infra.steps import approvals_immutable
from governed_assistant.runtime.jobs.constants import KEY_SEPARATOR
from governed_assistant.wire import TENANT_SESSION_TAG

TENANT_DATA_POLICY_NAME: Final = "governed-tenant-data"
# Every partition key of a request must start with the session's tenant and the key separator.
TENANT_KEY_PATTERN: Final = f"${{aws:PrincipalTag/{TENANT_SESSION_TAG}}}{KEY_SEPARATOR}*"
# ForAllValues is also true when a request carries no partition key at all (a Scan): so the key
# must be present (Null false), and the actions granted are ones that always name partition keys
# (``invariants_catalog.KEYED_DYNAMODB_ACTIONS``).
# What the API does with each table: jobs are created, read (with their progress) and ended
# (rejected or failed at the door); approvals are listed, read and decided.
JOBS_ACTIONS: Final = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")
APPROVALS_ACTIONS: Final = ("dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem")


def tenant_key_condition() -> dict[str, Any]:
    """The condition every DynamoDB grant of the role carries."""
    return {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [TENANT_KEY_PATTERN]},
        "Null": {"dynamodb:LeadingKeys": "false"},
    }


def tenant_data_statements(
    jobs_table_arn: pulumi.Input[str], approvals_table_arn: pulumi.Input[str]
) -> list[dict[str, Any]]:
    # It decides approvals (UpdateItem, conditional on pending) and may do nothing else to them,
    # whatever is attached to the role later (an explicit Deny wins).
    guard = approvals_immutable(("dynamodb:UpdateItem",))
    return [
        allow("TenantJobs", JOBS_ACTIONS, jobs_table_arn, **tenant_key_condition()),
        allow("TenantApprovals", APPROVALS_ACTIONS, approvals_table_arn, **tenant_key_condition()),
        deny(guard.sid, guard.actions, approvals_table_arn),
    ]


def create_tenant_data_role(
    parent: pulumi.Resource,
    name: str,
    *,
    slug: str,
    callers: Sequence[pulumi.Input[str]],
    jobs_table_arn: pulumi.Input[str],
    approvals_table_arn: pulumi.Input[str],
    tags: Mapping[str, str],
) -> aws.iam.Role:
    """``<name>-tenant-data-role`` and its policy; only ``callers`` (role ARNs) may assume it, tagged."""
    role = aws.iam.Role(
        f"{name}-tenant-data-role",
        name_prefix=physical_name(slug, pulumi.get_stack(), "tenant-data", limit=37) + "-",
        assume_role_policy=policy_document(
            [
                {
                    "Sid": "RequestPathAsOneTenant",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(callers)},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    # A session without the tenant tag, or with other tags, is refused.
                    "Condition": {
                        "Null": {f"aws:RequestTag/{TENANT_SESSION_TAG}": "false"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": [TENANT_SESSION_TAG]},
                    },
                }
            ]
        ),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicy(
        f"{name}-tenant-data-policy",
        name=TENANT_DATA_POLICY_NAME,
        role=role.id,
        policy=policy_document(tenant_data_statements(jobs_table_arn, approvals_table_arn)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role
