"""The assistant spec: ``assistant.yaml``'s model, loader and migrations."""

from __future__ import annotations

from governed_assistant.spec.exceptions import SpecError, SpecVersionError
from governed_assistant.spec.loader import DEFAULT_SPEC_PATH, load_spec, parse_spec, validate_spec_data
from governed_assistant.spec.model import SPEC_VERSION, Action, AssistantSpec, RetryPolicy
from governed_assistant.spec.problems import Problem

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
