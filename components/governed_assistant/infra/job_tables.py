"""The execution layer's DynamoDB tables: jobs, approvals and idempotency records.

``governed_assistant.runtime.jobs.tables`` creates the same tables, with the same keys and TTL
attributes, for the tests and the local stack.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.storage import data_options


def create_job_table(
    parent: pulumi.Resource,
    name: str,
    keys: tuple[str, ...],
    *,
    ttl: str,
    protect: bool,
    tags: Mapping[str, str],
) -> aws.dynamodb.Table:
    """The table ``name``: on-demand, encrypted, point-in-time recovery on, items expiring on ``ttl``."""
    # Jobs and approvals are keyed "<tenant>#<id>": no query can be written that reads
    # them without naming a tenant.
    return aws.dynamodb.Table(
        name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=keys[0],
        range_key=keys[1] if len(keys) > 1 else None,
        attributes=[aws.dynamodb.TableAttributeArgs(name=key, type="S") for key in keys],
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=ttl, enabled=True),
        deletion_protection_enabled=protect,
        tags=dict(tags),
        opts=data_options(parent, protect=protect),
    )
