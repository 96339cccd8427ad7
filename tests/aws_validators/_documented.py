"""AWS's rules that its models state in words rather than as constraints, and its quotas.

Each rule cites where AWS states it: most are in the documentation string botocore carries
for the field (so a model update that changes one shows in its test), the rest in a
service's quotas page.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from governed_assistant.infra.testing import MockRun

from tests.aws_validators._service_models import operation

Inputs = Mapping[str, Any]

# botocore, lambda CreateFunction Timeout: "the maximum allowed value is 1,800 seconds. For
# functions using Lambda Managed Instances [...] 5,400 seconds". The model's own maximum
# (5,400) is the managed-instances one.
LAMBDA_TIMEOUT_SECONDS = 1800
# Lambda quotas: "Function environment variables: 4 KB, for all environment variables
# associated with the function, in aggregate".
LAMBDA_ENVIRONMENT_BYTES = 4096
# IAM and AWS STS quotas: "Role trust policy length: 2,048 characters" (adjustable to 4,096);
# "Inline policy size [...] the total size of all inline policies for a role cannot exceed
# 10,240 characters". IAM does not count white space.
TRUST_POLICY_CHARACTERS = 2048
ROLE_INLINE_POLICY_CHARACTERS = 10240
# S3 User Guide, bucket policies: "Bucket policies are limited to 20 KB in size."
BUCKET_POLICY_BYTES = 20 * 1024


@functools.cache
def retention_days() -> frozenset[int]:
    """The values botocore documents for logs PutRetentionPolicy's retentionInDays."""
    shape = operation("logs", "PutRetentionPolicy").input_shape
    assert shape is not None
    text = shape.members["retentionInDays"].documentation  # type: ignore[attr-defined]
    listed = re.search(r"Possible values are:([\d,\sand]+)\.", re.sub(r"<[^>]+>", "", text))
    assert listed, "botocore no longer lists the retention values; update this rule"
    return frozenset(int(n) for n in re.findall(r"\d+", listed.group(1)))


def _lambda(inputs: Inputs) -> Iterator[str]:
    timeout = inputs.get("timeout")
    if timeout is not None and not inputs.get("capacityProviderConfig") and timeout > LAMBDA_TIMEOUT_SECONDS:
        yield f"timeout {timeout:g} s exceeds Lambda's maximum of {LAMBDA_TIMEOUT_SECONDS} s"
    variables = ((inputs.get("environment") or {}).get("variables")) or {}
    size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in variables.items())
    if size > LAMBDA_ENVIRONMENT_BYTES:
        yield f"environment variables take {size} bytes, over Lambda's {LAMBDA_ENVIRONMENT_BYTES}-byte quota"


def _alarm(inputs: Inputs) -> Iterator[str]:
    # botocore, cloudwatch PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple
    # of 60 [...] Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For
    # alarms with a period of less than one hour (3,600 seconds), the total evaluation period
    # can't be longer than one day (86,400 seconds)."
    periods = [inputs.get("period")] + [
        (query.get("metric") or {}).get("period") for query in inputs.get("metricQueries") or ()
    ]
    for period in filter(None, periods):
        if period not in (10, 20, 30) and period % 60:
            yield f"period {period:g} s is not 10, 20, 30 or a multiple of 60"
    period, evaluations = inputs.get("period"), inputs.get("evaluationPeriods")
    if period and evaluations:
        window = period * evaluations
        limit = 86400 if period < 3600 else 604800
        if window > limit:
            yield f"period x evaluation periods = {window:g} s, over CloudWatch's {limit} s for this period"


def _log_group(inputs: Inputs) -> Iterator[str]:
    days = inputs.get("retentionInDays")
    if days and days not in retention_days():
        yield f"retention of {days:g} days is not one CloudWatch Logs offers ({sorted(retention_days())})"


def _queue(inputs: Inputs) -> Iterator[str]:
    # botocore, sqs CreateQueue Attributes: each attribute's "Valid values".
    ranges = {
        "delaySeconds": (0, 900),
        "maxMessageSize": (1024, 1048576),
        "messageRetentionSeconds": (60, 1209600),
        "receiveWaitTimeSeconds": (0, 20),
        "visibilityTimeoutSeconds": (0, 43200),
    }
    for prop, (low, high) in ranges.items():
        value = inputs.get(prop)
        if value is not None and not low <= value <= high:
            yield f"{prop} {value:g} is outside SQS's {low}..{high}"


def _secret(inputs: Inputs) -> Iterator[str]:
    # botocore, secretsmanager DeleteSecret RecoveryWindowInDays: "from 7 to 30"; the provider
    # sends ForceDeleteWithoutRecovery for 0 instead.
    days = inputs.get("recoveryWindowInDays")
    if days is not None and days != 0 and not 7 <= days <= 30:
        yield f"recovery window of {days:g} days is neither 0 (delete at once) nor 7..30"


def _cluster(inputs: Inputs) -> Iterator[str]:
    # botocore, rds CreateDBCluster BackupRetentionPeriod: "Must be a value from 1 to 35."
    days = inputs.get("backupRetentionPeriod")
    if days is not None and not 1 <= days <= 35:
        yield f"backup retention of {days:g} days is outside RDS's 1..35"


