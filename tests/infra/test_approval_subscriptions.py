"""Approvers per tenant: the stack setting, the filtered subscriptions it creates and the topic's policy."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from governed_assistant.infra.approval_subscriptions import (
    ApprovalSubscription,
    ApprovalSubscriptionError,
    parse_approval_subscriptions,
)
from governed_assistant.infra.invariants import check_resources
from governed_assistant.infra.testing import ACCOUNT_ID, REGION, MockRun, RegisteredResource, run_program

from tests.conftest import REPO_ROOT
from tests.infra.test_assistant import build, make_spec
from tests.infra.test_program import LAYER_ARN, PROJECT

SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
ACME_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:acme-approvals"
GLOBEX_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:globex-approvals"
ENTRIES = [
    {"tenantId": "acme", "protocol": "email", "endpoint": "approvers@acme.example"},
    {"tenantId": "acme", "protocol": "sqs", "endpoint": ACME_QUEUE},
    {"tenantId": "globex", "protocol": "lambda", "endpoint": GLOBEX_FUNCTION},
    {"tenantId": "initech", "protocol": "https", "endpoint": "https://approvals.initech.example/sns"},
]
OTHER_ACCOUNT = "210987654321"


def typed(entries: list[dict[str, str]]) -> list[ApprovalSubscription]:
    return [
        {"tenant_id": e["tenantId"], "protocol": e["protocol"], "endpoint": e["endpoint"]}  # type: ignore[typeddict-item]
        for e in entries
    ]


@pytest.fixture(scope="module")
def run() -> MockRun:
    return build(make_spec(), approval_subscriptions=typed(ENTRIES))


def approvals_topic_arn(run: MockRun) -> str:
    (topic,) = run.of_type("aws:sns/topic:Topic")
    assert topic.name.endswith("-approvals")
    arn: str = topic.outputs["arn"]
    return arn


# ------------------------------------------------------------------------ the setting


def test_parse_approval_subscriptions_every_protocol_passes() -> None:
    """One entry of each allowed protocol parses to the tenant, protocol and endpoint it gives."""
    assert parse_approval_subscriptions(ENTRIES) == typed(ENTRIES)


def entry(**changes: Any) -> dict[str, Any]:
    return {"tenantId": "acme", "protocol": "email", "endpoint": "approvers@acme.example", **changes}


@pytest.mark.parametrize(
    ("raw", "fragments"),
    [
        pytest.param({"tenantId": "acme"}, ["must be a list"], id="an-object-not-a-list"),
        pytest.param("acme", ["must be a list"], id="a-string"),
        pytest.param([entry(), "acme"], ["approvalSubscriptions[1] is not an object"], id="entry-not-object"),
        pytest.param(
            [{"tenant": "acme", "protocol": "email", "endpoint": "a@b.example"}],
            ["approvalSubscriptions[0]", "unknown keys ['tenant']", "['tenantId']"],
            id="misspelt-key",
        ),
        pytest.param([entry(endpoint="")], ["lacks non-empty string keys ['endpoint']"], id="empty-endpoint"),
        pytest.param([entry(tenantId=7)], ["['tenantId']"], id="tenant-not-a-string"),
        pytest.param(
            [entry(tenantId="acme corp")],
            ["[0].tenantId is not a tenant id", "'acme corp'"],
            id="tenant-with-space",
        ),
        pytest.param([entry(tenantId="-acme")], ["is not a tenant id"], id="tenant-starts-with-dash"),
        pytest.param([entry(tenantId="*")], ["is not a tenant id"], id="tenant-star"),
        pytest.param([entry(tenantId="a" * 129)], ["is not a tenant id"], id="tenant-too-long"),
        pytest.param(
            [entry(protocol="http", endpoint="http://x.example")],
            ["[0].protocol is not allowed", "'http'", "'email', 'sqs', 'lambda', 'https'"],
            id="http",
        ),
        pytest.param([entry(protocol="sms", endpoint="+15555550100")], ["protocol is not allowed"], id="sms"),
        pytest.param([entry(protocol="email-json")], ["protocol is not allowed"], id="email-json"),
        pytest.param([entry(protocol="application")], ["protocol is not allowed"], id="application"),
        pytest.param([entry(protocol="firehose")], ["protocol is not allowed"], id="firehose"),
        pytest.param(
            [entry(endpoint="approvers")],
            ["[0].endpoint is not an endpoint of protocol email"],
            id="email-no-at",
        ),
        pytest.param(
            [entry(protocol="sqs", endpoint=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:q")],
            ["not an endpoint of protocol sqs", "arn:aws:sqs:"],
            id="sqs-given-a-topic",
        ),
        pytest.param(
            [entry(protocol="lambda", endpoint=ACME_QUEUE)],
            ["not an endpoint of protocol lambda"],
            id="lambda-given-a-queue",
        ),
        pytest.param(
            [entry(protocol="https", endpoint="http://approvals.example/sns")],
            ["not an endpoint of protocol https", "https://"],
            id="https-given-http",
        ),
        pytest.param(
            [entry(protocol="https", endpoint="https:///sns")],
            ["not an endpoint of protocol https"],
            id="https-no-host",
        ),
        pytest.param(
            [entry(), {**entry()}], ["approvalSubscriptions[1] repeats an earlier entry"], id="repeated"
        ),
    ],
)
def test_parse_approval_subscriptions_malformed_refused(raw: Any, fragments: list[str]) -> None:
    """A malformed entry is refused with a message naming it and how to fix it."""
    with pytest.raises(ApprovalSubscriptionError) as raised:
        parse_approval_subscriptions(raw)
    for fragment in fragments:
        assert fragment in str(raised.value)


# ------------------------------------------------------------------------ the subscriptions


def test_each_entry_subscribes_its_endpoint_filtered_to_its_tenant(run: MockRun) -> None:
    """One subscription per entry, on the approvals topic, filtering message attributes for its tenant."""
    topic_arn = approvals_topic_arn(run)
    found = {
        (s.inputs["topic"], s.inputs["protocol"], s.inputs["endpoint"]): (
            json.loads(s.inputs["filterPolicy"]),
            s.inputs["filterPolicyScope"],
        )
        for s in run.of_type(SUBSCRIPTION)
    }
    assert found == {
        (topic_arn, e["protocol"], e["endpoint"]): ({"tenantId": [e["tenantId"]]}, "MessageAttributes")
        for e in ENTRIES
    }


def test_stack_without_the_setting_subscribes_no_one() -> None:
    """No entries, no subscription: no one hears of approval requests; the topic still has its policy."""
    run = build(make_spec())
    assert run.of_type(SUBSCRIPTION) == []
    assert len(run.of_type(TOPIC_POLICY)) == 1


def test_reordered_entries_keep_their_subscriptions() -> None:
    """A subscription's name depends on its entry, not its place: reordering replaces none."""
    forward = build(make_spec(), approval_subscriptions=typed(ENTRIES))
    backward = build(make_spec(), approval_subscriptions=typed(ENTRIES[::-1]))
    assert {s.urn for s in forward.of_type(SUBSCRIPTION)} == {s.urn for s in backward.of_type(SUBSCRIPTION)}


