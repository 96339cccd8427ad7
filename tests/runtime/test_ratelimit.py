"""The request limiter on moto's DynamoDB: one counter per tenant and window, expiring after it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from governed_assistant.runtime.ratelimit import (
    RECONNECT_UNITS,
    RateLimitConfigError,
    RateLimitExceededError,
    RequestLimiter,
)
from moto import mock_aws

TABLE = "usage"
WINDOW_START = 1_800_000_000 - 1_800_000_000 % 60


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("tenantId", "day")],
            KeySchema=[
                {"AttributeName": "tenantId", "KeyType": "HASH"},
                {"AttributeName": "day", "KeyType": "RANGE"},
            ],
        )
        yield client


def test_counter_is_keyed_by_tenant_and_window_and_expires_after_it(dynamodb: Any) -> None:
    """The counter's partition key is the tenant; its TTL is after the window ends (plus grace)."""
    RequestLimiter(dynamodb, TABLE, clock=lambda: WINDOW_START + 59.5).spend("acme", 10)
    (item,) = dynamodb.scan(TableName=TABLE)["Items"]
    assert item["tenantId"] == {"S": "acme"}
    assert item["day"] == {"S": f"requests#{WINDOW_START}"}
    assert item["requestUnits"] == {"N": "10"}
    assert int(item["expiresAt"]["N"]) == WINDOW_START + 60 + 300


def test_retry_after_is_whole_seconds_to_window_end(dynamodb: Any) -> None:
    """Refused half a second before the window ends, the caller is told to retry in 1 s."""
    limiter = RequestLimiter(dynamodb, TABLE, clock=lambda: WINDOW_START + 59.5)
    limiter.spend("acme", 1)
    with pytest.raises(RateLimitExceededError) as refused:
        limiter.spend("acme", 1)
    assert (refused.value.retry_after, refused.value.kind) == (1, "throttled")


def test_reconnects_cost_a_tenth_of_a_request(dynamodb: Any) -> None:
    """With a limit of one request, ten reconnects fit in the window and the eleventh does not."""
    limiter = RequestLimiter(dynamodb, TABLE, clock=lambda: WINDOW_START)
    for _ in range(10):
        limiter.spend("acme", 1, units=RECONNECT_UNITS)
    with pytest.raises(RateLimitExceededError):
        limiter.spend("acme", 1, units=RECONNECT_UNITS)


def test_limiter_without_table_names_the_variable(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a table the error says which variable to set."""
    monkeypatch.delenv("GOVERNED_USAGE_TABLE", raising=False)
    with pytest.raises(RateLimitConfigError, match="GOVERNED_USAGE_TABLE"):
        RequestLimiter(dynamodb)


def test_limit_below_one_request_is_refused(dynamodb: Any) -> None:
    """A zero limit is a configuration mistake, not a way to block a tenant."""
    with pytest.raises(RateLimitConfigError, match="limit=0"):
        RequestLimiter(dynamodb, TABLE).spend("acme", 0)
