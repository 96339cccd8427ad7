"""The flags document: built from the spec, deployed to AppConfig (or written to the local flags file).

It is a Powertools Feature Flags document, so ``FeatureFlags`` evaluates it the same way from either
store. The canary is "tenant_hash modulo 100 in [0, canary_percent - 1]" with Powertools'
``MODULO_RANGE`` rule action: stable per tenant (a tenant never flips between variants) and, over
many tenants, close to the configured percent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.feature_flags import SchemaValidator
from aws_lambda_powertools.utilities.feature_flags.exceptions import SchemaValidationError

from governed_assistant.runtime.flags.constants import (
    CANARY,
    CANARY_BUCKETS,
    CANARY_VARIANT,
    CIRCUIT_BREAKER,
    CONTEXT_TENANT_HASH,
    CONTEXT_TENANT_ID,
    DEFAULT_PROMPT_PATH,
    FEATURES,
    KILL_SWITCH,
    RATE_LIMIT,
    SHADOW_MODE,
    STABLE_VARIANT,
    VARIANTS,
)
from governed_assistant.runtime.flags.exceptions import FlagsDocumentError
from governed_assistant.runtime.model.breaker import CircuitBreakerSettings
from governed_assistant.runtime.model.exceptions import ModelConfigError
from governed_assistant.spec.model import MAX_REQUESTS_PER_MINUTE, AssistantSpec


def tenant_hash(tenant_id: str) -> int:
    """A stable, evenly spread integer for a tenant: the first 8 bytes of SHA-256 of its id.

    Python's ``hash()`` is salted per process, so it would move tenants between variants on every
    cold start; SHA-256 is the same in every Lambda, locally and in tests.
    """
    return int.from_bytes(hashlib.sha256(tenant_id.encode()).digest()[:8], "big")


def build_flags_document(
    spec: AssistantSpec,
    *,
    shadow_tenants: Iterable[str] = (),
    live_tenants: Iterable[str] = (),
    canary_tenants: Iterable[str] = (),
    canary_model_id: str | None = None,
    canary_prompt: str | None = None,
    breaker: CircuitBreakerSettings | None = None,
    rate_limits: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The initial flags document for ``spec``: what the rollout layer deploys and ``make dev`` writes.

    ``shadow_mode`` defaults to ``spec.rollout.shadow_mode``; ``shadow_tenants`` / ``live_tenants``
    override it per tenant. ``canary`` gives ``spec.rollout.canary_percent`` percent of tenants (and
    every tenant in ``canary_tenants``) the canary variant, which uses ``canary_model_id`` and
    ``canary_prompt`` (by default the stable ones: change them in AppConfig to start a canary).
    ``rate_limit`` is ``spec.limits.requests_per_minute``; ``rate_limits`` (tenant -> requests per
    minute) gives tenants their own.
    """
    shadow, live, canary = sorted(set(shadow_tenants)), sorted(set(live_tenants)), sorted(set(canary_tenants))
    if set(shadow) & set(live):
        raise FlagsDocumentError(
            f"Tenants cannot be both shadowed and live, tenants={sorted(set(shadow) & set(live))}"
        )
    settings = breaker or CircuitBreakerSettings()
    shadow_rules = {
        **_tenant_rule("shadowed tenants", shadow, when_match=True),
        **_tenant_rule("live tenants", live, when_match=False),
    }
    canary_rules = _tenant_rule("canary tenants", canary, when_match=CANARY_VARIANT)
    percent = spec.rollout.canary_percent
    if percent > 0:
        canary_rules["canary share of tenants"] = {
            "when_match": CANARY_VARIANT,
            "conditions": [
                {
                    "action": "MODULO_RANGE",
                    "key": CONTEXT_TENANT_HASH,
                    "value": {"BASE": CANARY_BUCKETS, "START": 0, "END": percent - 1},
                }
            ],
        }
    by_limit: dict[int, list[str]] = {}
    for tenant, limit in sorted((rate_limits or {}).items()):
        by_limit.setdefault(limit, []).append(tenant)
    limit_rules: dict[str, Any] = {}
    for limit, tenants in sorted(by_limit.items()):
        limit_rules.update(_tenant_rule(f"{limit} requests per minute", tenants, when_match=limit))
    stable = {"model_id": spec.model_id, "prompt": DEFAULT_PROMPT_PATH}
    document: dict[str, Any] = {
        KILL_SWITCH: {"default": False},
        SHADOW_MODE: _feature(spec.rollout.shadow_mode, shadow_rules),
        CANARY: _feature(STABLE_VARIANT, canary_rules, boolean=False),
        VARIANTS: _feature(
            {
                STABLE_VARIANT: stable,
                CANARY_VARIANT: {
                    "model_id": canary_model_id or spec.model_id,
                    "prompt": canary_prompt or DEFAULT_PROMPT_PATH,
                },
            },
            {},
            boolean=False,
        ),
        CIRCUIT_BREAKER: _feature(
            {
                "failure_threshold": settings.failure_threshold,
                "window_seconds": settings.window_seconds,
                "cooldown_seconds": settings.cooldown_seconds,
            },
            {},
            boolean=False,
        ),
        RATE_LIMIT: _feature(spec.limits.requests_per_minute, limit_rules, boolean=False),
    }
    validate_flags_document(document)
    return document


