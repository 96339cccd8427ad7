"""Each resource type's Pulumi inputs, mapped to the AWS requests the provider makes for it.

The mapping is explicit, per type and per field: a Pulumi property is camelCase of the AWS
field in most cases but not all (``identitySources`` is ``IdentitySource``, a metric alarm's
``dimensions`` map is a list of ``{Name, Value}``, a queue's settings are string attributes),
so nothing is guessed. A request carries the fields the programs set that the model
constrains: names, descriptions, sizes, timeouts, thresholds, periods, enums, documents.

Left out on purpose: references to another resource by its id (an API's ``ApiId``, a user
pool's id, a guardrail's identifier). Under the mocks an id is ``<logical name>-id``, not the
id AWS would return, so its pattern says nothing about the program. Where AWS requires such
a field inside a structure we map whole, it is marked ``UNCHECKED``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tests.aws_validators._service_models import UNCHECKED

Inputs = Mapping[str, Any]
Call = tuple[str, str, dict[str, Any]]  # (botocore service, operation, request)


Field = str | tuple[str, "Spec"] | Callable[[Inputs], Any]
Spec = Mapping[str, Field]


def pick(values: Inputs | None, spec: Spec) -> dict[str, Any]:
    """The AWS fields of ``spec`` from Pulumi ``values``.

    Each field is a Pulumi property name, ``(property, spec)`` for a nested object (or a list
    of them), or a function of ``values``; absent values are left out.
    """
    if not values:
        return {}
    out: dict[str, Any] = {}
    for aws_name, source in spec.items():
        if callable(source):
            value = source(values)
        elif isinstance(source, tuple):
            key, nested = source
            raw = values.get(key)
            value = [pick(item, nested) for item in raw] if isinstance(raw, list) else pick(raw, nested)
            value = value or None
        else:
            value = values.get(source)
        if value is not None:
            out[aws_name] = value
    return out


def unchecked(prop: str) -> Callable[[Inputs], Any]:
    return lambda values: UNCHECKED if values.get(prop) is not None else None


def tag_list(key: str = "Key", value: str = "Value") -> Callable[[Inputs], Any]:
    """Pulumi's tags map as the list of ``{Key, Value}`` most APIs take."""
    return lambda values: [{key: k, value: v} for k, v in (values.get("tags") or {}).items()] or None


def ids(prop: str) -> Callable[[Inputs], Any]:
    """A list of ids (subnets, groups): its length is checked, not the mock ids themselves."""
    return lambda values: [UNCHECKED] * len(values[prop]) if values.get(prop) is not None else None


def _ip_permissions(values: Inputs, prop: str) -> list[dict[str, Any]] | None:
    """A security group's inline rules as the IpPermissions EC2 takes (sources by id are unchecked)."""
    rules = []
    for rule in values.get(prop) or ():
        described = {"Description": rule["description"]} if rule.get("description") else {}
        permission = pick(rule, {"IpProtocol": "protocol", "FromPort": "fromPort", "ToPort": "toPort"})
        if rule.get("cidrBlocks"):
            permission["IpRanges"] = [{"CidrIp": cidr, **described} for cidr in rule["cidrBlocks"]]
        if rule.get("securityGroups"):
            permission["UserIdGroupPairs"] = [
                {"GroupId": UNCHECKED, **described} for _ in rule["securityGroups"]
            ]
        if rule.get("prefixListIds"):
            permission["PrefixListIds"] = [
                {"PrefixListId": UNCHECKED, **described} for _ in rule["prefixListIds"]
            ]
        rules.append(permission)
    return rules or None


def _security_group(values: Inputs) -> list[Call]:
    calls: list[Call] = [
        (
            "ec2",
            "CreateSecurityGroup",
            {
                "GroupName": values.get("name") or UNCHECKED,
                "Description": values.get("description"),
                "VpcId": UNCHECKED,
            },
        )
    ]
    for operation, prop in (
        ("AuthorizeSecurityGroupIngress", "ingress"),
        ("AuthorizeSecurityGroupEgress", "egress"),
    ):
        permissions = _ip_permissions(values, prop)
        if permissions:
            calls.append(("ec2", operation, {"GroupId": UNCHECKED, "IpPermissions": permissions}))
    return calls


def key_schema(values: Inputs) -> list[dict[str, str]] | None:
    keys = [(values.get("hashKey"), "HASH"), (values.get("rangeKey"), "RANGE")]
    return [{"AttributeName": name, "KeyType": kind} for name, kind in keys if name] or None


def dimensions(values: Inputs) -> list[dict[str, str]] | None:
    return [{"Name": k, "Value": v} for k, v in (values.get("dimensions") or {}).items()] or None


def attributes(spec: Mapping[str, str]) -> Callable[[Inputs], Any]:
    """Settings an API takes as a map of string attributes (SQS, SNS), as the provider sends them."""

    def build(values: Inputs) -> dict[str, str] | None:
        found = {name: values[prop] for name, prop in spec.items() if values.get(prop) is not None}
        return {name: _attribute(value) for name, value in found.items()} or None

    return build


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_CORS: Spec = {
    "AllowCredentials": "allowCredentials",
    "AllowHeaders": "allowHeaders",
    "AllowMethods": "allowMethods",
    "AllowOrigins": "allowOrigins",
    "ExposeHeaders": "exposeHeaders",
    "MaxAge": "maxAge",
}
_S3_DESTINATION: Spec = {
    "RoleARN": "roleArn",
    "BucketARN": unchecked("bucketArn"),  # an S3 ARN names the bucket's mock id
    "Prefix": "prefix",
    "ErrorOutputPrefix": "errorOutputPrefix",
    "CompressionFormat": "compressionFormat",
    "BufferingHints": lambda v: (
        pick(v, {"SizeInMBs": "bufferingSize", "IntervalInSeconds": "bufferingInterval"}) or None
    ),
}
_PROCESSING: Spec = {
    "Enabled": "enabled",
    "Processors": (
        "processors",
        {
            "Type": "type",
            "Parameters": (
                "parameters",
                {"ParameterName": "parameterName", "ParameterValue": "parameterValue"},
            ),
        },
    ),
}
_LOGGING_OPTIONS: Spec = {
    "Enabled": "enabled",
    "LogGroupName": "logGroupName",
    "LogStreamName": "logStreamName",
}


