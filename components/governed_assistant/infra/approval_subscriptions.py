"""Who hears of an approval request: each tenant's approvers, and no one else.

The approval step publishes every tenant's requests on one topic, each notice with its tenant in
the ``tenantId`` message attribute (``governed_assistant.handlers.approval``). An approver
subscribed without a filter would hear of every tenant's requests, so:

- each approver endpoint of the stack setting ``approvalSubscriptions`` gets one subscription
  whose filter policy, on the message attributes, names exactly its tenant;
- the topic's policy refuses ``sns:Subscribe`` from principals of other accounts and over
  protocols other than ``ALLOWED_PROTOCOLS``, so no one subscribes unfiltered from elsewhere.

An entry is ``{"tenantId", "protocol", "endpoint"}``; ``parse_approval_subscriptions`` turns the
setting into ``ApprovalSubscription`` values, or says which entry is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypedDict, cast, get_args
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.infra.dead_letters import dead_letter_queue
from governed_assistant.runtime.identity.constants import TENANT_ID_PATTERN
from governed_assistant.wire import NOTICE_TENANT_ATTRIBUTE

ApproverProtocol = Literal["email", "sqs", "lambda", "https"]
ALLOWED_PROTOCOLS: Final[tuple[str, ...]] = get_args(ApproverProtocol)
SETTING: Final = "approvalSubscriptions"
FILTER_POLICY_SCOPE: Final = "MessageAttributes"
_KEYS: Final = ("tenantId", "protocol", "endpoint")

# What each protocol's endpoint looks like (SNS Subscribe's Endpoint), and an example of one.
_ENDPOINTS: Final[Mapping[str, tuple[re.Pattern[str], str]]] = {
    "email": (re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), "approvers@example.com"),
    "sqs": (
        re.compile(r"arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}"),
        "arn:aws:sqs:eu-west-1:123456789012:acme-approvals",
    ),
    "lambda": (
        re.compile(
            r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?"
        ),
        "arn:aws:lambda:eu-west-1:123456789012:function:notify-acme",
    ),
}


class ApprovalSubscriptionError(GovernanceError):
    """When an approvalSubscriptions entry is not one tenant's approver endpoint."""


class ApprovalSubscription(TypedDict):
    """One approver endpoint: it hears of its tenant's approval requests only."""

    tenant_id: str
    """The tenant whose requests it hears of (a tenant id, as the identity provider's claim carries it)."""
    protocol: ApproverProtocol
    """How SNS delivers: ``email``, ``sqs``, ``lambda`` or ``https``."""
    endpoint: str
    """The address, queue ARN, function ARN or ``https://`` URL."""