def validate_flags_document(document: object) -> dict[str, Any]:
    """``document`` if it passes Powertools' ``SchemaValidator`` and holds sound rollout features.

    Raises ``FlagsDocumentError`` naming the feature and what to fix.
    """
    if not isinstance(document, dict):
        raise FlagsDocumentError(f"Flags document must be a JSON object, type={type(document).__name__}")
    try:
        SchemaValidator(document).validate()
    except SchemaValidationError as error:
        raise FlagsDocumentError(f"Flags document breaks the feature flags schema, error={error}") from error
    missing = [name for name in FEATURES if name not in document]
    if missing:
        raise FlagsDocumentError(
            f"Flags document lacks rollout features, missing={missing}; rebuild it with build_flags_document"
        )
    for name in (KILL_SWITCH, SHADOW_MODE):
        if document[name].get("boolean_type", True) is not True:
            raise FlagsDocumentError(f"Flag must be boolean, feature={name}; remove its boolean_type")
    variants = document[VARIANTS]["default"]
    for value in _values(document[VARIANTS]):
        variant_models(value)
    known = set(variants) if isinstance(variants, dict) else set()
    for value in _values(document[CANARY]):
        if value not in known:
            raise FlagsDocumentError(
                f"Canary names an unknown variant, feature={CANARY}, variant={value!r}, known={sorted(known)}"
            )
    for value in _values(document[CIRCUIT_BREAKER]):
        breaker_settings(value)
    if RATE_LIMIT in document:
        for value in _values(document[RATE_LIMIT]):
            requests_per_minute(value)
    return document


def requests_per_minute(value: object) -> int:
    """The rate_limit feature's value, checked: a whole number of requests per minute in bounds."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REQUESTS_PER_MINUTE:
        raise FlagsDocumentError(
            f"Rate limit must be a whole number of requests per minute from 1 to "
            f"{MAX_REQUESTS_PER_MINUTE}, feature={RATE_LIMIT}, value={value!r}"
        )
    return value


def variant_models(value: object) -> dict[str, dict[str, str]]:
    """The variants feature's value, checked: each variant has a string model_id and prompt."""
    if not isinstance(value, dict) or STABLE_VARIANT not in value:
        raise FlagsDocumentError(
            f"Variants must be an object with a {STABLE_VARIANT!r} entry, feature={VARIANTS}, value={value!r}"
        )
    for name, variant in value.items():
        if not isinstance(variant, dict) or not all(
            isinstance(variant.get(key), str) and variant[key] for key in ("model_id", "prompt")
        ):
            raise FlagsDocumentError(
                f"Variant needs a model_id and a prompt, feature={VARIANTS}, variant={name!r}, "
                f"value={variant!r}"
            )
    return value


def breaker_settings(value: object) -> CircuitBreakerSettings:
    """The circuit_breaker feature's value as settings; raises ``FlagsDocumentError`` if unusable."""
    keys = ("failure_threshold", "window_seconds", "cooldown_seconds")
    numbers = value if isinstance(value, dict) else {}
    if set(numbers) != set(keys) or not all(
        isinstance(numbers[key], int | float) and not isinstance(numbers[key], bool) for key in keys
    ):
        raise FlagsDocumentError(
            f"Circuit breaker settings must be numbers for exactly {list(keys)}, "
            f"feature={CIRCUIT_BREAKER}, value={value!r}"
        )
    try:
        return CircuitBreakerSettings(
            failure_threshold=int(numbers["failure_threshold"]),
            window_seconds=float(numbers["window_seconds"]),
            cooldown_seconds=float(numbers["cooldown_seconds"]),
        )
    except ModelConfigError as error:
        raise FlagsDocumentError(f"{error}, feature={CIRCUIT_BREAKER}") from error


def _feature(default: Any, rules: Mapping[str, Any], *, boolean: bool = True) -> dict[str, Any]:
    # An empty "rules" makes Powertools warn; leave the key out instead.
    feature: dict[str, Any] = {"default": default}
    if not boolean:
        feature["boolean_type"] = False
    if rules:
        feature["rules"] = dict(rules)
    return feature


def _tenant_rule(name: str, tenants: list[str], *, when_match: Any) -> dict[str, Any]:
    if not tenants:
        return {}
    return {
        name: {
            "when_match": when_match,
            "conditions": [{"action": "IN", "key": CONTEXT_TENANT_ID, "value": tenants}],
        }
    }


def _values(feature: Mapping[str, Any]) -> list[Any]:
    """The default and every rule's value: each one a tenant might get."""
    return [feature["default"], *(rule.get("when_match") for rule in feature.get("rules", {}).values())]
