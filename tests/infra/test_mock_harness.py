"""The Pulumi mock harness catches what plain mocks let slip."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest
from governed_assistant.infra.testing import UnknownInvokeError, mock_arn, run_with_mocks


class _Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("governed:test:Parent", name)
        aws.sns.Topic(f"{name}-topic", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def test_run_with_mocks_records_parents_and_inputs() -> None:
    """A child registered with parent= is recorded under its component, with its inputs."""
    run = run_with_mocks(lambda: _Parent("p"))
    (topic,) = run.of_type("aws:sns/topic:Topic")
    assert "governed:test:Parent" in topic.parent
    assert run.orphans() == []


def test_run_with_mocks_resource_without_parent_is_an_orphan() -> None:
    """A cloud resource created outside any component is reported."""
    run = run_with_mocks(lambda: aws.sns.Topic("loose"))
    assert [resource.name for resource in run.orphans()] == ["loose"]


def test_run_with_mocks_duplicate_urns_are_reported() -> None:
    """Two resources of the same type and name are caught (the mock monitor keeps one silently)."""

    def program() -> None:
        aws.sns.Topic("same")
        aws.sns.Topic("same")

    run = run_with_mocks(program)
    assert len(run.duplicate_urns()) == 1


def test_run_with_mocks_unknown_invoke_fails_the_run() -> None:
    """A data source the mocks do not answer fails loudly instead of returning nothing."""
    with pytest.raises(Exception, match="the mocks do not answer invoke"):
        run_with_mocks(lambda: aws.get_billing_service_account())
    assert issubclass(UnknownInvokeError, AssertionError)


def test_run_with_mocks_known_invoke_answers_like_aws() -> None:
    """getCallerIdentity answers with the mock account."""
    seen: list[str] = []

    def program() -> None:
        identity = aws.get_caller_identity()
        seen.append(identity.account_id)

    run_with_mocks(program)
    assert seen == ["123456789012"]


def _topic_and_policies() -> None:
    topic = aws.sns.Topic("topic")
    # One policy takes the topic's ARN from the topic, one writes it out: only the first waits for it.
    aws.sns.TopicPolicy("from-output", arn=topic.arn, policy="{}")
    aws.sns.TopicPolicy("from-string", arn="arn:aws:sns:us-east-1:123456789012:topic", policy="{}")


def test_run_with_mocks_records_dependencies_outputs_and_order() -> None:
    """Each registration keeps the URNs it waits for, the mocks' outputs and when it came."""
    run = run_with_mocks(_topic_and_policies)
    by_name = {resource.name: resource for resource in run.resources}
    topic, from_output = by_name["topic"], by_name["from-output"]
    assert from_output.dependencies == {topic.urn}
    assert from_output.property_dependencies["arn"] == {topic.urn}
    assert run.depends_on(from_output) == {topic.urn}
    assert topic.outputs["arn"] == "arn:aws:sns:us-east-1:123456789012:topic"
    assert topic.order < from_output.order
    assert sorted(resource.order for resource in run.resources) == list(range(len(run.resources)))


def test_unordered_references_finds_an_arn_written_out_instead_of_taken() -> None:
    """An ARN built from a string names the topic without waiting for it; one from its output waits."""
    run = run_with_mocks(_topic_and_policies)
    assert run.unordered_references() == [("from-string", "topic")]


@pytest.mark.parametrize(
    ("resource_type", "fields", "expected"),
    [
        # Each expected value is the format the Service Authorization Reference gives the type.
        pytest.param("aws:iam/role:Role", {}, "arn:aws:iam::123456789012:role/x", id="iam-role-no-region"),
        pytest.param(
            "aws:lambda/function:Function",
            {},
            "arn:aws:lambda:us-east-1:123456789012:function:x",
            id="lambda",
        ),
        pytest.param(
            "aws:sfn/stateMachine:StateMachine",
            {},
            "arn:aws:states:us-east-1:123456789012:stateMachine:x",
            id="states-not-sfn",
        ),
        pytest.param(
            "aws:dynamodb/table:Table", {}, "arn:aws:dynamodb:us-east-1:123456789012:table/x", id="dynamodb"
        ),
        pytest.param(
            "aws:cloudwatch/eventRule:EventRule",
            {"eventBusName": "bus"},
            "arn:aws:events:us-east-1:123456789012:rule/bus/x",
            id="rule-on-a-custom-bus",
        ),
        pytest.param(
            "aws:cloudwatch/logGroup:LogGroup",
            {},
            "arn:aws:logs:us-east-1:123456789012:log-group:x",
            id="logs",
        ),
        pytest.param(
            "aws:opensearch/domain:Domain", {}, "arn:aws:es:us-east-1:123456789012:domain/x", id="es-prefix"
        ),
        pytest.param(
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
            {},
            "arn:aws:firehose:us-east-1:123456789012:deliverystream/x",
            id="firehose-not-kinesis",
        ),
    ],
)
def test_mock_arn_has_the_format_aws_documents(
    resource_type: str, fields: dict[str, str], expected: str
) -> None:
    """Each type's ARN is in its service's format (so IAM linters can match grants to it)."""
    assert mock_arn(resource_type, "x", **fields) == expected


def test_mock_arn_is_the_arn_a_registered_resource_gets() -> None:
    """The helper and the mocks agree: the ARN a topic answers is the one ``mock_arn`` names."""

    def program() -> None:
        topic = aws.sns.Topic("t")
        aws.sns.TopicPolicy("p", arn=topic.arn, policy="{}")

    (policy,) = run_with_mocks(program).of_type("aws:sns/topicPolicy:TopicPolicy")
    assert (
        policy.inputs["arn"] == mock_arn("aws:sns/topic:Topic", "t") == "arn:aws:sns:us-east-1:123456789012:t"
    )
