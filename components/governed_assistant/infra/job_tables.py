"""The execution layer's DynamoDB tables: jobs, approvals and idempotency records.

``governed_assistant.runtime.jobs.tables`` creates the same tables, with the same keys and TTL
attributes, for the tests and the local stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.storage import data_options

# How far back a point-in-time restore reaches (DynamoDB's maximum, and its default): also how
# long an erased tenant's records can come back from a restore (README "Erase a tenant").
PITR_RECOVERY_DAYS: Final = 35


def create_job_table(
    parent: pulumi.Resource,
    name: str,
    keys: tuple[str, ...],
    *,
    ttl: str,
    protect: bool,
    tags: Mapping[str, str],
    key_arn: pulumi.Input[str] | None = None,
) -> aws.dynamodb.Table:
    """The table ``name``: on-demand, encrypted (with ``key_arn``, else DynamoDB's key), point-in-time
    recovery on, items expiring on ``ttl``."""
    # Jobs and approvals are keyed "<tenant>#<id>": no query can be written that reads
    # them without naming a tenant.
    return aws.dynamodb.Table(
        name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=keys[0],
        range_key=keys[1] if len(keys) > 1 else None,
        attributes=[aws.dynamodb.TableAttributeArgs(name=key, type="S") for key in keys],
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
            enabled=True, recovery_period_in_days=PITR_RECOVERY_DAYS
        ),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=key_arn),
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl, enabled=True),
        deletion_protection_enabled=protect,
        tags=dict(tags),
        opts=data_options(parent, protect=protect),
    )
