"""Token usage stores add per tenant and day; the system prompt loads from the configured file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from governed_assistant.runtime.model import (
    DynamoDBTokenUsageStore,
    InMemoryTokenUsageStore,
    ModelConfigError,
    PromptNotFoundError,
    TokenUsage,
    TokenUsageStore,
    load_system_prompt,
)
from moto import mock_aws

TABLE = "assistant-token-usage"
DAY = date(2025, 6, 15)


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "tenantId", "KeyType": "HASH"},
                {"AttributeName": "day", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "tenantId", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> TokenUsageStore:
    if request.param == "memory":
        return InMemoryTokenUsageStore()
    return DynamoDBTokenUsageStore(request.getfixturevalue("dynamodb"), TABLE)


def test_usage_store_records_add_up_per_tenant_and_day(store: TokenUsageStore) -> None:
    """Recorded usage adds up per tenant and day; other tenants and days stay at zero."""
    store.record("acme", DAY, TokenUsage(100, 10))
    total = store.record("acme", DAY, TokenUsage(50, 5))

    assert total == TokenUsage(150, 15)
    assert store.usage("acme", DAY) == TokenUsage(150, 15)
    assert store.usage("globex", DAY) == TokenUsage()
    assert store.usage("acme", date(2025, 6, 16)) == TokenUsage()


def test_dynamodb_store_without_table_name_raises_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a table name or GOVERNED_USAGE_TABLE the store says which variable to set."""
    monkeypatch.delenv("GOVERNED_USAGE_TABLE", raising=False)

    with pytest.raises(ModelConfigError, match="GOVERNED_USAGE_TABLE"):
        DynamoDBTokenUsageStore(object())  # type: ignore[arg-type]


def test_load_system_prompt_from_environment_returns_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GOVERNED_SYSTEM_PROMPT_PATH names the prompt file when no path is passed."""
    prompt = tmp_path / "system.md"
    prompt.write_text("  You are the support desk's assistant.\n")
    monkeypatch.setenv("GOVERNED_SYSTEM_PROMPT_PATH", str(prompt))

    assert load_system_prompt() == "You are the support desk's assistant."


@pytest.mark.parametrize(
    "content",
    [pytest.param(None, id="missing"), pytest.param("  \n", id="empty")],
)
def test_load_system_prompt_unusable_file_raises_prompt_not_found(
    tmp_path: Path, content: str | None
) -> None:
    """A missing or blank prompt file is refused with its path."""
    prompt = tmp_path / "system.md"
    if content is not None:
        prompt.write_text(content)

    with pytest.raises(PromptNotFoundError, match=f"path={prompt}"):
        load_system_prompt(prompt)
