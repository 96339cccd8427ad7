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

_LAMBDA_ENI = (
    "network: vpc. Lambda creates and deletes a function's network interfaces with its execution role "
    "before any interface id exists; the Lambda Developer Guide says DescribeNetworkInterfaces works only "
    "on Resource * and that a DeleteNetworkInterface without every id may cut the function off, and "
    "AWSLambdaVPCAccessExecutionRole grants these on *"
)
_FIREHOSE_ENI = (
    "network: vpc. Firehose creates the network interfaces it delivers into a VPC domain through; its "
    "Developer Guide grants these on Resource * (OpenSearch Service destination in a VPC)"
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
        "ec2:CreateNetworkInterface": f"{_LAMBDA_ENI}; {_FIREHOSE_ENI}",
        "ec2:DescribeNetworkInterfaces": f"{_LAMBDA_ENI}; {_FIREHOSE_ENI}",
        "ec2:DescribeSubnets": f"{_LAMBDA_ENI}; {_FIREHOSE_ENI}",
        "ec2:DeleteNetworkInterface": f"{_LAMBDA_ENI}; {_FIREHOSE_ENI}",
        "ec2:AssignPrivateIpAddresses": _LAMBDA_ENI,
        "ec2:UnassignPrivateIpAddresses": _LAMBDA_ENI,
        "ec2:DescribeVpcs": _FIREHOSE_ENI,
        "ec2:DescribeVpcAttribute": _FIREHOSE_ENI,
        "ec2:DescribeSecurityGroups": _FIREHOSE_ENI,
        "ec2:CreateNetworkInterfacePermission": _FIREHOSE_ENI,
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
        "stack_key": "kms",
    }
)

# Service principal -> the ARN service of the resources it acts for, for the services whose
# documentation gives ``aws:SourceArn`` for a role or resource policy they are let into
# (Step Functions, EventBridge, CloudWatch Logs subscriptions, Bedrock knowledge bases, API
# Gateway invoking a function). The others here (Firehose, AppConfig) document none: their
# trust names the account alone (AppConfig with ``aws:SourceAccount``, Firehose with
# ``sts:ExternalId``, ``ACCOUNT_CONDITION_KEYS``).
SOURCE_ARN_SERVICES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "states.amazonaws.com": "states",
        "events.amazonaws.com": "events",
        "logs.amazonaws.com": "logs",
        "bedrock.amazonaws.com": "bedrock",
        "apigateway.amazonaws.com": "execute-api",
    }
)

# Services that name the account they act for with another key than aws:SourceAccount when they
# assume a role: Firehose's documented trust policy pins sts:ExternalId to the account id (the
# Firehose developer guide, "Allow Firehose to assume an IAM role").
ACCOUNT_CONDITION_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {"firehose.amazonaws.com": "sts:ExternalId"}
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
TOPIC_SUBSCRIPTION: Final = "aws:sns/topicSubscription:TopicSubscription"
KEY: Final = "aws:kms/key:Key"

# ---------------------------------------------------------------------- the stack's key
# Every type that keeps data, logs, messages or configuration, and where its inputs name the KMS key
# that encrypts it (``kms_key``): each path must name the stack's key. What else must hold for the
# service to use that key (not its own) is beside it. S3 buckets (``BUCKET_ENCRYPTION``) and
# OpenSearch Serverless encryption policies (``SERVERLESS_SECURITY_POLICY``) say it inside a list
# or a JSON document, and the invariant reads them itself.
BUCKET_ENCRYPTION: Final = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
SERVERLESS_SECURITY_POLICY: Final = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
KEY_PATHS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = MappingProxyType(
    {
        "aws:dynamodb/table:Table": (("serverSideEncryption", "kmsKeyArn"),),
        "aws:cloudwatch/logGroup:LogGroup": (("kmsKeyId",),),
        "aws:sns/topic:Topic": (("kmsMasterKeyId",),),
        "aws:sqs/queue:Queue": (("kmsMasterKeyId",),),
        "aws:cloudwatch/eventBus:EventBus": (("kmsKeyIdentifier",),),
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (("serverSideEncryption", "keyArn"),),
        "aws:kinesis/stream:Stream": (("kmsKeyId",),),
        "aws:opensearch/domain:Domain": (("encryptAtRest", "kmsKeyId"),),
        "aws:rds/cluster:Cluster": (("kmsKeyId",), ("masterUserSecretKmsKeyId",)),
        "aws:secretsmanager/secret:Secret": (("kmsKeyId",),),
        "aws:appconfig/configurationProfile:ConfigurationProfile": (("kmsKeyIdentifier",),),
        "aws:appconfig/deployment:Deployment": (("kmsKeyIdentifier",),),
        "aws:sfn/stateMachine:StateMachine": (("encryptionConfiguration", "kmsKeyId"),),
        "aws:lambda/function:Function": (("kmsKeyArn",),),
    }
)
KEY_COMPANIONS: Final[Mapping[str, Mapping[tuple[str, ...], object]]] = MappingProxyType(
    {
        "aws:dynamodb/table:Table": {("serverSideEncryption", "enabled"): True},
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
            ("serverSideEncryption", "enabled"): True,
            ("serverSideEncryption", "keyType"): "CUSTOMER_MANAGED_CMK",
        },
        "aws:kinesis/stream:Stream": {("encryptionType",): "KMS"},
        "aws:opensearch/domain:Domain": {("encryptAtRest", "enabled"): True},
        "aws:rds/cluster:Cluster": {("storageEncrypted",): True},
        "aws:sfn/stateMachine:StateMachine": {
            ("encryptionConfiguration", "type"): "CUSTOMER_MANAGED_KMS_KEY"
        },
    }
)
FUNCTION: Final = "aws:lambda/function:Function"
DOMAIN: Final = "aws:opensearch/domain:Domain"
SECURITY_POLICY: Final = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"
SECURITY_GROUP: Final = "aws:ec2/securityGroup:SecurityGroup"
# Ingress written as rules of their own, outside the group (the newer and the older resource).
INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUP_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
SUBNET: Final = "aws:ec2/subnet:Subnet"
DB_INSTANCE: Final = "aws:rds/clusterInstance:ClusterInstance"
DELIVERY_STREAM: Final = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
# What gives a VPC a way out to (or in from) the internet: none may exist in network: vpc.
INTERNET_PATHS: Final = frozenset(
    {
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment",
        "aws:ec2/eip:Eip",
    }
)
# Every address, IPv4 and IPv6.
ANYWHERE: Final = frozenset({"0.0.0.0/0", "::/0"})
EVENT_TARGET: Final = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_INVOKE_CONFIG: Final = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
PERMISSION: Final = "aws:lambda/permission:Permission"
# Services that invoke a Lambda function asynchronously (Lambda retries, then drops the event
# unless the function has somewhere to send it).
ASYNC_INVOKERS: Final = frozenset(
    {
        "events.amazonaws.com",
        "scheduler.amazonaws.com",
        "sns.amazonaws.com",
        "s3.amazonaws.com",
        "logs.amazonaws.com",
    }
)
