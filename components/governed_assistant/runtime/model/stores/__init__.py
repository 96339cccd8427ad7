"""Token usage stores: in memory (tests, the local stack) and DynamoDB (AWS)."""

from __future__ import annotations

from governed_assistant.runtime.model.stores.dynamodb import DynamoDBTokenUsageStore
from governed_assistant.runtime.model.stores.memory import InMemoryTokenUsageStore

__all__ = ["DynamoDBTokenUsageStore", "InMemoryTokenUsageStore"]
