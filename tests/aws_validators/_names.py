"""Every AWS name a program sets, or that Pulumi or the provider would generate, within AWS's rules.

A resource gets its AWS name one of three ways:
- set explicitly (``name=...``): checked as it is;
- from a prefix (``name_prefix=...``): the provider appends 26 characters (a UTC timestamp
  to the ten-thousandth of a second and an 8-digit hex counter, terraform-plugin-sdk's
  ``id.PrefixedUniqueId``), so the prefix must leave room for them;
- neither: Pulumi auto-names it ``<logical name>-<7 random hex characters>`` (8 added), so
  the logical name itself must be short enough. (A few properties are the provider's to
  generate instead; their length is fixed.)
Each rule below gives the limit and the allowed characters, with where AWS states them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import regex
from governed_assistant.infra.testing import MockRun, RegisteredResource

PREFIX_SUFFIX = "2025010112000000000000000a"  # what id.PrefixedUniqueId appends: 26 characters
AUTONAME_SUFFIX = "-1a2b3c4"  # what Pulumi's auto-naming appends: 8 characters


@dataclass(frozen=True)
class NameRule:
    """The AWS name a type takes, its limit and characters, and where AWS says so."""

    prop: str
    limit: int
    pattern: str
    source: str
    prefix_prop: str | None = None
    minimum: int = 1
    generated: int | None = None
    """When the provider (not Pulumi) makes the name if none is given: its length."""
    lowercase: bool = False
    """Pulumi lowercases the auto-name (S3 buckets)."""


_EVENTS_NAME = r"[\.\-_A-Za-z0-9]+"
_IAM_NAME = r"[\w+=,.@-]+"
_RDS_IDENTIFIER = r"[a-zA-Z](?:-?[a-zA-Z0-9])*"
_RDS_SOURCE = "botocore rds {}: 1-63 letters, digits or hyphens, a letter first, no trailing or double hyphen"

RULES: Mapping[str, NameRule] = {
    # The API Gateway v2 shapes are named StringWithLengthBetween1And128 (its model carries no
    # metadata for them); the API reference gives the same 128.
    "aws:apigatewayv2/api:Api": NameRule("name", 128, r".+", "botocore apigatewayv2 CreateApi Name"),
    "aws:apigatewayv2/authorizer:Authorizer": NameRule(
        "name", 128, r".+", "botocore apigatewayv2 CreateAuthorizer Name"
    ),
    "aws:apigatewayv2/stage:Stage": NameRule(
        "name", 128, r".+", "botocore apigatewayv2 CreateStage StageName"
    ),
    "aws:appconfig/application:Application": NameRule("name", 64, r".+", "botocore appconfig Name (1-64)"),
    "aws:appconfig/environment:Environment": NameRule("name", 64, r".+", "botocore appconfig Name (1-64)"),
    "aws:appconfig/deploymentStrategy:DeploymentStrategy": NameRule(
        "name", 64, r".+", "botocore appconfig Name (1-64)"
    ),
    "aws:appconfig/configurationProfile:ConfigurationProfile": NameRule(
        "name", 128, r".+", "botocore appconfig LongName (1-128)"
    ),
    "aws:bedrock/guardrail:Guardrail": NameRule(
        "name", 50, r"[0-9a-zA-Z-_]+", "botocore bedrock GuardrailName"
    ),
    "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase": NameRule(
        "name", 200, r"([0-9a-zA-Z][_-]?){1,100}", "botocore bedrock-agent Name pattern"
    ),
    "aws:bedrock/agentDataSource:AgentDataSource": NameRule(
        "name", 200, r"([0-9a-zA-Z][_-]?){1,100}", "botocore bedrock-agent Name pattern"
    ),
    "aws:cloudwatch/dashboard:Dashboard": NameRule(
        "dashboardName",
        255,
        r"[A-Za-z0-9_-]+",
        "botocore cloudwatch PutDashboard DashboardName documentation",
    ),
    "aws:cloudwatch/eventBus:EventBus": NameRule(
        "name", 256, r"[/\.\-_A-Za-z0-9]+", "botocore events CreateEventBus Name"
    ),
    "aws:cloudwatch/eventRule:EventRule": NameRule("name", 64, _EVENTS_NAME, "botocore events PutRule Name"),
    "aws:cloudwatch/eventTarget:EventTarget": NameRule(
        "targetId", 64, _EVENTS_NAME, "botocore events Target Id", generated=36
    ),
    "aws:cloudtrail/trail:Trail": NameRule(
        "name",
        128,
        r"[A-Za-z0-9](?:[A-Za-z0-9._]|-(?!-))*[A-Za-z0-9]",
        "CloudTrail CreateTrail Name: 3-128 letters, digits, periods, underscores or dashes; a letter "
        "or digit first and last, no two dashes together",
        minimum=3,
    ),
    "aws:cloudwatch/logGroup:LogGroup": NameRule(
        "name",
        512,
        r"[\.\-_/#A-Za-z0-9]+",
        "botocore logs CreateLogGroup logGroupName",
        prefix_prop="namePrefix",
    ),
    "aws:cloudwatch/logStream:LogStream": NameRule("name", 512, r"[^:*]*", "botocore logs LogStreamName"),
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": NameRule(
        "name", 512, r"[^:*]*", "botocore logs PutSubscriptionFilter filterName"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameRule("name", 255, r".+", "botocore cloudwatch AlarmName"),
    "aws:cloudwatch/queryDefinition:QueryDefinition": NameRule(
        "name", 255, r".+", "botocore logs QueryDefinitionName"
    ),
    "aws:cognito/userGroup:UserGroup": NameRule(
        "name", 128, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "botocore cognito-idp GroupNameType"
    ),
    "aws:cognito/userPool:UserPool": NameRule(
        "name", 128, r"[\w\s+=,.@-]+", "botocore cognito-idp UserPoolNameType"
    ),
    "aws:cognito/userPoolClient:UserPoolClient": NameRule(
        "name", 128, r"[\w\s+=,.@-]+", "botocore cognito-idp ClientNameType"
    ),
    # botocore's TableName also takes an ARN (up to 1024); a table's name is 3-255 characters.
    "aws:dynamodb/table:Table": NameRule(
        "name", 255, r"[a-zA-Z0-9_.-]+", "DynamoDB Developer Guide, naming rules", minimum=3
    ),
    "aws:iam/role:Role": NameRule(
        "name", 64, _IAM_NAME, "botocore iam roleNameType", prefix_prop="namePrefix"
    ),
    "aws:iam/rolePolicy:RolePolicy": NameRule(
        "name", 128, _IAM_NAME, "botocore iam policyNameType", prefix_prop="namePrefix"
    ),
    "aws:iam/policy:Policy": NameRule(
        "name", 128, _IAM_NAME, "botocore iam policyNameType", prefix_prop="namePrefix"
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": NameRule(
        "name", 64, r"[a-zA-Z0-9_.-]+", "botocore firehose DeliveryStreamName"
    ),
    # botocore's FunctionName takes an ARN too (140); "If you specify only the function name,
    # it is limited to 64 characters in length" (its documentation).
    "aws:lambda/function:Function": NameRule(
        "name", 64, r"[a-zA-Z0-9-_]+", "botocore lambda CreateFunction FunctionName documentation"
    ),
    "aws:lambda/permission:Permission": NameRule(
        "statementId", 100, r"[a-zA-Z0-9-_]+", "botocore lambda StatementId", prefix_prop="statementIdPrefix"
    ),
    "aws:lambda/layerVersion:LayerVersion": NameRule(
        "layerName", 140, r"[a-zA-Z0-9-_]+", "botocore lambda LayerName pattern ([a-zA-Z0-9-_]{1,140})"
    ),
    "aws:opensearch/domain:Domain": NameRule(
        "domainName", 28, r"[a-z][a-z0-9\-]+", "botocore opensearch DomainName", minimum=3
    ),
    "aws:opensearch/serverlessCollection:ServerlessCollection": NameRule(
        "name", 64, r"[a-z][a-z0-9_-]+", "botocore opensearchserverless CollectionName", minimum=3
    ),
    "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy": NameRule(
        "name", 32, r"[a-z][a-z0-9-]+", "botocore opensearchserverless PolicyName", minimum=3
    ),
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": NameRule(
        "name", 32, r"[a-z][a-z0-9-]+", "botocore opensearchserverless PolicyName", minimum=3
    ),
    # botocore's opensearchserverless VpcEndpointName: 3-32, [a-z][a-z0-9-]+.
    "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint": NameRule(
        "name", 32, r"[a-z][a-z0-9-]+", "botocore opensearchserverless VpcEndpointName", minimum=3
    ),
    # EC2 User Guide, security group rules: "Names can be up to 255 characters [...] a-z, A-Z, 0-9,
    # spaces, and ._-:/()#,@[]+=&;{}!$*", and a name cannot start with sg-.
    "aws:ec2/securityGroup:SecurityGroup": NameRule(
        "name",
        255,
        r"(?!sg-)[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
        "EC2 security group name rules",
        prefix_prop="namePrefix",
    ),
    # botocore rds CreateDBSubnetGroup DBSubnetGroupName: "no more than 255 letters, numbers, periods,
    # underscores, spaces, or hyphens. Must not be default."
    "aws:rds/subnetGroup:SubnetGroup": NameRule(
        "name",
        255,
        r"(?!default$)[a-z0-9._ -]+",
        "botocore rds DBSubnetGroupName documentation",
        prefix_prop="namePrefix",
        lowercase=True,
    ),
    "aws:rds/cluster:Cluster": NameRule(
        "clusterIdentifier", 63, _RDS_IDENTIFIER, _RDS_SOURCE.format("CreateDBCluster DBClusterIdentifier")
    ),
    "aws:rds/clusterInstance:ClusterInstance": NameRule(
        "identifier", 63, _RDS_IDENTIFIER, _RDS_SOURCE.format("CreateDBInstance DBInstanceIdentifier")
    ),
    "aws:s3/bucket:Bucket": NameRule(
        "bucket",
        63,
        r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
        "S3 User Guide, general purpose bucket naming rules",
        prefix_prop="bucketPrefix",
        minimum=3,
        lowercase=True,
    ),
    "aws:secretsmanager/secret:Secret": NameRule(
        "name",
        512,
        r"[A-Za-z0-9/_+=.@-]+",
        "botocore secretsmanager CreateSecret Name",
        prefix_prop="namePrefix",
    ),
    # "To enable logging with CloudWatch Logs, the name should only contain 0-9, A-Z, a-z, - and _".
    "aws:sfn/stateMachine:StateMachine": NameRule(
        "name", 80, r"[0-9A-Za-z_-]+", "botocore states CreateStateMachine name", prefix_prop="namePrefix"
    ),
    # The KMS API reference (CreateAlias): 1-256 characters, "alias/" then letters, digits, / _ -.
    "aws:kms/alias:Alias": NameRule(
        "name", 256, r"alias/[a-zA-Z0-9/_-]+", "botocore kms CreateAlias AliasName", prefix_prop="namePrefix"
    ),
    "aws:sns/topic:Topic": NameRule(
        "name", 256, r"[A-Za-z0-9_-]+(\.fifo)?", "botocore sns CreateTopic Name", prefix_prop="namePrefix"
    ),
    "aws:sqs/queue:Queue": NameRule(
        "name", 80, r"[A-Za-z0-9_-]+(\.fifo)?", "botocore sqs CreateQueue QueueName", prefix_prop="namePrefix"
    ),
}


UNNAMED: Mapping[str, str] = {
    "aws:apigatewayv2/integration:Integration": "AWS gives it an id",
    "aws:apigatewayv2/route:Route": "named by its route key",
    "aws:appconfig/deployment:Deployment": "AWS numbers it",
    "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": "AWS numbers it",
    "aws:bedrock/guardrailVersion:GuardrailVersion": "AWS numbers it",
    "aws:kms/key:Key": "AWS gives it an id; its alias names it",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "part of its function",
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration": (
        "one per account and region, without a name"
    ),
    "aws:lambda/invocation:Invocation": "a call, not a resource",
    "aws:ec2/vpc:Vpc": "AWS gives it an id (its Name is a tag)",
    "aws:ec2/subnet:Subnet": "AWS gives it an id",
    "aws:ec2/routeTable:RouteTable": "AWS gives it an id",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "part of its route table",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "AWS gives it an id; named by its service",
    "aws:opensearch/domainPolicy:DomainPolicy": "part of its domain",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "part of its bucket",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "part of its bucket",
    "aws:s3/bucketPolicy:BucketPolicy": "part of its bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "part of its bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "part of its bucket"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "part of its bucket",
    "aws:sns/topicPolicy:TopicPolicy": "part of its topic",
    "aws:sns/topicSubscription:TopicSubscription": "AWS gives it an ARN",
    "aws:sqs/queuePolicy:QueuePolicy": "part of its queue",
}
"""Types whose AWS resource has no name of its own, each with why."""


def name_limit_problems(run: MockRun) -> list[str]:
    """Every name AWS would refuse: too long, too short, or with characters it does not take."""
    return [problem for resource in run.resources for problem in _problems(resource)]


def _problems(resource: RegisteredResource) -> Iterator[str]:
    rule = RULES.get(resource.type)
    if rule is None:
        return
    name, how = _aws_name(resource.inputs, resource.name, rule)
    if name is None:
        return
    label = f"{resource.type} {resource.name!r}"
    if not rule.minimum <= len(name) <= rule.limit:
        yield (
            f"{label}: {how} {name!r} is {len(name)} characters; AWS takes {rule.minimum}-{rule.limit} "
            f"({rule.source})"
        )
    if not regex.fullmatch(rule.pattern, name):
        yield f"{label}: {how} {name!r} has characters AWS refuses (must match {rule.pattern}; {rule.source})"


def _aws_name(inputs: Mapping[str, Any], logical: str, rule: NameRule) -> tuple[str | None, str]:
    if inputs.get(rule.prop) is not None:
        return str(inputs[rule.prop]), "name"
    if rule.prefix_prop and inputs.get(rule.prefix_prop) is not None:
        return (
            f"{inputs[rule.prefix_prop]}{PREFIX_SUFFIX}",
            f"the name from prefix {inputs[rule.prefix_prop]!r},",
        )
    if rule.generated is not None:
        return None, ""  # the provider's own name, of a length that fits
    name = f"{logical}{AUTONAME_SUFFIX}"
    return (name.lower() if rule.lowercase else name), "Pulumi's auto-name"