def _opensearch_destination(values: Inputs) -> dict[str, Any] | None:
    return (
        pick(
            values.get("opensearchConfiguration"),
            {
                "RoleARN": "roleArn",
                # The mocks put the logical name in the ARN; the domain's own name is checked on it.
                "DomainARN": unchecked("domainArn"),
                "IndexName": "indexName",
                "IndexRotationPeriod": "indexRotationPeriod",
                "BufferingHints": lambda v: (
                    pick(v, {"IntervalInSeconds": "bufferingInterval", "SizeInMBs": "bufferingSize"}) or None
                ),
                "RetryOptions": lambda v: pick(v, {"DurationInSeconds": "retryDuration"}) or None,
                "S3BackupMode": "s3BackupMode",
                "S3Configuration": ("s3Configuration", _S3_DESTINATION),
                "ProcessingConfiguration": ("processingConfiguration", _PROCESSING),
                "CloudWatchLoggingOptions": ("cloudwatchLoggingOptions", _LOGGING_OPTIONS),
                "VpcConfiguration": lambda v: (
                    pick(
                        v.get("vpcConfig"),
                        {
                            "SubnetIds": ids("subnetIds"),
                            "SecurityGroupIds": ids("securityGroupIds"),
                            "RoleARN": "roleArn",
                        },
                    )
                    or None
                ),
            },
        )
        or None
    )


def _metric_queries(values: Inputs) -> list[dict[str, Any]] | None:
    queries = []
    for query in values.get("metricQueries") or ():
        request = pick(
            query,
            {
                "Id": "id",
                "Expression": "expression",
                "Label": "label",
                "ReturnData": "returnData",
                "Period": "period",
            },
        )
        if query.get("metric"):
            metric = query["metric"]
            request["MetricStat"] = pick(
                metric,
                {
                    "Metric": lambda m: pick(
                        m, {"Namespace": "namespace", "MetricName": "metricName", "Dimensions": dimensions}
                    ),
                    "Period": "period",
                    "Stat": "stat",
                    "Unit": "unit",
                },
            )
        queries.append(request)
    return queries or None


