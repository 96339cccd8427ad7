"""The OpenSearch domain decision events are indexed in, and the setup that prepares it.

The domain uses fine-grained access control with an IAM master user; a setup function
assumes that role (its trust policy must allow the setup function's role) to apply the
documents of ``governed_assistant.infra.decision_index`` and map Firehose's role to the
write-only role. It runs through ``aws.lambda_.Invocation`` on every deploy that changes
those documents. OpenSearch Service takes automated hourly snapshots.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.decision_index import (
    INDEX_PREFIX,
    ISM_POLICY_ID,
    WRITER_ROLE,
    decision_index_template,
    ism_policy,
    writer_role,
)
from governed_assistant.infra.functions import (
    FunctionSettings,
    FunctionVpc,
    LambdaCode,
    governed_function,
    logs_and_tracing,
    physical_name,
    policy_document,
    service_role,
)
from governed_assistant.infra.storage import data_options
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import ENV_POWERTOOLS_SERVICE_NAME

OPENSEARCH_ENGINE: Final = "OpenSearch_2.19"
# TLS 1.2 or later on the domain's endpoint.
TLS_POLICY: Final = "Policy-Min-TLS-1-2-2019-07"
SETUP_TIMEOUT_SECONDS: Final = 120
SETUP_MEMORY_MB: Final = 256


class DomainSize(TypedDict):
    """The OpenSearch domain's capacity; small for dev, replicated across zones for production."""

    instance_type: str
    """Data node instance type, e.g. ``t3.medium.search`` (dev) or ``r7g.large.search``."""
    instance_count: int
    """Data nodes; two or more spreads them over two zones and keeps a replica of every shard."""
    volume_gb: int
    """gp3 storage per data node, in GiB."""


@dataclass(frozen=True)
class SearchDomainSettings:
    """What the domain and its setup need from the observability layer."""

    spec: AssistantSpec
    code: LambdaCode
    setup_handler: str
    master_user_arn: pulumi.Input[str] | None
    """The master user role; None creates one that trusts the setup function's role alone."""
    writer: aws.iam.Role
    """Firehose's role: let into the domain and mapped to the write-only role."""
    size: DomainSize
    protect: bool
    tags: Mapping[str, str]
    kms_key_arn: pulumi.Input[str] | None = None
    """The stack's key (``kms_key``); None keeps AWS's keys."""
    vpc: FunctionVpc | None = None
    """``network: vpc``: the private subnets and the group that takes HTTPS from the functions alone."""


@dataclass(frozen=True)
class SearchDomain:
    """The domain, and what the layer reports about it."""

    domain: aws.opensearch.Domain
    setup_role: aws.iam.Role
    """The role the master user's trust policy must allow."""
    master_user_arn: pulumi.Input[str]
    index_setup: aws.lambda_.Invocation
    """Done once the index template, lifecycle and writer role mapping are in place."""


def create_search_domain(parent: pulumi.Resource, name: str, settings: SearchDomainSettings) -> SearchDomain:
    """``<name>-search`` and its access policy, the master user, the setup function and its Invocation."""
    spec = settings.spec
    stack = pulumi.get_stack()
    setup_role = service_role(
        name, "setup", slug=spec.slug, stack=stack, service="lambda.amazonaws.com", tags=settings.tags,
        parent=parent,
    )  # fmt: skip
    master = settings.master_user_arn or _create_master_role(
        parent, name, spec.slug, setup_role, settings.tags
    )
    setup, _ = governed_function(
        f"{name}-setup",
        FunctionSettings(
            function_name=physical_name(spec.slug, stack, "events-setup", limit=64),
            handler=settings.setup_handler,
            code=settings.code,
            role=setup_role,
            policy_name="governed-events-setup",
            statements=lambda own_logs: [
                *logs_and_tracing(own_logs),
                {
                    "Sid": "ActAsMasterUser",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole"],
                    "Resource": master,
                },
            ],
            environment={ENV_POWERTOOLS_SERVICE_NAME: spec.slug},
            timeout=SETUP_TIMEOUT_SECONDS,
            memory_mb=SETUP_MEMORY_MB,
            retention_days=spec.observability.retention_days,
            kms_key_arn=settings.kms_key_arn,
        ),
        parent=parent,
        tags=settings.tags,
    )
    domain, access = _create_domain(parent, name, settings, master)
    # Index template, lifecycle and Firehose's role mapping exist before the first event flows.
    index_setup = _apply_index_setup(parent, name, settings, master, domain, access, setup)
    return SearchDomain(domain=domain, setup_role=setup_role, master_user_arn=master, index_setup=index_setup)


