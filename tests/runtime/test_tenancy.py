"""Tenant-scoped credentials: one tagged AssumeRole per tenant, kept while fresh, on moto's STS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.jobs import JobNotFoundError
from governed_assistant.runtime.jobs.tables import create_tables
from governed_assistant.runtime.tenancy import (
    SESSION_SECONDS,
    TenantScopedJobStore,
    TenantSessionError,
    TenantSessions,
)
from moto import mock_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def role_arn(aws: None) -> str:
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    role = boto3.client("iam").create_role(RoleName="tenant-data", AssumeRolePolicyDocument=trust)
    return str(role["Role"]["Arn"])


class Recorded:
    """The AssumeRole requests an STS client sent (botocore's own event hook, moto answering)."""

    def __init__(self) -> None:
        self.client = boto3.client("sts")
        self.requests: list[dict[str, Any]] = []
        self.client.meta.events.register("provide-client-params.sts.AssumeRole", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_client_acts_as_the_tenants_tagged_session(role_arn: str) -> None:
    """The client's calls are the assumed role's session, asked for with the tag tenantId=<tenant>."""
    sts = Recorded()
    sessions = TenantSessions(sts.client, role_arn)
    caller = sessions.client("acme", "sts").get_caller_identity()
    assert caller["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/tenant-data/tenant-acme"
    (request,) = sts.requests
    assert request["Tags"] == [{"Key": "tenantId", "Value": "acme"}]
    assert (request["RoleArn"], request["DurationSeconds"]) == (role_arn, 900)


def test_sessions_cached_per_tenant_until_near_expiry(role_arn: str) -> None:
    """One AssumeRole per tenant while its credentials are fresh; a new one as they near expiry."""
    sts = Recorded()
    clock = Clock()
    sessions = TenantSessions(sts.client, role_arn, clock=clock)
    first = sessions.client("acme", "dynamodb")
    assert sessions.client("acme", "dynamodb") is first
    sessions.client("globex", "dynamodb")
    assert [r["Tags"][0]["Value"] for r in sts.requests] == ["acme", "globex"]
    clock.now += timedelta(seconds=SESSION_SECONDS - 60)
    assert sessions.client("acme", "dynamodb") is not first
    assert [r["Tags"][0]["Value"] for r in sts.requests] == ["acme", "globex", "acme"]


@pytest.mark.parametrize(
    "tenant",
    [
        pytest.param("ac*", id="wildcard-would-widen-the-key-pattern"),
        pytest.param("a?me", id="single-character-wildcard"),
        pytest.param("acme#job", id="key-separator"),
        pytest.param("", id="empty"),
        pytest.param("${aws:username}", id="policy-variable"),
        pytest.param("x" * 257, id="longer-than-sts-tags"),
    ],
)
def test_untaggable_tenant_refused_before_sts(role_arn: str, tenant: str) -> None:
    """A tenant id that could widen ``<tenant>#*`` in the role's policy never reaches STS."""
    sts = Recorded()
    with pytest.raises(TenantSessionError, match="tenant="):
        TenantSessions(sts.client, role_arn).client(tenant, "dynamodb")
    assert sts.requests == []


def test_job_store_reads_each_tenant_on_its_own_session(role_arn: str) -> None:
    """Jobs are written and read on the tenant's session; another tenant finds none under its own key."""
    create_tables(boto3.client("dynamodb"))
    sts = Recorded()
    store = TenantScopedJobStore(TenantSessions(sts.client, role_arn))
    acme = TenantContext(tenant_id="acme", user_id="alice", request_id="r")
    job = store.create(acme)
    assert store.get(acme, job.job_id).job_id == job.job_id
    with pytest.raises(JobNotFoundError):
        store.get(TenantContext(tenant_id="globex", user_id="alice", request_id="r"), job.job_id)
    assert [r["Tags"] for r in sts.requests] == [
        [{"Key": "tenantId", "Value": "acme"}],
        [{"Key": "tenantId", "Value": "globex"}],
    ]
