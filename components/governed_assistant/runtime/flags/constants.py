"""The rollout flags' feature names, evaluation context keys and defaults, in one place."""

from __future__ import annotations

from typing import Final

# The features of the flags document (Powertools Feature Flags schema).
KILL_SWITCH: Final = "kill_switch"  # boolean: deny every action
SHADOW_MODE: Final = "shadow_mode"  # boolean, per tenant: decide and record, never execute
CANARY: Final = "canary"  # non-boolean, per tenant: the name of the variant the tenant gets
VARIANTS: Final = "variants"  # non-boolean: variant name -> {"model_id": ..., "prompt": ...}
CIRCUIT_BREAKER: Final = "circuit_breaker"  # non-boolean: the model client's breaker settings
# non-boolean, per tenant: requests per minute. Optional: a document from before it existed is still
# valid, and a tenant without a value gets the spec's limits.requests_per_minute.
RATE_LIMIT: Final = "rate_limit"
FEATURES: Final = (KILL_SWITCH, SHADOW_MODE, CANARY, VARIANTS, CIRCUIT_BREAKER)

STABLE_VARIANT: Final = "stable"
CANARY_VARIANT: Final = "canary"
DEFAULT_PROMPT_PATH: Final = "prompts/system.md"

# Keys of the evaluation context the rules may test.
CONTEXT_TENANT_ID: Final = "tenant_id"
CONTEXT_TENANT_HASH: Final = "tenant_hash"  # a stable integer hash of tenant_id; see tenant_hash()
CONTEXT_USER_ID: Final = "user_id"
CONTEXT_ROLES: Final = "roles"
# The canary rule buckets tenants by tenant_hash modulo this (Powertools' MODULO_RANGE); 100 makes
# the rule's range read as a percentage. Operators may raise it (1000) for finer steps.
CANARY_BUCKETS: Final = 100

# Seconds a fetched AppConfig document is reused: how long a kill switch takes to bite, at most.
DEFAULT_FLAGS_MAX_AGE_SECONDS: Final = 15
