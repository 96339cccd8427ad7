"""The rate_limit flag: the spec's limit by default, a tenant's own where the document gives one."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.flags import (
    RATE_LIMIT,
    FixedFlagsStore,
    FlagsDocumentError,
    RolloutFlags,
    Variant,
    build_flags_document,
    validate_flags_document,
)
from governed_assistant.spec import AssistantSpec
from governed_assistant.spec.model import Limits

DEFAULT = 17  # the caller's default, distinct from the spec's


def _limit(document: dict[str, Any], spec: AssistantSpec, tenant: str) -> int:
    flags = RolloutFlags(FixedFlagsStore(document), fallback_variant=Variant.stable(spec))
    context = TenantContext(tenant_id=tenant, user_id="alice", roles=("agent",), request_id="req-1")
    return flags.requests_per_minute(context, DEFAULT)


def test_document_default_is_spec_limit_and_overrides_are_per_tenant(spec: AssistantSpec) -> None:
    """Tenants named in rate_limits get theirs; every other tenant gets the spec's limit."""
    spec = spec.model_copy(update={"limits": Limits(requests_per_minute=40)})
    document = build_flags_document(spec, rate_limits={"acme": 120, "initech": 5, "globex": 120})
    assert [_limit(document, spec, tenant) for tenant in ("acme", "globex", "initech", "umbrella")] == [
        120,
        120,
        5,
        40,
    ]


def test_document_without_rate_limit_is_valid_and_gives_caller_default(spec: AssistantSpec) -> None:
    """A document from before the flag existed still validates; tenants get the caller's default."""
    document = build_flags_document(spec)
    del document[RATE_LIMIT]
    validate_flags_document(document)
    assert _limit(document, spec, "acme") == DEFAULT


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(0, id="zero"),
        pytest.param(6001, id="above-maximum"),
        pytest.param(2.5, id="fraction"),
        pytest.param(True, id="boolean"),
        pytest.param("60", id="string"),
    ],
)
def test_unusable_rate_limit_fails_validation_naming_feature(spec: AssistantSpec, value: Any) -> None:
    """A rate limit that is not a whole number of requests in bounds is refused, naming the feature."""
    document = build_flags_document(spec)
    document[RATE_LIMIT] = {"default": value, "boolean_type": False}
    with pytest.raises(FlagsDocumentError, match="feature=rate_limit"):
        validate_flags_document(document)


def test_unreadable_document_gives_caller_default_not_zero(spec: AssistantSpec) -> None:
    """A broken document leaves every tenant the caller's default rather than refusing everyone."""
    document = build_flags_document(spec)
    document[RATE_LIMIT] = {"default": 0, "boolean_type": False}
    assert _limit(document, spec, "acme") == DEFAULT
