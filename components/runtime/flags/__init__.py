# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Rollout flags: shadow mode, canary by tenant, a kill switch and the model's breaker settings.

``build_flags_document(spec)`` makes the document the rollout layer deploys to AppConfig and the
local stack writes to a file; ``RolloutFlags.from_environment(spec).for_tenant(context)`` evaluates
it with Powertools Feature Flags into a ``RolloutSnapshot``. Unreadable flags fail closed.
"""

from __future__ import annotations

from components.runtime.flags.constants import (
    CANARY,
    CANARY_VARIANT,
    CIRCUIT_BREAKER,
    KILL_SWITCH,
    SHADOW_MODE,
    STABLE_VARIANT,
    VARIANTS,
)
from components.runtime.flags.document import (
    breaker_settings,
    build_flags_document,
    tenant_hash,
    validate_flags_document,
)
from components.runtime.flags.exceptions import FlagsConfigError, FlagsDocumentError, FlagsError
from components.runtime.flags.rollout import RolloutFlags, RolloutSnapshot, Variant
from components.runtime.flags.stores import FileFlagsStore, FixedFlagsStore, write_flags_file

__all__ = [
    "CANARY",
    "CANARY_VARIANT",
    "CIRCUIT_BREAKER",
    "KILL_SWITCH",
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
    "tenant_hash",
    "validate_flags_document",
    "write_flags_file",
]
