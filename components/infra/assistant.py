# Managed by the governed-assistant template; `copier update` refreshes this file.
"""``GovernedAssistant``: the whole assistant, composed from the spec.

The layers (conversation, reasoning, execution), observability and rollout join it as
their components land; each is a child of this one, so one ``pulumi up`` deploys the lot.
"""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_aws as aws

from components.spec.model import AssistantSpec


class GovernedAssistantArgs(TypedDict):
    spec: AssistantSpec
    """The validated assistant spec (``load_spec("assistant.yaml")``)."""
    protect_data: bool
    """Refuse to delete stateful resources (tables) on ``pulumi destroy``; on for production."""


class GovernedAssistant(pulumi.ComponentResource):
    jobs_table_name: pulumi.Output[str]
    """The DynamoDB table of jobs, keyed by tenant."""

    def __init__(
        self, name: str, args: GovernedAssistantArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:assistant:GovernedAssistant", name, None, opts)
        self._spec = args["spec"]
        jobs = self._create_jobs_table(name, protect=args["protect_data"])
        self.jobs_table_name = jobs.name
        self.register_outputs({"jobs_table_name": self.jobs_table_name})

    def _create_jobs_table(self, name: str, *, protect: bool) -> aws.dynamodb.Table:
        # The partition key starts with the tenant id ("<tenant>#<job>"), so no query can
        # be written that reads jobs without naming a tenant.
        return aws.dynamodb.Table(
            f"{name}-jobs",
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attributes=[aws.dynamodb.TableAttributeArgs(name="pk", type="S")],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expiresAt", enabled=True),
            deletion_protection_enabled=protect,
            tags={"assistant": self._spec.slug},
            opts=pulumi.ResourceOptions(parent=self),
        )
