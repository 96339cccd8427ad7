"""Pulumi ComponentResources for the governed assistant (one per layer, composed by the spec)."""

from __future__ import annotations

from governed_assistant.infra.assistant import AssistantCode, GovernedAssistant, GovernedAssistantArgs
from governed_assistant.infra.entrypoints import HANDLERS

__all__ = ["HANDLERS", "AssistantCode", "GovernedAssistant", "GovernedAssistantArgs"]
