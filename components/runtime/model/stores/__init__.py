# Managed by the governed-assistant template; `copier update` refreshes this file.
"""Token usage stores: in memory (tests, the local stack) and DynamoDB (AWS)."""

from __future__ import annotations

from components.runtime.model.stores.dynamodb import DynamoDBTokenUsageStore
from components.runtime.model.stores.memory import InMemoryTokenUsageStore

__all__ = ["DynamoDBTokenUsageStore", "InMemoryTokenUsageStore"]
