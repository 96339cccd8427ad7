"""Rollout flags: shadow mode, canary by tenant, a kill switch and the model's breaker settings.

``build_flags_document(spec)`` makes the document the rollout layer deploys to AppConfig and the
local stack writes to a file; ``RolloutFlags.from_environment(spec).for_tenant(context)`` evaluates
it with Powertools Feature Flags into a ``RolloutSnapshot``. Unreadable flags fail closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from governed_assistant.runtime.flags.constants import (
    CANARY,
    CANARY_VARIANT,
    CIRCUIT_BREAKER,
    KILL_SWITCH,
    RATE_LIMIT,
    SHADOW_MODE,
    STABLE_VARIANT,
    VARIANTS,
)

if TYPE_CHECKING:
    from governed_assistant.runtime.flags.document import (
        breaker_settings,
        build_flags_document,
        requests_per_minute,
        tenant_hash,
        validate_flags_document,
    )
    from governed_assistant.runtime.flags.exceptions import FlagsConfigError, FlagsDocumentError, FlagsError
    from governed_assistant.runtime.flags.rollout import RolloutFlags, RolloutSnapshot, Variant
    from governed_assistant.runtime.flags.stores import FileFlagsStore, FixedFlagsStore, write_flags_file
else:
    from governed_assistant.runtime.lazy import lazy_exports

    # Why lazy: every module below imports Powertools feature flags, whose package imports its
    # AppConfig store and so boto3 (~150-250 ms); a handler pays that on its first flags read,
    # not at import (bench/handler_cold_import.py).
    __getattr__ = lazy_exports(
        __name__,
        {
            "breaker_settings": "governed_assistant.runtime.flags.document",
            "build_flags_document": "governed_assistant.runtime.flags.document",
            "requests_per_minute": "governed_assistant.runtime.flags.document",
            "tenant_hash": "governed_assistant.runtime.flags.document",
            "validate_flags_document": "governed_assistant.runtime.flags.document",
            "FlagsConfigError": "governed_assistant.runtime.flags.exceptions",
            "FlagsDocumentError": "governed_assistant.runtime.flags.exceptions",
            "FlagsError": "governed_assistant.runtime.flags.exceptions",
            "RolloutFlags": "governed_assistant.runtime.flags.rollout",
            "RolloutSnapshot": "governed_assistant.runtime.flags.rollout",
            "Variant": "governed_assistant.runtime.flags.rollout",
            "FileFlagsStore": "governed_assistant.runtime.flags.stores",
            "FixedFlagsStore": "governed_assistant.runtime.flags.stores",
            "write_flags_file": "governed_assistant.runtime.flags.stores",
        },
    )

__all__ = [
    "CANARY",
    "CANARY_VARIANT",
    "CIRCUIT_BREAKER",
    "KILL_SWITCH",
    "RATE_LIMIT",
    "SHADOW_MODE",
    "STABLE_VARIANT",
    "VARIANTS",
    "FileFlagsStore",
    "FixedFlagsStore",
    "FlagsConfigError",
    "FlagsDocumentError",
    "FlagsError",
    "RolloutFlags",
    "RolloutSnapshot",
    "Variant",
    "breaker_settings",
    "build_flags_document",
    "requests_per_minute",
    "tenant_hash",
    "validate_flags_document",
    "write_flags_file",
]
