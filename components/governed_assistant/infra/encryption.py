"""The stack's customer-managed key (``kms_key`` in assistant.yaml): created here, or brought by ARN.

With ``kms_key: none`` nothing here runs and every store keeps AWS-owned or AWS-managed keys.
Otherwise every layer is handed the key's ARN (``kms_key_arn``) and encrypts its tables, buckets,
topic, queue, bus, log groups, delivery stream, search domain and collection, database, secret,
flags, state machine and functions' environment with it (``invariants.stores_use_the_key``
proves it), and each role that reads or writes those stores may use the key (``key_use``).

The key the stack creates rotates every year and its policy (``key_policy``) allows, as AWS's
documentation for each service asks:

* the account (its root, so IAM policies decide who) to administer the key, and to use it only
  through the services the stack keeps data in (``kms:ViaService``), from its own account;
* CloudWatch Logs' regional principal, for this account's log groups only
  (``kms:EncryptionContext:aws:logs:arn``);
* EventBridge, for this account's buses (``kms:EncryptionContext:aws:events:event-bus:arn``), and
  to put unstarted jobs on the encrypted dead-letter queue, for this account's rules only;
* CloudWatch Logs' delivery service, to write an encrypted state machine's execution logs.

A key brought by ARN must allow the same; the stack cannot change another key's policy.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import allow, physical_name, policy_document
from governed_assistant.infra.steps import KEY_USE_ACTIONS, KEY_USE_SID
from governed_assistant.spec.model import KMS_KEY_CREATE, AssistantSpec

# AWS deletes a key no sooner than 7 days after it is scheduled, and no later than 30: the longest
# wait leaves the most time to notice that data still needs it.
DELETION_WINDOW_DAYS: Final = 30
# KMS rotates a key every 90 to 2560 days; a year is its default and what most audits ask.
ROTATION_DAYS: Final = 365
# The services that keep the stack's data with the key, as ``kms:ViaService`` names them
# (``<service>.<region>.amazonaws.com``): es is the OpenSearch domain, aoss its serverless collection.
VIA_SERVICES: Final = (
    "appconfig", "aoss", "dynamodb", "es", "firehose", "lambda", "rds", "s3", "secretsmanager",
    "sns", "sqs", "states",
)  # fmt: skip
# What the account does with the key through those services: encrypt and decrypt data keys, and let
# the service hold a grant (DynamoDB, Aurora, OpenSearch and Firehose keep one while they run).
USE_ACTIONS: Final = (
    "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
)  # fmt: skip
# Administration, named action by action (no ``kms:*``): the key's policy, state, tags, alias and
# deletion. Using the key is not among them; that goes through USE_ACTIONS' conditions.
ADMIN_ACTIONS: Final = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant",
    "kms:RetireGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
)  # fmt: skip
# What CloudWatch Logs does with a log group's key. Its documentation's policy grants kms:Encrypt*,
# Decrypt*, ReEncrypt*, GenerateDataKey* and Describe* under an encryption-context condition; named
# here one by one, without the actions that carry no encryption context (DescribeKey and the custom
# key store and key pair ones), which that condition would refuse anyway.
LOGS_ACTIONS: Final = (
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom", "kms:ReEncryptTo",
)  # fmt: skip


def key_policy(
    *, partition: pulumi.Input[str], region: pulumi.Input[str], account: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The created key's policy: the account administers and uses it through the stack's services;
    three AWS services use it for this account's resources only."""
    root = pulumi.Output.concat("arn:", partition, ":iam::", account, ":root")
    service = pulumi.Output.concat  # a regional service principal or endpoint name
    in_account = {"aws:SourceAccount": account}
    return policy_document(
        [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": list(ADMIN_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AccountUsesThroughStackServices",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": list(USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account,
                        "kms:ViaService": [
                            service(name, ".", region, ".amazonaws.com") for name in VIA_SERVICES
                        ],
                    }
                },
            },
            {
                "Sid": "CloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": service("logs.", region, ".amazonaws.com")},
                "Action": list(LOGS_ACTIONS),
                "Resource": "*",
                # CloudWatch Logs' documentation writes ArnLike; the context key is a String (the
                # Service Authorization Reference), for which StringLike matches the same ARNs.
                "Condition": {
                    "StringLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            "arn:", partition, ":logs:", region, ":", account, ":log-group:*"
                        )
                    }
                },
            },
            {
                "Sid": "EventBridgeBuses",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": in_account,
                    "StringLike": {
                        "kms:EncryptionContext:aws:events:event-bus:arn": pulumi.Output.concat(
                            "arn:", partition, ":events:", region, ":", account, ":event-bus/*"
                        )
                    },
                },
            },
            {
                # EventBridge checks the key is symmetric; DescribeKey carries no encryption context.
                "Sid": "EventBridgeDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": in_account},
            },
            {
                "Sid": "EventBridgeDeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": in_account,
                    "ArnLike": {
                        "aws:SourceArn": pulumi.Output.concat(
                            "arn:", partition, ":events:", region, ":", account, ":rule/*"
                        )
                    },
                },
            },
            {
                # SNS sends what it could not deliver to a subscription's dead-letter queue, encrypted
                # with this key (the approval topic's subscriptions, ``approval_subscriptions``).
                "Sid": "SnsDeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": in_account,
                    "ArnLike": {
                        "aws:SourceArn": pulumi.Output.concat(
                            "arn:", partition, ":sns:", region, ":", account, ":*"
                        )
                    },
                },
            },
            {
                # The audit trail's log files (auditTrail), as CloudTrail's documentation gives it:
                # only for this account's trails.
                "Sid": "CloudTrailLogFiles",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": in_account,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                            "arn:", partition, ":cloudtrail:*:", account, ":trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": in_account},
            },
            {
                "Sid": "StateMachineLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": in_account},
            },
        ]
    )


def stack_key(
    name: str,
    spec: AssistantSpec,
    *,
    stack: str,
    partition: pulumi.Input[str],
    region: pulumi.Input[str],
    account: pulumi.Input[str],
    parent: pulumi.Resource,
) -> pulumi.Input[str] | None:
    """The ARN of the key the stack's stores use: created (``<name>-key``, with an alias), the spec's,
    or None."""
    if spec.kms_key != KMS_KEY_CREATE:
        return spec.kms_key_arn
    child = pulumi.ResourceOptions(parent=parent)
    key = aws.kms.Key(
        f"{name}-key",
        description=f"Encrypts the data of {spec.slug} ({stack})",
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        rotation_period_in_days=ROTATION_DAYS,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        policy=key_policy(partition=partition, region=region, account=account),
        tags={"assistant": spec.slug},
        opts=child,
    )
    aws.kms.Alias(
        f"{name}-key-alias",
        name=f"alias/{physical_name(spec.slug, stack, 'data', limit=200)}",
        target_key_id=key.arn,
        opts=child,
    )
    return key.arn


def key_use(key_arn: pulumi.Input[str] | None) -> list[dict[str, Any]]:
    """The statement that lets a role use the stack's key for the stores it touches; none without a key."""
    if key_arn is None:
        return []
    return [allow(KEY_USE_SID, KEY_USE_ACTIONS, key_arn)]