def _state_machine(inputs: Inputs) -> Iterator[str]:
    # botocore, states CloudWatchLogsLogGroup logGroupArn: "The ARN must end with :*".
    destination = (inputs.get("loggingConfiguration") or {}).get("logDestination")
    if destination and not str(destination).endswith(":*"):
        yield f"logging destination {destination!r} must end with ':*'"


def _user_pool_client(inputs: Inputs) -> Iterator[str]:
    # botocore, cognito-idp CreateUserPoolClient AccessTokenValidity (and IdToken, RefreshToken):
    # the value counts in TokenValidityUnits; "Valid range is displayed below in seconds".
    units = inputs.get("tokenValidityUnits") or {}
    seconds = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    shape = operation("cognito-idp", "CreateUserPoolClient").input_shape
    assert shape is not None
    for token, default_unit in (("accessToken", "hours"), ("idToken", "hours"), ("refreshToken", "days")):
        value = inputs.get(f"{token}Validity")
        if value is None:
            continue
        total = value * seconds[units.get(token, default_unit)]
        member = shape.members[f"{token[0].upper()}{token[1:]}Validity"]  # type: ignore[attr-defined]
        low, high = member.metadata.get("min", 0), member.metadata["max"]
        if not low <= total <= high:
            unit = units.get(token, default_unit)
            yield f"{token}Validity {value:g} {unit} is {total:g} s, outside {low}..{high} s"


def _bucket_policy(inputs: Inputs) -> Iterator[str]:
    size = len(str(inputs.get("policy") or "").encode())
    if size > BUCKET_POLICY_BYTES:
        yield f"bucket policy of {size} bytes, over S3's {BUCKET_POLICY_BYTES}"


def _role(inputs: Inputs) -> Iterator[str]:
    size = _iam_size(inputs.get("assumeRolePolicy"))
    if size > TRUST_POLICY_CHARACTERS:
        yield f"trust policy of {size} characters, over IAM's default {TRUST_POLICY_CHARACTERS}"


def _iam_size(document: Any) -> int:
    text = document if isinstance(document, str) else json.dumps(document or "")
    return len(re.sub(r"\s", "", text))


# botocore, ec2 CreateSecurityGroup Description and every rule's Description: "Up to 255
# characters in length. Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*".
SECURITY_GROUP_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")


def _security_group(inputs: Inputs) -> Iterator[str]:
    rules = [*(inputs.get("ingress") or ()), *(inputs.get("egress") or ())]
    texts = [("description", inputs.get("description"))]
    texts += [(f"rule {rule.get('fromPort')} description", rule.get("description")) for rule in rules]
    for what, text in texts:
        if text is not None and not SECURITY_GROUP_TEXT.fullmatch(str(text)):
            yield f"{what} {text!r} is over 255 characters or has characters EC2 refuses"


RULES: Mapping[str, Callable[[Inputs], Iterator[str]]] = {
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:lambda/function:Function": _lambda,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:sqs/queue:Queue": _queue,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:rds/cluster:Cluster": _cluster,
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:cognito/userPoolClient:UserPoolClient": _user_pool_client,
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_policy,
    "aws:iam/role:Role": _role,
}


def documented_problems(run: MockRun) -> list[str]:
    """What breaks AWS's documented rules and quotas, per resource and per role."""
    problems = [
        f"{resource.type} {resource.name!r}: {problem}"
        for resource in run.resources
        if resource.type in RULES
        for problem in RULES[resource.type](resource.inputs)
    ]
    problems += _per_parent(
        run,
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "logGroup",
        # botocore, logs PutSubscriptionFilter: "Each log group can have up to two subscription filters".
        2,
        "log group",
    )
    problems += _per_parent(
        run,
        "aws:cloudwatch/eventTarget:EventTarget",
        "rule",
        # botocore, events PutTargets: "Each rule can have up to five (5) targets associated with it".
        5,
        "rule",
        scope="eventBusName",
    )
    inline: dict[str, int] = defaultdict(int)
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        inline[str(policy.inputs.get("role"))] += _iam_size(policy.inputs.get("policy"))
    problems += [
        f"aws:iam/role:Role {role!r}: its inline policies take {size} characters, "
        f"over IAM's {ROLE_INLINE_POLICY_CHARACTERS}"
        for role, size in inline.items()
        if size > ROLE_INLINE_POLICY_CHARACTERS
    ]
    return problems


def _per_parent(
    run: MockRun, child_type: str, parent_prop: str, limit: int, parent: str, scope: str | None = None
) -> list[str]:
    """More ``child_type`` resources on one parent (a log group, a rule) than AWS allows."""
    counts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for child in run.of_type(child_type):
        key = (str(child.inputs.get(scope) or "default") if scope else "", str(child.inputs.get(parent_prop)))
        counts[key].append(child.name)
    return [
        f"{child_type} {names!r}: {len(names)} on {parent} {key[1]!r}, over AWS's {limit}"
        for key, names in counts.items()
        if len(names) > limit
    ]