def _create_master_role(
    parent: pulumi.Resource, name: str, slug: str, setup_role: aws.iam.Role, tags: Mapping[str, str]
) -> pulumi.Output[str]:
    # No policy of its own: the domain's access policy and fine-grained access control
    # (as master user) are all it is for; only the setup function may act as it.
    master = aws.iam.Role(
        f"{name}-search-master",
        name_prefix=physical_name(slug, pulumi.get_stack(), "search-master", limit=37) + "-",
        assume_role_policy=policy_document(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": setup_role.arn},
                    "Action": "sts:AssumeRole",
                }
            ]
        ),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return master.arn


def _create_domain(
    parent: pulumi.Resource, name: str, settings: SearchDomainSettings, master: pulumi.Input[str]
) -> tuple[aws.opensearch.Domain, aws.opensearch.DomainPolicy]:
    size = settings.size
    spread = size["instance_count"] > 1
    domain = aws.opensearch.Domain(
        f"{name}-search",
        domain_name=physical_name(settings.spec.slug, pulumi.get_stack(), "events", limit=28),
        engine_version=OPENSEARCH_ENGINE,
        cluster_config=aws.opensearch.DomainClusterConfigArgs(
            instance_type=size["instance_type"],
            instance_count=size["instance_count"],
            zone_awareness_enabled=spread,
            zone_awareness_config=(
                aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(availability_zone_count=2)
                if spread
                else None
            ),
        ),
        ebs_options=aws.opensearch.DomainEbsOptionsArgs(
            ebs_enabled=True, volume_size=size["volume_gb"], volume_type="gp3"
        ),
        encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True, kms_key_id=settings.kms_key_arn),
        node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
        domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
            enforce_https=True, tls_security_policy=TLS_POLICY
        ),
        advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
            enabled=True,
            internal_user_database_enabled=False,
            anonymous_auth_enabled=False,
            master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                master_user_arn=master
            ),
        ),
        vpc_options=_vpc_options(settings.vpc, zones=2 if spread else 1),
        tags=dict(settings.tags),
        opts=data_options(parent, protect=settings.protect),
    )
    # Only the master user (and the setup function acting as it) and Firehose reach the
    # domain at all; fine-grained access control then narrows what each may do.
    access = aws.opensearch.DomainPolicy(
        f"{name}-search-access",
        domain_name=domain.domain_name,
        access_policies=policy_document(
            [
                {
                    "Sid": "MasterAndDelivery",
                    "Effect": "Allow",
                    "Principal": {"AWS": [master, settings.writer.arn]},
                    "Action": [
                        "es:ESHttpGet",
                        "es:ESHttpHead",
                        "es:ESHttpPost",
                        "es:ESHttpPut",
                        "es:ESHttpPatch",
                        "es:ESHttpDelete",
                    ],
                    "Resource": pulumi.Output.concat(domain.arn, "/*"),
                }
            ]
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return domain, access


def _vpc_options(vpc: FunctionVpc | None, *, zones: int) -> aws.opensearch.DomainVpcOptionsArgs | None:
    # A VPC domain takes one subnet per availability zone it spans: one for a single node, two
    # with zone awareness over two zones (OpenSearch Service, "Launching your domains within a VPC").
    if vpc is None:
        return None
    return aws.opensearch.DomainVpcOptionsArgs(
        subnet_ids=list(vpc["subnet_ids"])[:zones], security_group_ids=list(vpc["security_group_ids"])
    )


def _apply_index_setup(
    parent: pulumi.Resource,
    name: str,
    settings: SearchDomainSettings,
    master: pulumi.Input[str],
    domain: aws.opensearch.Domain,
    access: aws.opensearch.DomainPolicy,
    setup: aws.lambda_.Function,
) -> aws.lambda_.Invocation:
    replicas = 1 if settings.size["instance_count"] > 1 else 0
    documents = {
        "indexTemplate": {"name": INDEX_PREFIX, "body": decision_index_template(replicas)},
        "ismPolicy": {"id": ISM_POLICY_ID, "body": ism_policy(settings.spec.observability.retention_days)},
        "roles": {WRITER_ROLE: writer_role()},
    }
    digest = hashlib.sha256(json.dumps(documents, sort_keys=True).encode()).hexdigest()
    writer = settings.writer
    return aws.lambda_.Invocation(
        f"{name}-index-setup",
        function_name=setup.name,
        input=pulumi.Output.json_dumps(
            {
                **documents,
                "endpoint": domain.endpoint,
                "masterRoleArn": master,
                "roleMappings": {WRITER_ROLE: {"backend_roles": [writer.arn]}},
            }
        ),
        # Runs again whenever the documents or the mapped role change.
        triggers={"documents": digest, "writer": writer.arn},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[access]),
    )
