"""Flags stores beside Powertools' ``AppConfigStore``: a local JSON file, and a fixed document."""

from __future__ import annotations

from governed_assistant.runtime.flags.stores.file import FileFlagsStore, write_flags_file
from governed_assistant.runtime.flags.stores.fixed import FixedFlagsStore

__all__ = ["FileFlagsStore", "FixedFlagsStore", "write_flags_file"]