def test_program_with_subscriptions_breaks_no_invariant(run: MockRun) -> None:
    """The subscriptions and the topic's policy pass every governance invariant."""
    assert check_resources(run.resources, make_spec()) == []


def test_component_refuses_a_malformed_entry_its_caller_passes() -> None:
    """A caller of the component other than the program is held to the same rules."""
    bad: list[ApprovalSubscription] = [
        {"tenant_id": "acme", "protocol": "http", "endpoint": "http://x.example"}
    ]  # type: ignore[typeddict-item]
    with pytest.raises(ApprovalSubscriptionError, match="protocol is not allowed"):
        build(make_spec(), approval_subscriptions=bad)


# ------------------------------------------------------------------------ the topic's policy


def _matches(value: Any, wanted: str) -> bool:
    return wanted in ([value] if isinstance(value, str) else list(value))


def subscribe_denied(document: Mapping[str, Any], topic_arn: str, account: str, protocol: str) -> bool:
    """Whether an explicit Deny of the topic policy refuses ``sns:Subscribe`` by a principal of
    ``account`` over ``protocol`` (IAM's rule: an explicit deny wins; ``StringNotEquals`` holds when
    the request's value equals none of the listed ones). Other operators are not modelled: a policy
    using one fails here, to be modelled before it is trusted."""
    context = {"aws:PrincipalAccount": account, "sns:Protocol": protocol}
    for statement in document["Statement"]:
        applies = (
            statement["Effect"] == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and _matches(statement["Action"], "sns:Subscribe")
            and _matches(statement["Resource"], topic_arn)
        )
        if not applies:
            continue
        conditions = statement.get("Condition", {})
        assert set(conditions) <= {"StringNotEquals"}, f"unmodelled operator in {conditions}"
        held = all(
            context.get(key) not in ([values] if isinstance(values, str) else values)
            for key, values in conditions.get("StringNotEquals", {}).items()
        )
        if held:
            return True
    return False


