"""create_tables builds the execution layer's three tables with the infra's exact key schema."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.runtime.jobs.tables import TableNames, create_tables


def test_create_tables_key_schema_matches_infra(dynamodb: Any) -> None:
    """Jobs and approvals have pk/sk (S) and TTL expiresAt; idempotency has id (S) and TTL expiration."""
    names = TableNames.resolve()
    expected = {
        names.jobs: ([("pk", "HASH"), ("sk", "RANGE")], "expiresAt"),
        names.approvals: ([("pk", "HASH"), ("sk", "RANGE")], "expiresAt"),
        names.idempotency: ([("id", "HASH")], "expiration"),
    }
    for table, (keys, ttl) in expected.items():
        description = dynamodb.describe_table(TableName=table)["Table"]
        assert [(key["AttributeName"], key["KeyType"]) for key in description["KeySchema"]] == keys
        assert {a["AttributeType"] for a in description["AttributeDefinitions"]} == {"S"}
        ttl_description = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        assert (ttl_description["AttributeName"], ttl_description["TimeToLiveStatus"]) == (ttl, "ENABLED")


def test_create_tables_existing_tables_are_left_alone(dynamodb: Any) -> None:
    """Calling it again (the local stack on every start) changes nothing and does not fail."""
    before = sorted(dynamodb.list_tables()["TableNames"])
    create_tables(dynamodb)
    assert sorted(dynamodb.list_tables()["TableNames"]) == before


@pytest.mark.parametrize(
    ("explicit", "environment", "expected"),
    [
        pytest.param("mine", "from-env", "mine", id="explicit-wins"),
        pytest.param(None, "from-env", "from-env", id="environment"),
        pytest.param(None, None, "governed-jobs", id="default"),
    ],
)
def test_table_names_resolve_order_is_argument_env_default(
    monkeypatch: pytest.MonkeyPatch, explicit: str | None, environment: str | None, expected: str
) -> None:
    """Each name resolves as explicit argument, then GOVERNED_*_TABLE, then the default."""
    for variable in ("GOVERNED_JOBS_TABLE", "GOVERNED_APPROVALS_TABLE", "GOVERNED_IDEMPOTENCY_TABLE"):
        if environment is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, environment)
    names = TableNames.resolve(jobs=explicit, approvals=explicit, idempotency=explicit)
    assert names.jobs == expected
    assert names.approvals == expected.replace("jobs", "approvals")
    assert names.idempotency == expected.replace("jobs", "idempotency")
