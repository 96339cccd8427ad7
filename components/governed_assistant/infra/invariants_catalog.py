"""The facts the governance invariants rely on: where policies live, and which actions AWS
authorizes only on ``Resource: "*"`` (with the reason, so each entry can be re-checked).

Keep the allow-list short. An action belongs here only when the Service Authorization
Reference lists no resource type for it; anything else takes an ARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Resource type token -> the input properties that hold an IAM policy document (JSON).
POLICY_PROPERTIES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "aws:iam/rolePolicy:RolePolicy": ("policy",),
        "aws:iam/policy:Policy": ("policy",),
        "aws:iam/userPolicy:UserPolicy": ("policy",),
        "aws:iam/groupPolicy:GroupPolicy": ("policy",),
        "aws:iam/role:Role": ("assumeRolePolicy",),
        "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
        "aws:sns/topicPolicy:TopicPolicy": ("policy",),
        "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
        "aws:kms/key:Key": ("policy",),
        "aws:opensearch/domain:Domain": ("accessPolicies",),
        "aws:opensearch/domainPolicy:DomainPolicy": ("accessPolicies",),
    }
)

_XRAY = "X-Ray defines no resource types: traces cannot be scoped to a resource"
_VENDED_LOGS = (
    "CloudWatch Logs' vended-log delivery (Step Functions execution logs) is authorized on "
    "Resource * only, per the Step Functions logging documentation"
)

WILDCARD_RESOURCE_ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "xray:PutTraceSegments": _XRAY,
        "xray:PutTelemetryRecords": _XRAY,
        "xray:GetSamplingRules": _XRAY,
        "xray:GetSamplingTargets": _XRAY,
        "logs:CreateLogDelivery": _VENDED_LOGS,
        "logs:GetLogDelivery": _VENDED_LOGS,
        "logs:UpdateLogDelivery": _VENDED_LOGS,
        "logs:DeleteLogDelivery": _VENDED_LOGS,
        "logs:ListLogDeliveries": _VENDED_LOGS,
        "logs:PutResourcePolicy": _VENDED_LOGS,
        "logs:DescribeResourcePolicies": _VENDED_LOGS,
        "logs:DescribeLogGroups": _VENDED_LOGS,
        "cloudwatch:PutMetricData": (
            "CloudWatch metrics have no ARN; scope the statement with the cloudwatch:namespace condition key"
        ),
        "sts:GetCallerIdentity": "it names no resource: it answers who the caller is",
    }
)

# Actions that run a Bedrock model (Converse and ConverseStream are authorized by these two).
BEDROCK_INVOKE_ACTIONS: Final = frozenset({"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"})

# The service an ARN must name for each kind of resource a step may be granted.
GRANT_RESOURCE_SERVICES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "jobs_table": "dynamodb",
        "approvals_table": "dynamodb",
        "idempotency_table": "dynamodb",
        "approval_topic": "sns",
        "guardrail": "bedrock",
        "flags": "appconfig",
        "decision_stream": "firehose",
    }
)

# Service principal -> the ARN service of the resources it acts for, for the services whose
# documentation gives ``aws:SourceArn`` for a role or resource policy they are let into
# (Step Functions, EventBridge, CloudWatch Logs subscriptions, Bedrock knowledge bases, API
# Gateway invoking a function). The others here (Firehose, AppConfig) document none: their
# trust names the account (``aws:SourceAccount``) alone.
SOURCE_ARN_SERVICES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "states.amazonaws.com": "states",
        "events.amazonaws.com": "events",
        "logs.amazonaws.com": "logs",
        "bedrock.amazonaws.com": "bedrock",
        "apigateway.amazonaws.com": "execute-api",
    }
)

# Service principals a role may trust without source conditions, with the reason.
NO_SOURCE_CONTEXT_SERVICES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "lambda.amazonaws.com": (
            "Lambda assumes a function's execution role with no aws:SourceArn or aws:SourceAccount "
            "in the request: conditions on them would deny every invocation"
        ),
    }
)

# DynamoDB actions whose every request names the partition keys it touches, so
# ``dynamodb:LeadingKeys`` is always in the request context; a Scan (or PartiQL) names none, and
# ``ForAllValues`` over an absent key is true.
KEYED_DYNAMODB_ACTIONS: Final = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
    }
)

# Type tokens the invariants read, in one place.
TABLE: Final = "aws:dynamodb/table:Table"
STATE_MACHINE: Final = "aws:sfn/stateMachine:StateMachine"
ROLE: Final = "aws:iam/role:Role"
ROLE_POLICY: Final = "aws:iam/rolePolicy:RolePolicy"
HTTP_ROUTE: Final = "aws:apigatewayv2/route:Route"
REST_METHOD: Final = "aws:apigateway/method:Method"
LAMBDA_PERMISSION: Final = "aws:lambda/permission:Permission"
KMS_KEY: Final = "aws:kms/key:Key"
GUARDRAIL: Final = "aws:bedrock/guardrail:Guardrail"
HOSTED_CONFIGURATION: Final = "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion"
LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
TOPIC: Final = "aws:sns/topic:Topic"
