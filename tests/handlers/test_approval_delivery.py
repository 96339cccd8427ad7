"""Approval notices reach their own tenant's approvers only: the program's subscriptions on moto's SNS.

The subscriptions are the ones the program registers under mocks for two tenants' queues (their
filter policies taken from it, not written here); the notices are the approval step's own, each
published by the real handler for a job of its tenant.
"""

from __future__ import annotations

import json
import os
from typing import Any

from governed_assistant.contracts import TenantContext
from governed_assistant.handlers import approval
from governed_assistant.infra.approval_subscriptions import ApprovalSubscription
from governed_assistant.runtime.jobs import proposal_digest
from governed_assistant.testing import lambda_context
from governed_assistant.wire import ENV_APPROVAL_TOPIC_ARN
from handler_harness import Stack

from tests.infra.test_execution import build as build_execution_layer

TENANTS = ("acme", "globex")
APPROVE = {"outcome": "approve", "risk": 0.8, "reasons": ["approval_required: risk 0.80"]}


def refund(tenant: str) -> dict[str, Any]:
    return {"actionType": "issue_refund", "resourceId": f"{tenant}-invoice-7", "tenantId": tenant,
            "parameters": {"amount": 50, "currency": "EUR", "reason": "damaged goods"}}  # fmt: skip


def request_approval(stack: Stack, tenant: str) -> str:
    """A job of ``tenant``'s requester the gate sent to approval, put before the approvers by the step."""
    requester = TenantContext(tenant_id=tenant, user_id="requester", roles=("agent",), request_id="r-1")
    job_id = stack.env.jobs.create(requester).job_id
    proposal = refund(tenant)
    stack.env.jobs.record_decision(tenant, job_id, "approve", proposal_digest(proposal))
    stack.bedrock.screen_pass()
    context = {"tenantId": tenant, "userId": "requester", "roles": ["agent"], "requestId": "r-1"}
    event = {"jobId": job_id, "context": context, "proposal": proposal, "decision": APPROVE, "taskToken": "t"}
    approval_id: str = approval.handler(event, lambda_context())["approvalId"]
    return approval_id


def queue(stack: Stack, name: str) -> tuple[str, str]:
    url = stack.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def notices(stack: Stack, url: str) -> list[dict[str, Any]]:
    found = []
    while messages := stack.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(json.loads(message["Body"])["Message"]))
            stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_each_tenants_approvers_hear_of_their_own_requests_only(stack: Stack) -> None:
    """acme's queue receives acme's notice and globex's globex's, though both went out on one topic."""
    queues = {tenant: queue(stack, f"{tenant}-approvers") for tenant in TENANTS}
    entries: list[ApprovalSubscription] = [
        {"tenant_id": tenant, "protocol": "sqs", "endpoint": arn} for tenant, (_, arn) in queues.items()
    ]
    program = build_execution_layer(stack.spec, approval_subscriptions=entries)
    subscriptions = program.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert len(subscriptions) == len(TENANTS)
    sns = stack.env.client("sns")
    for subscription in subscriptions:
        # What the provider's Subscribe call sends for the program's subscription.
        sns.subscribe(
            TopicArn=os.environ[ENV_APPROVAL_TOPIC_ARN],
            Protocol=subscription.inputs["protocol"],
            Endpoint=subscription.inputs["endpoint"],
            Attributes={
                "FilterPolicy": subscription.inputs["filterPolicy"],
                "FilterPolicyScope": subscription.inputs["filterPolicyScope"],
            },
        )

    approval_ids = {tenant: request_approval(stack, tenant) for tenant in TENANTS}

    # Both went out on the one topic: its unfiltered subscriber (the fixture's) heard of both.
    assert sorted(notice["tenantId"] for notice in stack.approval_notices()) == ["acme", "globex"]
    for tenant, (url, _) in queues.items():
        received = notices(stack, url)
        assert [(n["tenantId"], n["approvalId"]) for n in received] == [(tenant, approval_ids[tenant])]
