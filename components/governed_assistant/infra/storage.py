"""Where the stack keeps data: the options every data-holding resource takes, and buckets as every
layer wants them (private, encrypted, versioned, reachable over TLS only).

What holds data, and so takes ``data_options``: the DynamoDB tables (jobs, approvals, idempotency
records, token usage), the Cognito user pool, the buckets (knowledge-base documents, failed
decision events), the Aurora cluster, the OpenSearch domain and the OpenSearch Serverless
collection. Log groups expire by retention and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import policy_document


def data_options(
    parent: pulumi.Resource, *, protect: bool, depends_on: Sequence[pulumi.Resource] = ()
) -> pulumi.ResourceOptions:
    """The options of a resource that holds the stack's data.

    With ``protect`` (``protect_data``: on in production stacks) Pulumi refuses to delete or
    replace it (``protect``) until someone runs ``pulumi state unprotect``; and should it then
    leave the program, it is dropped from the stack but kept in AWS (``retain_on_delete``).
    """
    return pulumi.ResourceOptions(
        parent=parent, protect=protect, retain_on_delete=protect, depends_on=list(depends_on)
    )


def private_bucket(
    name: str,
    *,
    prefix: str,
    protect: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    key_arn: pulumi.Input[str] | None = None,
    object_lock: bool = False,
    statements: Callable[[pulumi.Output[str]], Sequence[dict[str, Any]]] | None = None,
) -> aws.s3.Bucket:
    """An S3 bucket ``name`` that is private, encrypted, versioned and TLS-only: SSE-KMS with the
    stack's key (``key_arn``) and an S3 Bucket Key, which spares a KMS call per object; else SSE-S3.

    ``object_lock`` turns Object Lock on (it can only be turned on when the bucket is created);
    ``statements``, given the bucket's ARN, join the bucket policy after the TLS-only Deny.
    """
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        bucket_prefix=prefix,
        force_destroy=not protect,
        object_lock_enabled=object_lock or None,
        tags=dict(tags),
        opts=data_options(parent, protect=protect),
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-private",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256" if key_arn is None else "aws:kms", kms_master_key_id=key_arn
                ),
                bucket_key_enabled=key_arn is not None,
            )
        ],
        opts=child,
    )  # fmt: skip
    aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    aws.s3.BucketPolicy(
        f"{name}-tls-only",
        bucket=bucket.id,
        policy=policy_document(
            [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                *(statements(bucket.arn) if statements else ()),
            ]
        ),
        opts=child,
    )
    return bucket
