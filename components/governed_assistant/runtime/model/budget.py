"""Each tenant's daily token budget, checked before a model call and charged after it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from governed_assistant.runtime.model.base import TokenUsage, TokenUsageStore
from governed_assistant.runtime.model.constants import DEFAULT_DAILY_TOKEN_BUDGET
from governed_assistant.runtime.model.exceptions import BudgetExceededError, ModelConfigError
from governed_assistant.wire import ENV_DAILY_TOKEN_BUDGET


def utc_day(epoch_seconds: float) -> date:
    """The UTC calendar day a budget is counted in."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).date()


@dataclass(frozen=True)
class TokenBudget:
    """Input plus output tokens a tenant may spend per UTC day; ``per_tenant`` overrides the default."""

    daily_tokens: int
    per_tenant: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls, daily_tokens: int | None = None, per_tenant: Mapping[str, int] | None = None
    ) -> TokenBudget:
        """The explicit limit, else $GOVERNED_DAILY_TOKEN_BUDGET, else the default."""
        if daily_tokens is None:
            raw = os.environ.get(ENV_DAILY_TOKEN_BUDGET)
            try:
                daily_tokens = int(raw) if raw else DEFAULT_DAILY_TOKEN_BUDGET
            except ValueError as error:
                raise ModelConfigError(
                    f"Token budget is not a whole number, {ENV_DAILY_TOKEN_BUDGET}={raw!r}; "
                    "set it to the tokens a tenant may use per day (e.g. 2000000)"
                ) from error
        return cls(daily_tokens, dict(per_tenant or {}))

    def __post_init__(self) -> None:
        negative = {name: limit for name, limit in self.per_tenant.items() if limit < 0}
        if self.daily_tokens < 0 or negative:
            raise ModelConfigError(
                f"Token budgets must not be negative, daily_tokens={self.daily_tokens}, per_tenant={negative}"
            )

    def limit_for(self, tenant_id: str) -> int:
        return self.per_tenant.get(tenant_id, self.daily_tokens)

    def check(self, store: TokenUsageStore, tenant_id: str, day: date) -> TokenUsage:
        """What the tenant has used today; raises ``BudgetExceededError`` when nothing is left."""
        used = store.usage(tenant_id, day)
        limit = self.limit_for(tenant_id)
        if used.total_tokens >= limit:
            raise BudgetExceededError(
                tenant_id=tenant_id, used_tokens=used.total_tokens, limit_tokens=limit, day=day.isoformat()
            )
        return used
