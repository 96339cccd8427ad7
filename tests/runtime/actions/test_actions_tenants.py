"""tenant_claims: every value under a tenant-ish key, at any depth and inside lists, with its path."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.runtime.actions import is_tenant_key, tenant_claims


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"tenantId": "globex"}, [("tenantId", "globex")], id="top-level"),
        pytest.param({"a": {"tenant_id": "globex"}}, [("a.tenant_id", "globex")], id="depth-two"),
        pytest.param({"a": [{"b": {"Tenant": 7}}]}, [("a[0].b.Tenant", 7)], id="inside-list-non-string"),
        pytest.param(
            {"tenants": ["acme", "globex"]},
            [("tenants[0]", "acme"), ("tenants[1]", "globex")],
            id="list-value",
        ),
        pytest.param({"tenant": {"id": "globex"}}, [("tenant.id", "globex")], id="object-value"),
        pytest.param({"TENANT-ID": "globex", "x": None}, [("TENANT-ID", "globex")], id="shouting-with-dash"),
        pytest.param({"tenantId": None, "tenants": []}, [], id="null-and-empty-name-none"),
        pytest.param({"status": "globex", "owner": "globex"}, [], id="no-tenant-key"),
        pytest.param([[{"targetTenant": "globex"}]], [("[0][0].targetTenant", "globex")], id="list-root"),
        pytest.param("globex", [], id="scalar-root"),
    ],
)
def test_tenant_claims_nested_values_listed_with_paths(value: Any, expected: list[tuple[str, Any]]) -> None:
    """Every non-null value under a tenant-ish key is listed, in document order, with where it is."""
    assert [(claim.path, claim.value) for claim in tenant_claims(value)] == expected


def test_tenant_claims_deep_nesting_does_not_recurse() -> None:
    """A tool input nested far deeper than Python's recursion limit is walked, not a RecursionError."""
    deep: Any = {"tenantId": "globex"}
    for _ in range(5000):
        deep = {"x": [deep]}
    (claim,) = tenant_claims(deep)
    assert claim.value == "globex" and claim.path.endswith(".tenantId")


@pytest.mark.parametrize(
    ("key", "tenantish"),
    [
        pytest.param("tenantId", True, id="camel"),
        pytest.param("owner_tenant_id", True, id="snake-inside"),
        pytest.param("Tenants", True, id="plural"),
        pytest.param("ten-ant", True, id="split-by-dash"),
        pytest.param("tenet", False, id="near-miss"),
        pytest.param("userId", False, id="user"),
        pytest.param(7, False, id="not-a-string"),
    ],
)
def test_is_tenant_key_letters_contain_tenant(key: object, tenantish: bool) -> None:
    """A key is tenant-ish when its letters, lowercased, contain ``tenant``."""
    assert is_tenant_key(key) is tenantish