_TYPE_CALLS: dict[str, Callable[[Inputs], list[Call]]] = {
    "aws:apigatewayv2/api:Api": lambda i: [
        (
            "apigatewayv2",
            "CreateApi",
            pick(
                i,
                {
                    "Name": "name",
                    "ProtocolType": "protocolType",
                    "Description": "description",
                    "CorsConfiguration": ("corsConfiguration", _CORS),
                    "Tags": "tags",
                },
            ),
        )
    ],
    "aws:apigatewayv2/authorizer:Authorizer": lambda i: [
        (
            "apigatewayv2",
            "CreateAuthorizer",
            pick(
                i,
                {
                    "Name": "name",
                    "AuthorizerType": "authorizerType",
                    "IdentitySource": "identitySources",
                    "JwtConfiguration": ("jwtConfiguration", {"Audience": "audiences", "Issuer": "issuer"}),
                    "AuthorizerResultTtlInSeconds": "authorizerResultTtlInSeconds",
                },
            ),
        )
    ],
    "aws:apigatewayv2/integration:Integration": lambda i: [
        (
            "apigatewayv2",
            "CreateIntegration",
            pick(
                i,
                {
                    "IntegrationType": "integrationType",
                    "IntegrationUri": "integrationUri",
                    "PayloadFormatVersion": "payloadFormatVersion",
                    "TimeoutInMillis": "timeoutMilliseconds",
                    "Description": "description",
                },
            ),
        )
    ],
    "aws:apigatewayv2/route:Route": lambda i: [
        (
            "apigatewayv2",
            "CreateRoute",
            pick(i, {"RouteKey": "routeKey", "AuthorizationType": "authorizationType", "Target": "target"}),
        )
    ],
    "aws:apigatewayv2/stage:Stage": lambda i: [
        (
            "apigatewayv2",
            "CreateStage",
            pick(
                i,
                {
                    "StageName": "name",
                    "AutoDeploy": "autoDeploy",
                    "Description": "description",
                    "DefaultRouteSettings": (
                        "defaultRouteSettings",
                        {
                            "DetailedMetricsEnabled": "detailedMetricsEnabled",
                            "DataTraceEnabled": "dataTraceEnabled",
                            "LoggingLevel": "loggingLevel",
                            "ThrottlingBurstLimit": "throttlingBurstLimit",
                            "ThrottlingRateLimit": "throttlingRateLimit",
                        },
                    ),
                    "AccessLogSettings": (
                        "accessLogSettings",
                        {"DestinationArn": "destinationArn", "Format": "format"},
                    ),
                    "Tags": "tags",
                },
            ),
        )
    ],
    "aws:appconfig/application:Application": lambda i: [
        (
            "appconfig",
            "CreateApplication",
            pick(i, {"Name": "name", "Description": "description", "Tags": "tags"}),
        )
    ],
    "aws:appconfig/configurationProfile:ConfigurationProfile": lambda i: [
        (
            "appconfig",
            "CreateConfigurationProfile",
            pick(
                i,
                {
                    "Name": "name",
                    "Description": "description",
                    "LocationUri": "locationUri",
                    "Type": "type",
                    "Validators": ("validators", {"Type": "type", "Content": "content"}),
                    "RetrievalRoleArn": "retrievalRoleArn",
                    "KmsKeyIdentifier": "kmsKeyIdentifier",
                    "Tags": "tags",
                },
            ),
        )
    ],
    "aws:appconfig/deployment:Deployment": lambda i: [
        (
            "appconfig",
            "StartDeployment",
            pick(
                i,
                {
                    "ConfigurationVersion": "configurationVersion",
                    "Description": "description",
                    "KmsKeyIdentifier": "kmsKeyIdentifier",
                    "Tags": "tags",
                },
            ),
        )
    ],
    "aws:appconfig/deploymentStrategy:DeploymentStrategy": lambda i: [
        (
            "appconfig",
            "CreateDeploymentStrategy",
            pick(
                i,
                {
                    "Name": "name",
                    "Description": "description",
                    "DeploymentDurationInMinutes": "deploymentDurationInMinutes",
                    "FinalBakeTimeInMinutes": "finalBakeTimeInMinutes",
                    "GrowthFactor": "growthFactor",
                    "GrowthType": "growthType",
                    "ReplicateTo": "replicateTo",
                    "Tags": "tags",
                },
            ),
        )
    ],
    "aws:appconfig/environment:Environment": lambda i: [
        (
            "appconfig",
            "CreateEnvironment",
            pick(
                i,
                {
                    "Name": "name",
                    "Description": "description",
                    "Monitors": ("monitors", {"AlarmArn": "alarmArn", "AlarmRoleArn": "alarmRoleArn"}),
                    "Tags": "tags",
                },
            ),
        )
    ],
    "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": lambda i: [
        (
            "appconfig",
            "CreateHostedConfigurationVersion",
            pick(i, {"Description": "description", "Content": "content", "ContentType": "contentType"}),
        )
    ],
    "aws:bedrock/guardrail:Guardrail": lambda i: [
        (
            "bedrock",
            "CreateGuardrail",
            pick(
                i,
                {
                    "name": "name",
                    "description": "description",
                    "blockedInputMessaging": "blockedInputMessaging",
                    "blockedOutputsMessaging": "blockedOutputsMessaging",
                    "contentPolicyConfig": (
                        "contentPolicyConfig",
                        {
                            "filtersConfig": (
                                "filtersConfigs",
                                {
                                    "type": "type",
                                    "inputStrength": "inputStrength",
                                    "outputStrength": "outputStrength",
                                    "inputAction": "inputAction",
                                    "outputAction": "outputAction",
                                },
                            )
                        },
                    ),
                    "topicPolicyConfig": (
                        "topicPolicyConfig",
                        {
                            "topicsConfig": (
                                "topicsConfigs",
                                {
                                    "name": "name",
                                    "definition": "definition",
                                    "examples": "examples",
                                    "type": "type",
                                },
                            )
                        },
                    ),
                    "sensitiveInformationPolicyConfig": (
                        "sensitiveInformationPolicyConfig",
                        {
                            "piiEntitiesConfig": ("piiEntitiesConfigs", {"type": "type", "action": "action"}),
                            "regexesConfig": (
                                "regexesConfigs",
                                {
                                    "name": "name",
                                    "description": "description",
                                    "pattern": "pattern",
                                    "action": "action",
                                },
                            ),
                        },
                    ),
                    "wordPolicyConfig": (
                        "wordPolicyConfig",
                        {
                            "wordsConfig": ("wordsConfigs", {"text": "text"}),
                            "managedWordListsConfig": ("managedWordListsConfigs", {"type": "type"}),
                        },
                    ),
                    "contextualGroundingPolicyConfig": (
                        "contextualGroundingPolicyConfig",
                        {"filtersConfig": ("filtersConfigs", {"type": "type", "threshold": "threshold"})},
                    ),
                    "tags": tag_list("key", "value"),
                },
            ),
        )
    ],
    "aws:bedrock/guardrailVersion:GuardrailVersion": lambda i: [
        ("bedrock", "CreateGuardrailVersion", pick(i, {"description": "description"}))
    ],
    "aws:bedrock/agentKnowledgeBase:AgentKnowledgeBase": lambda i: [
        (
            "bedrock-agent",
            "CreateKnowledgeBase",
            pick(
                i,
                {
                    "name": "name",
                    "description": "description",
                    "roleArn": "roleArn",
                    "knowledgeBaseConfiguration": (
                        "knowledgeBaseConfiguration",
                        {
                            "type": "type",
                            "vectorKnowledgeBaseConfiguration": (
                                "vectorKnowledgeBaseConfiguration",
                                {"embeddingModelArn": "embeddingModelArn"},
                            ),
                        },
                    ),
                    "storageConfiguration": (
                        "storageConfiguration",
                        {
                            "type": "type",
                            "opensearchServerlessConfiguration": (
                                "opensearchServerlessConfiguration",
                                {
                                    "collectionArn": unchecked(
                                        "collectionArn"
                                    ),  # holds the mock collection id
                                    "vectorIndexName": "vectorIndexName",
                                    "fieldMapping": (
                                        "fieldMapping",
                                        {
                                            "vectorField": "vectorField",
                                            "textField": "textField",
                                            "metadataField": "metadataField",
                                        },
                                    ),
                                },
                            ),
                        },
                    ),
                    "tags": "tags",
                },
            ),
        )
    ],
    "aws:bedrock/agentDataSource:AgentDataSource": lambda i: [
        (
            "bedrock-agent",
            "CreateDataSource",
            pick(
                i,
                {
                    "name": "name",
                    "description": "description",
                    "dataDeletionPolicy": "dataDeletionPolicy",
                    "dataSourceConfiguration": (
                        "dataSourceConfiguration",
                        {
                            "type": "type",
                            "s3Configuration": (
                                "s3Configuration",
                                {
                                    "bucketArn": unchecked(
                                        "bucketArn"
                                    ),  # an S3 ARN names the bucket's mock id
                                    "inclusionPrefixes": "inclusionPrefixes",
                                    "bucketOwnerAccountId": "bucketOwnerAccountId",
                                },
                            ),
                        },
                    ),
                },
            ),
        )
    ],
    "aws:cloudwatch/dashboard:Dashboard": lambda i: [
        (
            "cloudwatch",
            "PutDashboard",
            pick(i, {"DashboardName": "dashboardName", "DashboardBody": "dashboardBody"}),
        )
    ],
    "aws:cloudwatch/eventBus:EventBus": lambda i: [
        (
            "events",
            "CreateEventBus",
            pick(
                i,
                {
                    "Name": "name",
                    "Description": "description",
                    "KmsKeyIdentifier": "kmsKeyIdentifier",
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:cloudwatch/eventRule:EventRule": lambda i: [
        (
            "events",
            "PutRule",
            pick(
                i,
                {
                    "Name": "name",
                    "EventPattern": "eventPattern",
                    "ScheduleExpression": "scheduleExpression",
                    "EventBusName": "eventBusName",
                    "Description": "description",
                    "State": "state",
                    "RoleArn": "roleArn",
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:cloudwatch/eventTarget:EventTarget": lambda i: [
        (
            "events",
            "PutTargets",
            {
                **pick(i, {"Rule": "rule", "EventBusName": "eventBusName"}),
                "Targets": [
                    pick(
                        i,
                        {
                            # Without targetId the provider generates one ("terraform-" and 26 characters).
                            "Id": lambda v: v.get("targetId") or UNCHECKED,
                            "Arn": "arn",
                            "RoleArn": "roleArn",
                            "Input": "input",
                            "InputPath": "inputPath",
                            "RetryPolicy": (
                                "retryPolicy",
                                {
                                    "MaximumRetryAttempts": "maximumRetryAttempts",
                                    "MaximumEventAgeInSeconds": "maximumEventAgeInSeconds",
                                },
                            ),
                            "DeadLetterConfig": ("deadLetterConfig", {"Arn": "arn"}),
                        },
                    )
                ],
            },
        )
    ],
    "aws:cloudtrail/trail:Trail": lambda i: [
        (
            "cloudtrail",
            "CreateTrail",
            pick(
                i,
                {
                    "Name": "name",
                    "S3BucketName": unchecked("s3BucketName"),
                    "S3KeyPrefix": "s3KeyPrefix",
                    "IncludeGlobalServiceEvents": "includeGlobalServiceEvents",
                    "IsMultiRegionTrail": "isMultiRegionTrail",
                    "EnableLogFileValidation": "enableLogFileValidation",
                    "TagsList": tag_list(),
                },
            ),
        ),
        (
            "cloudtrail",
            "PutEventSelectors",
            {
                "TrailName": UNCHECKED,
                **pick(
                    i,
                    {
                        "AdvancedEventSelectors": (
                            "advancedEventSelectors",
                            {
                                "Name": "name",
                                "FieldSelectors": (
                                    "fieldSelectors",
                                    {"Field": "field", "Equals": "equals", "StartsWith": "startsWiths"},
                                ),
                            },
                        )
                    },
                ),
            },
        ),
    ],
    "aws:cloudwatch/logGroup:LogGroup": lambda i: [
        (
            "logs",
            "CreateLogGroup",
            pick(
                i,
                {
                    "logGroupName": "name",
                    "kmsKeyId": "kmsKeyId",
                    "logGroupClass": "logGroupClass",
                    "tags": "tags",
                },
            ),
        ),
        (
            "logs",
            "PutRetentionPolicy",
            pick(i, {"logGroupName": "name", "retentionInDays": "retentionInDays"}),
        ),
    ],
    "aws:cloudwatch/logStream:LogStream": lambda i: [
        ("logs", "CreateLogStream", pick(i, {"logGroupName": "logGroupName", "logStreamName": "name"}))
    ],
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": lambda i: [
        (
            "logs",
            "PutSubscriptionFilter",
            pick(
                i,
                {
                    "logGroupName": "logGroup",
                    "filterName": "name",
                    "filterPattern": "filterPattern",
                    "destinationArn": "destinationArn",
                    "roleArn": "roleArn",
                    "distribution": "distribution",
                },
            ),
        )
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda i: [
        (
            "cloudwatch",
            "PutMetricAlarm",
            pick(
                i,
                {
                    "AlarmName": "name",
                    "AlarmDescription": "alarmDescription",
                    "ActionsEnabled": "actionsEnabled",
                    "OKActions": "okActions",
                    "AlarmActions": "alarmActions",
                    "InsufficientDataActions": "insufficientDataActions",
                    "MetricName": "metricName",
                    "Namespace": "namespace",
                    "Statistic": "statistic",
                    "ExtendedStatistic": "extendedStatistic",
                    "Dimensions": dimensions,
                    "Period": "period",
                    "Unit": "unit",
                    "EvaluationPeriods": "evaluationPeriods",
                    "DatapointsToAlarm": "datapointsToAlarm",
                    "Threshold": "threshold",
                    "ComparisonOperator": "comparisonOperator",
                    "TreatMissingData": "treatMissingData",
                    "Metrics": _metric_queries,
                    "ThresholdMetricId": "thresholdMetricId",
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:cloudwatch/queryDefinition:QueryDefinition": lambda i: [
        (
            "logs",
            "PutQueryDefinition",
            pick(i, {"name": "name", "queryString": "queryString", "logGroupNames": "logGroupNames"}),
        )
    ],
    "aws:cognito/userGroup:UserGroup": lambda i: [
        (
            "cognito-idp",
            "CreateGroup",
            pick(
                i,
                {
                    "GroupName": "name",
                    "Description": "description",
                    "Precedence": "precedence",
                    "RoleArn": "roleArn",
                },
            ),
        )
    ],
    "aws:cognito/userPool:UserPool": lambda i: [
        (
            "cognito-idp",
            "CreateUserPool",
            pick(
                i,
                {
                    "PoolName": "name",
                    "Policies": lambda v: (
                        {
                            "PasswordPolicy": pick(
                                v["passwordPolicy"],
                                {
                                    "MinimumLength": "minimumLength",
                                    "RequireUppercase": "requireUppercase",
                                    "RequireLowercase": "requireLowercase",
                                    "RequireNumbers": "requireNumbers",
                                    "RequireSymbols": "requireSymbols",
                                    "PasswordHistorySize": "passwordHistorySize",
                                    "TemporaryPasswordValidityDays": "temporaryPasswordValidityDays",
                                },
                            )
                        }
                        if v.get("passwordPolicy")
                        else None
                    ),
                    "DeletionProtection": "deletionProtection",
                    "MfaConfiguration": "mfaConfiguration",
                    "AutoVerifiedAttributes": "autoVerifiedAttributes",
                    "AliasAttributes": "aliasAttributes",
                    "UsernameAttributes": "usernameAttributes",
                    "AccountRecoverySetting": (
                        "accountRecoverySetting",
                        {
                            "RecoveryMechanisms": (
                                "recoveryMechanisms",
                                {"Name": "name", "Priority": "priority"},
                            )
                        },
                    ),
                    "AdminCreateUserConfig": (
                        "adminCreateUserConfig",
                        {"AllowAdminCreateUserOnly": "allowAdminCreateUserOnly"},
                    ),
                    "Schema": (
                        "schemas",
                        {
                            "Name": "name",
                            "AttributeDataType": "attributeDataType",
                            "DeveloperOnlyAttribute": "developerOnlyAttribute",
                            "Mutable": "mutable",
                            "Required": "required",
                            "StringAttributeConstraints": (
                                "stringAttributeConstraints",
                                {"MinLength": "minLength", "MaxLength": "maxLength"},
                            ),
                            "NumberAttributeConstraints": (
                                "numberAttributeConstraints",
                                {"MinValue": "minValue", "MaxValue": "maxValue"},
                            ),
                        },
                    ),
                    "UserPoolTags": "tags",
                },
            ),
        )
    ],
    "aws:cognito/userPoolClient:UserPoolClient": lambda i: [
        (
            "cognito-idp",
            "CreateUserPoolClient",
            pick(
                i,
                {
                    "ClientName": "name",
                    "GenerateSecret": "generateSecret",
                    "RefreshTokenValidity": "refreshTokenValidity",
                    "AccessTokenValidity": "accessTokenValidity",
                    "IdTokenValidity": "idTokenValidity",
                    "TokenValidityUnits": (
                        "tokenValidityUnits",
                        {"AccessToken": "accessToken", "IdToken": "idToken", "RefreshToken": "refreshToken"},
                    ),
                    "ReadAttributes": "readAttributes",
                    "WriteAttributes": "writeAttributes",
                    "ExplicitAuthFlows": "explicitAuthFlows",
                    "SupportedIdentityProviders": "supportedIdentityProviders",
                    "CallbackURLs": "callbackUrls",
                    "LogoutURLs": "logoutUrls",
                    "AllowedOAuthFlows": "allowedOauthFlows",
                    "AllowedOAuthScopes": "allowedOauthScopes",
                    "PreventUserExistenceErrors": "preventUserExistenceErrors",
                    "EnableTokenRevocation": "enableTokenRevocation",
                    "AuthSessionValidity": "authSessionValidity",
                },
            ),
        )
    ],
    "aws:dynamodb/table:Table": lambda i: [
        (
            "dynamodb",
            "CreateTable",
            pick(
                i,
                {
                    "TableName": "name",
                    "AttributeDefinitions": (
                        "attributes",
                        {"AttributeName": "name", "AttributeType": "type"},
                    ),
                    "KeySchema": key_schema,
                    "BillingMode": "billingMode",
                    "GlobalSecondaryIndexes": (
                        "globalSecondaryIndexes",
                        {
                            "IndexName": "name",
                            "KeySchema": key_schema,
                            "Projection": lambda v: pick(
                                v,
                                {"ProjectionType": "projectionType", "NonKeyAttributes": "nonKeyAttributes"},
                            ),
                        },
                    ),
                    "StreamSpecification": lambda v: (
                        pick(v, {"StreamEnabled": "streamEnabled", "StreamViewType": "streamViewType"})
                        or None
                    ),
                    "SSESpecification": (
                        "serverSideEncryption",
                        {"Enabled": "enabled", "KMSMasterKeyId": "kmsKeyArn"},
                    ),
                    "DeletionProtectionEnabled": "deletionProtectionEnabled",
                    "TableClass": "tableClass",
                    "Tags": tag_list(),
                },
            ),
        ),
        *(
            [
                (
                    "dynamodb",
                    "UpdateTimeToLive",
                    {
                        "TableName": UNCHECKED,
                        "TimeToLiveSpecification": pick(
                            i["ttl"], {"Enabled": "enabled", "AttributeName": "attributeName"}
                        ),
                    },
                )
            ]
            if (i.get("ttl") or {}).get("enabled")
            else []
        ),
    ],
    "aws:iam/role:Role": lambda i: [
        (
            "iam",
            "CreateRole",
            pick(
                i,
                {
                    "RoleName": "name",
                    "Path": "path",
                    "AssumeRolePolicyDocument": "assumeRolePolicy",
                    "Description": "description",
                    "MaxSessionDuration": "maxSessionDuration",
                    "PermissionsBoundary": "permissionsBoundary",
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:iam/rolePolicy:RolePolicy": lambda i: [
        ("iam", "PutRolePolicy", pick(i, {"PolicyName": "name", "PolicyDocument": "policy"}))
    ],
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": lambda i: [
        (
            "firehose",
            "CreateDeliveryStream",
            pick(
                i,
                {
                    "DeliveryStreamName": "name",
                    "DeliveryStreamEncryptionConfigurationInput": lambda v: (
                        pick(v.get("serverSideEncryption"), {"KeyType": "keyType", "KeyARN": "keyArn"})
                        or None
                    ),
                    "AmazonopensearchserviceDestinationConfiguration": _opensearch_destination,
                    "ExtendedS3DestinationConfiguration": ("extendedS3Configuration", _S3_DESTINATION),
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    # The key's policy goes through parliament (POLICY_DOCUMENTS); here its other fields. Rotation and
    # the deletion window are separate calls (EnableKeyRotation, ScheduleKeyDeletion).
    "aws:kms/key:Key": lambda i: [
        (
            "kms",
            "CreateKey",
            pick(
                i,
                {
                    "Policy": "policy",
                    "Description": "description",
                    "KeyUsage": "keyUsage",
                    "KeySpec": "customerMasterKeySpec",
                    "Tags": tag_list("TagKey", "TagValue"),
                },
            ),
        ),
        *(
            [
                (
                    "kms",
                    "EnableKeyRotation",
                    {"KeyId": UNCHECKED, "RotationPeriodInDays": int(i["rotationPeriodInDays"])},
                )
            ]
            if i.get("rotationPeriodInDays") is not None
            else []
        ),
        *(
            [
                (
                    "kms",
                    "ScheduleKeyDeletion",
                    {"KeyId": UNCHECKED, "PendingWindowInDays": int(i["deletionWindowInDays"])},
                )
            ]
            if i.get("deletionWindowInDays") is not None
            else []
        ),
    ],
    "aws:kms/alias:Alias": lambda i: [
        ("kms", "CreateAlias", {"AliasName": i.get("name"), "TargetKeyId": UNCHECKED}),
    ],
    "aws:lambda/function:Function": lambda i: [
        (
            "lambda",
            "CreateFunction",
            pick(
                i,
                {
                    "FunctionName": "name",
                    "Role": "role",
                    "Runtime": "runtime",
                    "Handler": "handler",
                    "Timeout": "timeout",
                    "MemorySize": "memorySize",
                    "Description": "description",
                    "Architectures": "architectures",
                    "Layers": "layers",
                    "Environment": ("environment", {"Variables": "variables"}),
                    "TracingConfig": ("tracingConfig", {"Mode": "mode"}),
                    "VpcConfig": lambda v: (
                        pick(
                            v.get("vpcConfig"),
                            {"SubnetIds": ids("subnetIds"), "SecurityGroupIds": ids("securityGroupIds")},
                        )
                        or None
                    ),
                    "LoggingConfig": (
                        "loggingConfig",
                        {
                            "LogFormat": "logFormat",
                            "ApplicationLogLevel": "applicationLogLevel",
                            "SystemLogLevel": "systemLogLevel",
                            "LogGroup": "logGroup",
                        },
                    ),
                    "EphemeralStorage": ("ephemeralStorage", {"Size": "size"}),
                    "DeadLetterConfig": ("deadLetterConfig", {"TargetArn": "targetArn"}),
                    "KMSKeyArn": "kmsKeyArn",
                    "Tags": "tags",
                },
            ),
        ),
        *(
            [
                (
                    "lambda",
                    "PutFunctionConcurrency",
                    {
                        "FunctionName": UNCHECKED,
                        "ReservedConcurrentExecutions": i["reservedConcurrentExecutions"],
                    },
                )
            ]
            # -1, the provider's default, means "no reservation": it makes no call.
            if i.get("reservedConcurrentExecutions", -1) >= 0
            else []
        ),
    ],
    "aws:lambda/invocation:Invocation": lambda i: [
        (
            "lambda",
            "Invoke",
            pick(i, {"FunctionName": "functionName", "Payload": "input", "Qualifier": "qualifier"}),
        )
    ],
    "aws:lambda/permission:Permission": lambda i: [
        (
            "lambda",
            "AddPermission",
            pick(
                i,
                {
                    "FunctionName": "function",
                    "StatementId": "statementId",
                    "Action": "action",
                    "Principal": "principal",
                    "SourceArn": "sourceArn",
                    "SourceAccount": "sourceAccount",
                    "Qualifier": "qualifier",
                    "PrincipalOrgID": "principalOrgId",
                },
            ),
        )
    ],
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": lambda i: [
        (
            "lambda",
            "PutFunctionEventInvokeConfig",
            pick(
                i,
                {
                    "FunctionName": "functionName",
                    "Qualifier": "qualifier",
                    "MaximumRetryAttempts": "maximumRetryAttempts",
                    "MaximumEventAgeInSeconds": "maximumEventAgeInSeconds",
                    "DestinationConfig": (
                        "destinationConfig",
                        {
                            "OnSuccess": ("onSuccess", {"Destination": "destination"}),
                            "OnFailure": ("onFailure", {"Destination": "destination"}),
                        },
                    ),
                },
            ),
        )
    ],
    "aws:lambda/layerVersion:LayerVersion": lambda i: [
        (
            "lambda",
            "PublishLayerVersion",
            pick(
                i,
                {
                    "LayerName": "layerName",
                    "Description": "description",
                    "CompatibleRuntimes": "compatibleRuntimes",
                    "CompatibleArchitectures": "compatibleArchitectures",
                    "LicenseInfo": "licenseInfo",
                },
            ),
        )
    ],
    "aws:opensearch/domain:Domain": lambda i: [
        (
            "opensearch",
            "CreateDomain",
            pick(
                i,
                {
                    "DomainName": "domainName",
                    "EngineVersion": "engineVersion",
                    "ClusterConfig": (
                        "clusterConfig",
                        {
                            "InstanceType": "instanceType",
                            "InstanceCount": "instanceCount",
                            "DedicatedMasterEnabled": "dedicatedMasterEnabled",
                            "DedicatedMasterType": "dedicatedMasterType",
                            "DedicatedMasterCount": "dedicatedMasterCount",
                            "ZoneAwarenessEnabled": "zoneAwarenessEnabled",
                            "WarmEnabled": "warmEnabled",
                            "WarmType": "warmType",
                            "WarmCount": "warmCount",
                            "MultiAZWithStandbyEnabled": "multiAzWithStandbyEnabled",
                        },
                    ),
                    "EBSOptions": (
                        "ebsOptions",
                        {
                            "EBSEnabled": "ebsEnabled",
                            "VolumeType": "volumeType",
                            "VolumeSize": "volumeSize",
                            "Iops": "iops",
                            "Throughput": "throughput",
                        },
                    ),
                    "EncryptionAtRestOptions": (
                        "encryptAtRest",
                        {"Enabled": "enabled", "KmsKeyId": "kmsKeyId"},
                    ),
                    "NodeToNodeEncryptionOptions": ("nodeToNodeEncryption", {"Enabled": "enabled"}),
                    "DomainEndpointOptions": (
                        "domainEndpointOptions",
                        {"EnforceHTTPS": "enforceHttps", "TLSSecurityPolicy": "tlsSecurityPolicy"},
                    ),
                    "VPCOptions": lambda v: (
                        pick(
                            v.get("vpcOptions"),
                            {"SubnetIds": ids("subnetIds"), "SecurityGroupIds": ids("securityGroupIds")},
                        )
                        or None
                    ),
                    "AdvancedSecurityOptions": (
                        "advancedSecurityOptions",
                        {
                            "Enabled": "enabled",
                            "InternalUserDatabaseEnabled": "internalUserDatabaseEnabled",
                            "AnonymousAuthEnabled": "anonymousAuthEnabled",
                            "MasterUserOptions": ("masterUserOptions", {"MasterUserARN": "masterUserArn"}),
                        },
                    ),
                    "AccessPolicies": "accessPolicies",
                    "TagList": tag_list(),
                },
            ),
        )
    ],
    "aws:opensearch/domainPolicy:DomainPolicy": lambda i: [
        (
            "opensearch",
            "UpdateDomainConfig",
            pick(i, {"DomainName": "domainName", "AccessPolicies": "accessPolicies"}),
        )
    ],
    "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy": lambda i: [
        (
            "opensearchserverless",
            "CreateAccessPolicy",
            pick(i, {"name": "name", "type": "type", "policy": "policy", "description": "description"}),
        )
    ],
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": lambda i: [
        (
            "opensearchserverless",
            "CreateSecurityPolicy",
            pick(i, {"name": "name", "type": "type", "policy": "policy", "description": "description"}),
        )
    ],
    "aws:opensearch/serverlessCollection:ServerlessCollection": lambda i: [
        (
            "opensearchserverless",
            "CreateCollection",
            pick(
                i,
                {
                    "name": "name",
                    "type": "type",
                    "description": "description",
                    "standbyReplicas": "standbyReplicas",
                    "tags": tag_list("key", "value"),
                },
            ),
        )
    ],
    "aws:rds/cluster:Cluster": lambda i: [
        (
            "rds",
            "CreateDBCluster",
            pick(
                i,
                {
                    "DBClusterIdentifier": "clusterIdentifier",
                    "Engine": "engine",
                    "EngineVersion": "engineVersion",
                    "EngineMode": "engineMode",
                    "DatabaseName": "databaseName",
                    "MasterUsername": "masterUsername",
                    "ManageMasterUserPassword": "manageMasterUserPassword",
                    "StorageEncrypted": "storageEncrypted",
                    "KmsKeyId": "kmsKeyId",
                    "MasterUserSecretKmsKeyId": "masterUserSecretKmsKeyId",
                    "BackupRetentionPeriod": "backupRetentionPeriod",
                    "DeletionProtection": "deletionProtection",
                    "EnableHttpEndpoint": "enableHttpEndpoint",
                    "EnableCloudwatchLogsExports": "enabledCloudwatchLogsExports",
                    "ServerlessV2ScalingConfiguration": (
                        "serverlessv2ScalingConfiguration",
                        {
                            "MinCapacity": "minCapacity",
                            "MaxCapacity": "maxCapacity",
                            "SecondsUntilAutoPause": "secondsUntilAutoPause",
                        },
                    ),
                    "CopyTagsToSnapshot": "copyTagsToSnapshot",
                    "DBSubnetGroupName": "dbSubnetGroupName",
                    "VpcSecurityGroupIds": ids("vpcSecurityGroupIds"),
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:rds/clusterInstance:ClusterInstance": lambda i: [
        (
            "rds",
            "CreateDBInstance",
            pick(
                i,
                {
                    "DBInstanceIdentifier": "identifier",
                    "DBInstanceClass": "instanceClass",
                    "Engine": "engine",
                    "EngineVersion": "engineVersion",
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:s3/bucket:Bucket": lambda i: [
        (
            "s3",
            "CreateBucket",
            pick(i, {"Bucket": "bucket", "ObjectLockEnabledForBucket": "objectLockEnabled"}),
        )
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lambda i: [
        (
            "s3",
            "PutBucketLifecycleConfiguration",
            {
                "Bucket": UNCHECKED,
                "LifecycleConfiguration": pick(
                    i,
                    {
                        "Rules": (
                            "rules",
                            {
                                "ID": "id",
                                "Status": "status",
                                "Filter": ("filter", {"Prefix": "prefix"}),
                                "Expiration": (
                                    "expiration",
                                    {
                                        "Days": "days",
                                        "ExpiredObjectDeleteMarker": "expiredObjectDeleteMarker",
                                    },
                                ),
                                "NoncurrentVersionExpiration": (
                                    "noncurrentVersionExpiration",
                                    {"NoncurrentDays": "noncurrentDays"},
                                ),
                                "AbortIncompleteMultipartUpload": (
                                    "abortIncompleteMultipartUpload",
                                    {"DaysAfterInitiation": "daysAfterInitiation"},
                                ),
                            },
                        )
                    },
                ),
            },
        )
    ],
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration": lambda i: [
        (
            "bedrock",
            "PutModelInvocationLoggingConfiguration",
            {
                "loggingConfig": pick(
                    i.get("loggingConfig"),
                    {
                        "cloudWatchConfig": (
                            "cloudwatchConfig",
                            {"logGroupName": "logGroupName", "roleArn": "roleArn"},
                        ),
                        "textDataDeliveryEnabled": "textDataDeliveryEnabled",
                        "imageDataDeliveryEnabled": "imageDataDeliveryEnabled",
                        "embeddingDataDeliveryEnabled": "embeddingDataDeliveryEnabled",
                        "videoDataDeliveryEnabled": "videoDataDeliveryEnabled",
                    },
                )
            },
        )
    ],
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": lambda i: [
        (
            "s3",
            "PutObjectLockConfiguration",
            {
                "Bucket": UNCHECKED,
                "ObjectLockConfiguration": pick(
                    i,
                    {
                        "ObjectLockEnabled": "objectLockEnabled",
                        "Rule": (
                            "rule",
                            {
                                "DefaultRetention": (
                                    "defaultRetention",
                                    {"Mode": "mode", "Days": "days", "Years": "years"},
                                )
                            },
                        ),
                    },
                ),
            },
        )
    ],
    "aws:s3/bucketPolicy:BucketPolicy": lambda i: [
        ("s3", "PutBucketPolicy", {"Bucket": UNCHECKED, **pick(i, {"Policy": "policy"})})
    ],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda i: [
        (
            "s3",
            "PutPublicAccessBlock",
            {
                "Bucket": UNCHECKED,
                "PublicAccessBlockConfiguration": pick(
                    i,
                    {
                        "BlockPublicAcls": "blockPublicAcls",
                        "IgnorePublicAcls": "ignorePublicAcls",
                        "BlockPublicPolicy": "blockPublicPolicy",
                        "RestrictPublicBuckets": "restrictPublicBuckets",
                    },
                ),
            },
        )
    ],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": lambda i: [
        (
            "s3",
            "PutBucketEncryption",
            {
                "Bucket": UNCHECKED,
                "ServerSideEncryptionConfiguration": pick(
                    i,
                    {
                        "Rules": (
                            "rules",
                            {
                                "ApplyServerSideEncryptionByDefault": (
                                    "applyServerSideEncryptionByDefault",
                                    {"SSEAlgorithm": "sseAlgorithm", "KMSMasterKeyID": "kmsMasterKeyId"},
                                ),
                                "BucketKeyEnabled": "bucketKeyEnabled",
                            },
                        )
                    },
                ),
            },
        )
    ],
    "aws:s3/bucketVersioning:BucketVersioning": lambda i: [
        (
            "s3",
            "PutBucketVersioning",
            {
                "Bucket": UNCHECKED,
                **pick(
                    i,
                    {
                        "VersioningConfiguration": (
                            "versioningConfiguration",
                            {"Status": "status", "MFADelete": "mfaDelete"},
                        )
                    },
                ),
            },
        )
    ],
    "aws:secretsmanager/secret:Secret": lambda i: [
        (
            "secretsmanager",
            "CreateSecret",
            pick(
                i, {"Name": "name", "Description": "description", "KmsKeyId": "kmsKeyId", "Tags": tag_list()}
            ),
        ),
    ],
    "aws:sfn/stateMachine:StateMachine": lambda i: [
        (
            "stepfunctions",
            "CreateStateMachine",
            pick(
                i,
                {
                    "name": "name",
                    "definition": "definition",
                    "roleArn": "roleArn",
                    "type": "type",
                    "loggingConfiguration": lambda v: (
                        pick(
                            v.get("loggingConfiguration"),
                            {
                                "level": "level",
                                "includeExecutionData": "includeExecutionData",
                                "destinations": lambda c: (
                                    [{"cloudWatchLogsLogGroup": {"logGroupArn": c["logDestination"]}}]
                                    if c.get("logDestination")
                                    else None
                                ),
                            },
                        )
                        or None
                    ),
                    "tracingConfiguration": ("tracingConfiguration", {"enabled": "enabled"}),
                    "encryptionConfiguration": (
                        "encryptionConfiguration",
                        {
                            "type": "type",
                            "kmsKeyId": "kmsKeyId",
                            "kmsDataKeyReusePeriodSeconds": "kmsDataKeyReusePeriodSeconds",
                        },
                    ),
                    "tags": tag_list("key", "value"),
                },
            ),
        )
    ],
    "aws:sns/topic:Topic": lambda i: [
        (
            "sns",
            "CreateTopic",
            pick(
                i,
                {
                    "Name": "name",
                    "Attributes": attributes(
                        {
                            "KmsMasterKeyId": "kmsMasterKeyId",
                            "DisplayName": "displayName",
                            "Policy": "policy",
                            "DeliveryPolicy": "deliveryPolicy",
                            "FifoTopic": "fifoTopic",
                            "SignatureVersion": "signatureVersion",
                            "TracingConfig": "tracingConfig",
                        }
                    ),
                    "Tags": tag_list(),
                },
            ),
        )
    ],
    "aws:sns/topicPolicy:TopicPolicy": lambda i: [
        (
            "sns",
            "SetTopicAttributes",
            {**pick(i, {"TopicArn": "arn", "AttributeValue": "policy"}), "AttributeName": "Policy"},
        )
    ],
    "aws:sns/topicSubscription:TopicSubscription": lambda i: [
        (
            "sns",
            "Subscribe",
            pick(
                i,
                {
                    "TopicArn": "topic",
                    "Protocol": "protocol",
                    "Endpoint": "endpoint",
                    "Attributes": attributes(
                        {
                            "FilterPolicy": "filterPolicy",
                            "FilterPolicyScope": "filterPolicyScope",
                            "RawMessageDelivery": "rawMessageDelivery",
                            "RedrivePolicy": "redrivePolicy",
                            "DeliveryPolicy": "deliveryPolicy",
                        }
                    ),
                    "ReturnSubscriptionArn": lambda _: True,
                },
            ),
        )
    ],
    "aws:sqs/queue:Queue": lambda i: [
        (
            "sqs",
            "CreateQueue",
            pick(
                i,
                {
                    "QueueName": "name",
                    "Attributes": attributes(
                        {
                            "DelaySeconds": "delaySeconds",
                            "MaximumMessageSize": "maxMessageSize",
                            "MessageRetentionPeriod": "messageRetentionSeconds",
                            "ReceiveMessageWaitTimeSeconds": "receiveWaitTimeSeconds",
                            "VisibilityTimeout": "visibilityTimeoutSeconds",
                            "SqsManagedSseEnabled": "sqsManagedSseEnabled",
                            "KmsMasterKeyId": "kmsMasterKeyId",
                            "Policy": "policy",
                            "RedrivePolicy": "redrivePolicy",
                            "FifoQueue": "fifoQueue",
                        }
                    ),
                    "tags": "tags",
                },
            ),
        )
    ],
    "aws:sqs/queuePolicy:QueuePolicy": lambda i: [
        (
            "sqs",
            "SetQueueAttributes",
            {**pick(i, {"QueueUrl": "queueUrl"}), "Attributes": attributes({"Policy": "policy"})(i)},
        )
    ],
    "aws:ec2/vpc:Vpc": lambda i: [
        ("ec2", "CreateVpc", pick(i, {"CidrBlock": "cidrBlock", "InstanceTenancy": "instanceTenancy"}))
    ],
    "aws:ec2/subnet:Subnet": lambda i: [
        (
            "ec2",
            "CreateSubnet",
            {
                "VpcId": UNCHECKED,
                **pick(i, {"CidrBlock": "cidrBlock", "AvailabilityZone": "availabilityZone"}),
            },
        )
    ],
    "aws:ec2/routeTable:RouteTable": lambda i: [("ec2", "CreateRouteTable", {"VpcId": UNCHECKED})],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": lambda i: [
        ("ec2", "AssociateRouteTable", {"RouteTableId": UNCHECKED, "SubnetId": UNCHECKED})
    ],
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda i: [
        (
            "ec2",
            "CreateVpcEndpoint",
            {
                "VpcId": UNCHECKED,
                **pick(
                    i,
                    {
                        "VpcEndpointType": "vpcEndpointType",
                        "ServiceName": "serviceName",
                        "PrivateDnsEnabled": "privateDnsEnabled",
                        "RouteTableIds": ids("routeTableIds"),
                        "SubnetIds": ids("subnetIds"),
                        "SecurityGroupIds": ids("securityGroupIds"),
                    },
                ),
            },
        )
    ],
    "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint": lambda i: [
        (
            "opensearchserverless",
            "CreateVpcEndpoint",
            {
                "vpcId": UNCHECKED,
                **pick(
                    i,
                    {
                        "name": "name",
                        "subnetIds": ids("subnetIds"),
                        "securityGroupIds": ids("securityGroupIds"),
                    },
                ),
            },
        )
    ],
    "aws:rds/subnetGroup:SubnetGroup": lambda i: [
        (
            "rds",
            "CreateDBSubnetGroup",
            pick(
                i,
                {
                    "DBSubnetGroupName": "name",
                    "DBSubnetGroupDescription": "description",
                    "SubnetIds": ids("subnetIds"),
                    "Tags": tag_list(),
                },
            ),
        )
    ],
}

TYPE_CALLS: Mapping[str, Callable[[Inputs], list[Call]]] = _TYPE_CALLS
"""The AWS requests for each resource type the programs register (every one of them)."""

NOT_MAPPED: Mapping[str, str] = {}
"""Types deliberately left without a mapping, each with the reason (none today)."""
