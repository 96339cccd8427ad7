# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Flags stores beside Powertools' ``AppConfigStore``: a local JSON file, and a fixed document."""

from __future__ import annotations

from components.runtime.flags.stores.file import FileFlagsStore, write_flags_file
from components.runtime.flags.stores.fixed import FixedFlagsStore

__all__ = ["FileFlagsStore", "FixedFlagsStore", "write_flags_file"]
