"""Buckets as every layer wants them: private, encrypted, versioned, reachable over TLS only."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import policy_document


def private_bucket(
    name: str, *, prefix: str, protect: bool, tags: Mapping[str, str], parent: pulumi.Resource
) -> aws.s3.Bucket:
    """An S3 bucket ``name`` that is private, encrypted (SSE-S3), versioned and TLS-only."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(name, bucket_prefix=prefix, force_destroy=not protect, tags=dict(tags), opts=child)
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
                    sse_algorithm="AES256"
                )
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
                }
            ]
        ),
        opts=child,
    )
    return bucket
