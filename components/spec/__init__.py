# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The assistant spec: ``assistant.yaml``'s model, loader and migrations."""

from __future__ import annotations

from components.spec.exceptions import SpecError, SpecVersionError
from components.spec.loader import DEFAULT_SPEC_PATH, load_spec, parse_spec, validate_spec_data
from components.spec.model import SPEC_VERSION, Action, AssistantSpec, RetryPolicy
from components.spec.problems import Problem

__all__ = [
    "DEFAULT_SPEC_PATH",
    "SPEC_VERSION",
    "Action",
    "AssistantSpec",
    "Problem",
    "RetryPolicy",
    "SpecError",
    "SpecVersionError",
    "load_spec",
    "parse_spec",
    "validate_spec_data",
]
