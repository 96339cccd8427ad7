"""The model runtime's defaults and error classes, in one place."""

from __future__ import annotations

from typing import Final

# Relative to the working directory, which is the package root both in Lambda (/var/task)
# and in a generated project.
DEFAULT_SYSTEM_PROMPT_PATH: Final = "prompts/system.md"
# Input plus output tokens one tenant may spend per UTC day; 0 means no calls at all.
DEFAULT_DAILY_TOKEN_BUDGET: Final = 2_000_000

# Retries: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
# And Jitter"): sleep uniform(0, min(max_delay, base_delay * 2**attempt)).
DEFAULT_MAX_ATTEMPTS: Final = 4
DEFAULT_BASE_DELAY_SECONDS: Final = 0.25
DEFAULT_MAX_DELAY_SECONDS: Final = 8.0

# Circuit breaker defaults; the rollout flags override them per invocation.
DEFAULT_FAILURE_THRESHOLD: Final = 5
DEFAULT_WINDOW_SECONDS: Final = 60.0
DEFAULT_COOLDOWN_SECONDS: Final = 30.0

# Bedrock's transient errors: worth another attempt after a pause.
RETRYABLE_ERROR_CODES: Final = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException"}
)
# What a connection failure or timeout (no answer at all) is called here: transient, like a throttle.
CONNECTION_ERROR_CODE: Final = "ConnectionError"
# Errors that say the model endpoint is unhealthy, so they count towards opening the breaker.
# Caller mistakes (ValidationException, AccessDeniedException, ResourceNotFoundException) do not:
# they would open the breaker for every tenant because of one bad request.
BREAKER_ERROR_CODES: Final = RETRYABLE_ERROR_CODES | frozenset(
    {"InternalServerException", "ModelTimeoutException", "ModelErrorException"}
)

# Usage records in DynamoDB expire after this many days (the table's TTL attribute).
USAGE_RETENTION_DAYS: Final = 90
