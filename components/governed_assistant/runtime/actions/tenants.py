"""Where a proposal names a tenant: every value a tenant-ish key holds, at any depth, with its path.

A tenant-ish key is one whose letters, lowercased, contain ``tenant`` (``tenantId``, ``tenant_id``,
``TENANT-ID``, ``targetTenant``, ``tenants``). Under such a key every value counts, also inside
nested objects and lists (``{"tenants": ["acme", "globex"]}``); ``null`` names no tenant. The
gate compares each with the verified tenant: any other value is a cross-tenant attempt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from governed_assistant.contracts import TenantClaim

TENANT_WORD: Final = "tenant"
# How the conversation tells the model its tenant: the tool schema no longer can (one grammar for all).
TENANT_CONTEXT: Final = "The tenant of this conversation is {tenant}; use exactly this value as tenantId."
_TENANT_CONTEXT: Final = re.compile(r"The tenant of this conversation is (\S+); use exactly this value")


def tenant_context_text(tenant_id: str) -> str:
    """The text block that names the verified tenant to the model."""
    return TENANT_CONTEXT.format(tenant=tenant_id)


def tenant_in_text(text: str) -> str | None:
    """The tenant a ``tenant_context_text`` block in ``text`` names, if any."""
    found = _TENANT_CONTEXT.search(text)
    return found.group(1) if found else None


def is_tenant_key(key: object) -> bool:
    """Whether ``key`` names a tenant: its letters, lowercased, contain ``tenant``."""
    return isinstance(key, str) and TENANT_WORD in "".join(filter(str.isalpha, key.lower()))


def tenant_claims(value: Any) -> list[TenantClaim]:
    """Every non-null value under a tenant-ish key in ``value`` (objects and lists, any depth)."""
    return list(_walk(value))


def _walk(root: Any) -> Iterator[TenantClaim]:
    # Iterative, not recursive: a deeply nested tool input must not raise RecursionError.
    stack: list[tuple[str, Any, bool]] = [("", root, False)]
    while stack:
        path, value, claimed = stack.pop()
        if isinstance(value, Mapping):
            children = [
                (f"{path}.{key}" if path else str(key), child, claimed or is_tenant_key(key))
                for key, child in value.items()
            ]
        elif isinstance(value, list | tuple):
            children = [(f"{path}[{index}]", child, claimed) for index, child in enumerate(value)]
        else:
            if claimed and value is not None:
                yield TenantClaim(path=path, value=value)
            continue
        stack.extend(reversed(children))
