# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Pulumi ComponentResources for the governed assistant (one per layer, composed by the spec)."""

from __future__ import annotations

from components.infra.assistant import AssistantCode, GovernedAssistant, GovernedAssistantArgs
from components.infra.entrypoints import HANDLERS

__all__ = ["HANDLERS", "AssistantCode", "GovernedAssistant", "GovernedAssistantArgs"]