@pytest.mark.parametrize(
    ("account", "protocol", "denied"),
    [
        pytest.param(ACCOUNT_ID, "email", False, id="own-account-email"),
        pytest.param(ACCOUNT_ID, "sqs", False, id="own-account-sqs"),
        pytest.param(ACCOUNT_ID, "lambda", False, id="own-account-lambda"),
        pytest.param(ACCOUNT_ID, "https", False, id="own-account-https"),
        pytest.param(OTHER_ACCOUNT, "email", True, id="other-account-email"),
        pytest.param(OTHER_ACCOUNT, "sqs", True, id="other-account-sqs"),
        pytest.param(ACCOUNT_ID, "http", True, id="own-account-http"),
        pytest.param(ACCOUNT_ID, "sms", True, id="own-account-sms"),
        pytest.param(ACCOUNT_ID, "email-json", True, id="own-account-email-json"),
        pytest.param(ACCOUNT_ID, "application", True, id="own-account-application"),
        pytest.param(ACCOUNT_ID, "firehose", True, id="own-account-firehose"),
    ],
)
def test_topic_policy_denies_subscribe_from_elsewhere_and_over_other_protocols(
    run: MockRun, account: str, protocol: str, denied: bool
) -> None:
    """The approval topic's policy refuses sns:Subscribe from another account or over another protocol."""
    (policy,) = run.of_type(TOPIC_POLICY)
    topic_arn = approvals_topic_arn(run)
    assert policy.inputs["arn"] == topic_arn
    assert subscribe_denied(json.loads(policy.inputs["policy"]), topic_arn, account, protocol) is denied


# ------------------------------------------------------------------------ the README's example

README_EXAMPLE = re.compile(
    r"^pulumi config set -s .+? --path 'approvalSubscriptions\[(\d+)\]\.(\w+)' (\S+)$"
)


def readme_example() -> list[dict[str, str]]:
    """What the template README's ``pulumi config set --path`` lines set, as the CLI stores it."""
    text = (REPO_ROOT / "template" / "README.md.jinja").read_text()
    section = text.split("### Approvers per tenant", 1)[1].split("\n### ", 1)[0]
    entries: dict[int, dict[str, str]] = {}
    for line in section.splitlines():
        if match := README_EXAMPLE.match(line):
            entries.setdefault(int(match[1]), {})[match[2]] = match[3]
    return [entries[index] for index in sorted(entries)]


def program_subscriptions(**config: Any) -> list[RegisteredResource]:
    run = run_program(
        REPO_ROOT, project=PROJECT, stack="dev", config={"dependenciesLayerArn": LAYER_ARN, **config}
    )
    return run.of_type(SUBSCRIPTION)


def test_readme_example_subscribes_acme_approvers_to_acme_only() -> None:
    """The README's three commands give one email subscription that hears of acme's requests only."""
    example = readme_example()
    assert len(example) == 1, example
    (subscription,) = program_subscriptions(approvalSubscriptions=example)
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        "email",
        "approvers@acme.example",
    )
    assert json.loads(subscription.inputs["filterPolicy"]) == {"tenantId": ["acme"]}


def test_program_refuses_a_malformed_setting() -> None:
    """The program stops on a malformed entry, naming it, before it creates anything."""
    bad = [entry(protocol="sms", endpoint="+15555550100")]
    with pytest.raises(ApprovalSubscriptionError, match=r"approvalSubscriptions\[0\]\.protocol"):
        program_subscriptions(approvalSubscriptions=bad)