def parse_approval_subscriptions(raw: object) -> list[ApprovalSubscription]:
    """The setting's entries as ``ApprovalSubscription`` values; refuses a malformed or repeated one."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ApprovalSubscriptionError(
            f"{SETTING} must be a list of {{tenantId, protocol, endpoint}} entries, value={raw!r}; "
            f"set one with pulumi config set --path '{SETTING}[0].tenantId' acme (and .protocol, .endpoint)"
        )
    parsed: list[ApprovalSubscription] = []
    seen: set[tuple[str, str, str]] = set()
    for index, entry in enumerate(raw):
        subscription = _entry(index, entry)
        key = (subscription["tenant_id"], subscription["protocol"], subscription["endpoint"])
        if key in seen:
            raise ApprovalSubscriptionError(
                f"{SETTING}[{index}] repeats an earlier entry, entry={entry!r}; remove one of them"
            )
        seen.add(key)
        parsed.append(subscription)
    return parsed


def _entry(index: int, entry: object) -> ApprovalSubscription:
    where = f"{SETTING}[{index}]"
    if not isinstance(entry, Mapping):
        raise ApprovalSubscriptionError(
            f"{where} is not an object, entry={entry!r}; write it as "
            '{"tenantId": "acme", "protocol": "email", "endpoint": "approvers@example.com"}'
        )
    unknown = sorted(set(map(str, entry)) - set(_KEYS))
    missing = [key for key in _KEYS if not isinstance(entry.get(key), str) or not entry[key]]
    if unknown or missing:
        raise ApprovalSubscriptionError(
            f"{where} has unknown keys {unknown} or lacks non-empty string keys {missing}, entry={entry!r}; "
            f"give exactly {list(_KEYS)}, each a string (quote a value of digits in Pulumi.<stack>.yaml)"
        )
    tenant, protocol, endpoint = (str(entry[key]) for key in _KEYS)
    if not TENANT_ID_PATTERN.fullmatch(tenant):
        raise ApprovalSubscriptionError(
            f"{where}.tenantId is not a tenant id, tenantId={tenant!r}; a tenant id is 1-128 letters, "
            "digits or ._:@+- starting with a letter or digit, as the identity provider's tenant claim "
            "carries it"
        )
    if protocol not in ALLOWED_PROTOCOLS:
        raise ApprovalSubscriptionError(
            f"{where}.protocol is not allowed, protocol={protocol!r}; use one of {list(ALLOWED_PROTOCOLS)} "
            "(the topic's policy refuses any other)"
        )
    if not _endpoint_fits(protocol, endpoint):
        raise ApprovalSubscriptionError(
            f"{where}.endpoint is not an endpoint of protocol {protocol}, endpoint={endpoint!r}; "
            f"give one like {_example(protocol)!r}"
        )
    return {"tenant_id": tenant, "protocol": cast(ApproverProtocol, protocol), "endpoint": endpoint}


def _endpoint_fits(protocol: str, endpoint: str) -> bool:
    if protocol == "https":
        url = urlsplit(endpoint)
        return url.scheme == "https" and bool(url.hostname) and not any(c.isspace() for c in endpoint)
    pattern, _ = _ENDPOINTS[protocol]
    return pattern.fullmatch(endpoint) is not None


def _example(protocol: str) -> str:
    return "https://approvals.example.com/sns" if protocol == "https" else _ENDPOINTS[protocol][1]


def setting_entry(subscription: ApprovalSubscription) -> dict[str, str]:
    """The entry as the stack setting writes it (``{"tenantId", "protocol", "endpoint"}``)."""
    return dict(
        zip(
            _KEYS,
            (subscription["tenant_id"], subscription["protocol"], subscription["endpoint"]),
            strict=True,
        )
    )


def tenant_filter_policy(tenant_id: str) -> str:
    """The filter policy (on message attributes) that lets through one tenant's notices: an exact
    match, never a prefix, ``anything-but`` or ``exists``."""
    return json.dumps({NOTICE_TENANT_ATTRIBUTE: [tenant_id]}, separators=(",", ":"))


def subscription_name(name: str, subscription: ApprovalSubscription) -> str:
    """``<name>-approver-<digest>``: stable while the entry is, whatever its place in the list (a
    moved entry is not replaced; an email endpoint would have to confirm again)."""
    key = "\n".join((subscription["tenant_id"], subscription["protocol"], subscription["endpoint"]))
    return f"{name}-approver-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def topic_policy_document(topic_arn: str, account_id: str) -> str:
    """Deny ``sns:Subscribe`` to principals of other accounts and over other protocols."""
    statements = [
        {
            "Sid": "SubscribeFromThisAccountOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Subscribe",
            "Resource": topic_arn,
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account_id}},
        },
        {
            "Sid": "SubscribeOverApproverProtocolsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Subscribe",
            "Resource": topic_arn,
            "Condition": {"StringNotEquals": {"sns:Protocol": list(ALLOWED_PROTOCOLS)}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True)
class DeadLetterSettings:
    """Where undelivered notices go: the stack's slug, alarm topics, key and tags."""

    slug: str
    tags: Mapping[str, str]
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    key_arn: pulumi.Input[str] | None = None


def create_approval_delivery(
    parent: pulumi.Resource,
    name: str,
    topic: aws.sns.Topic,
    subscriptions: Sequence[ApprovalSubscription],
    account_id: pulumi.Input[str],
    dead_letters: DeadLetterSettings,
) -> list[aws.sns.TopicSubscription]:
    """The topic's policy and one tenant-filtered subscription per entry, children of ``parent``; with
    any subscription, the dead-letter queue (``<name>-undelivered``) every one of them redrives to."""
    # The entries may come from a caller other than the program: check them here too.
    entries = parse_approval_subscriptions([setting_entry(subscription) for subscription in subscriptions])
    aws.sns.TopicPolicy(
        f"{name}-policy",
        arn=topic.arn,
        policy=pulumi.Output.all(topic.arn, account_id).apply(lambda values: topic_policy_document(*values)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if not entries:
        return []
    # A notice SNS could not deliver (an endpoint gone, a queue refusing it) waits here, with an
    # alarm, instead of being dropped after SNS's retries.
    undelivered = dead_letter_queue(
        parent,
        f"{name}-undelivered",
        purpose="approvals-undelivered",
        description="An approval notice SNS could not deliver to an approver.",
        sender={"Service": "sns.amazonaws.com"},
        source_arn=topic.arn,
        slug=dead_letters.slug,
        alarm_actions=dead_letters.alarm_actions,
        key_arn=dead_letters.key_arn,
        tags=dead_letters.tags,
    )
    redrive = undelivered.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn}))
    return [
        aws.sns.TopicSubscription(
            subscription_name(name, entry),
            redrive_policy=redrive,
            topic=topic.arn,
            protocol=entry["protocol"],
            endpoint=entry["endpoint"],
            filter_policy=tenant_filter_policy(entry["tenant_id"]),
            filter_policy_scope=FILTER_POLICY_SCOPE,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for entry in entries
    ]
