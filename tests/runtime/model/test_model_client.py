"""ModelClient: a budget before the call, retries with backoff, a breaker that opens and recovers."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from governed_assistant.errors import GovernanceError
from governed_assistant.runtime.model import (
    BudgetExceededError,
    CircuitBreaker,
    CircuitBreakerSettings,
    CircuitOpenError,
    InMemoryTokenUsageStore,
    ModelClient,
    ModelRequestError,
    ModelUnavailableError,
    RetryPolicy,
    TextAnswer,
    TokenBudget,
    TokenUsage,
    ToolUse,
    utc_day,
)

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
SYSTEM = "You propose actions for the support desk. Never execute anything."
MESSAGES = [{"role": "user", "content": [{"text": "Close ticket T-1, it is resolved."}]}]
TOOL_CONFIG: dict[str, Any] = {
    "tools": [
        {
            "toolSpec": {
                "name": "update_ticket_status",
                "description": "Change the status of one ticket.",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"resourceId": {"type": "string"}, "status": {"type": "string"}},
                        "required": ["resourceId", "status"],
                        "additionalProperties": False,
                    }
                },
                "strict": True,
            }
        }
    ]
}
THRESHOLD = 3
COOLDOWN = 30.0


class FakeClock:
    """Epoch seconds that move only when a test, or a recorded sleep, moves them."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _tool_use_response(input_tokens: int = 120, output_tokens: int = 30) -> dict[str, Any]:
    return {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"text": "I will close the ticket."},
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": "update_ticket_status",
                            "input": {"resourceId": "T-1", "status": "closed"},
                        }
                    },
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": 840},
    }


def _text_response() -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": "Tickets close after 7 days."}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 50, "outputTokens": 8, "totalTokens": 58},
        "metrics": {"latencyMs": 300},
    }


EXPECTED_REQUEST = {
    "modelId": MODEL,
    "messages": MESSAGES,
    "system": [{"text": SYSTEM}],
    "toolConfig": TOOL_CONFIG,
}


def _client(
    bedrock: Any,
    clock: FakeClock,
    *,
    store: InMemoryTokenUsageStore | None = None,
    budget: TokenBudget | None = None,
    max_attempts: int = 5,
) -> ModelClient:
    return ModelClient(
        bedrock,
        model_id=MODEL,
        system_prompt=SYSTEM,
        usage_store=store or InMemoryTokenUsageStore(),
        budget=budget or TokenBudget(daily_tokens=10_000),
        breaker=CircuitBreaker(
            MODEL,
            CircuitBreakerSettings(
                failure_threshold=THRESHOLD, window_seconds=60.0, cooldown_seconds=COOLDOWN
            ),
            clock=clock,
        ),
        retry=RetryPolicy(max_attempts=max_attempts, base_delay_seconds=0.5, max_delay_seconds=4.0),
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda cap: cap,
    )


def _throttle(stubber: Stubber, times: int, code: str = "ThrottlingException", status: int = 429) -> None:
    for _ in range(times):
        stubber.add_client_error("converse", service_error_code=code, service_message="Too many requests",
                                 http_status_code=status)  # fmt: skip


@pytest.mark.parametrize(
    ("code", "status"),
    [
        pytest.param("ThrottlingException", 429, id="throttling"),
        pytest.param("ServiceUnavailableException", 503, id="service-unavailable"),
        pytest.param("ModelNotReadyException", 429, id="model-not-ready"),
    ],
)
def test_converse_transient_errors_then_success_returns_tool_use(
    bedrock: Any, stubber: Stubber, code: str, status: int
) -> None:
    """Two transient errors are retried with growing backoff, and the third attempt's tool use returns."""
    clock = FakeClock()
    _throttle(stubber, 2, code, status)
    stubber.add_response("converse", _tool_use_response(), EXPECTED_REQUEST)

    result = _client(bedrock, clock).converse("acme", MESSAGES, tool_config=TOOL_CONFIG)

    assert result.output == ToolUse(
        "tooluse_1", "update_ticket_status", {"resourceId": "T-1", "status": "closed"}
    )
    assert (result.attempts, result.input_tokens, result.output_tokens) == (3, 120, 30)
    assert clock.sleeps == [0.5, 1.0]
    assert result.latency_ms == pytest.approx(1500.0)
    assert result.model_latency_ms == 840


def test_retry_policy_delay_large_attempt_caps_at_max_delay() -> None:
    """The backoff doubles per attempt but never exceeds max_delay_seconds."""
    policy = RetryPolicy(max_attempts=10, base_delay_seconds=0.5, max_delay_seconds=4.0)

    assert [policy.delay(n, lambda cap: cap) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_converse_throttled_until_threshold_raises_circuit_open(bedrock: Any, stubber: Stubber) -> None:
    """Sustained throttling opens the breaker mid-call, which stops the retries with CircuitOpenError."""
    clock = FakeClock()
    client = _client(bedrock, clock)
    _throttle(stubber, THRESHOLD)

    with pytest.raises(CircuitOpenError) as raised:
        client.converse("acme", MESSAGES, tool_config=TOOL_CONFIG)

    assert client.breaker.state == "open"
    assert raised.value.failures == THRESHOLD
    assert f"model_id={MODEL}" in str(raised.value)
    assert isinstance(raised.value, GovernanceError)


def test_converse_retries_exhausted_raises_model_unavailable(bedrock: Any, stubber: Stubber) -> None:
    """When attempts run out before the breaker opens, the error names the attempts and the last code."""
    clock = FakeClock()
    client = _client(bedrock, clock, max_attempts=2)
    _throttle(stubber, 2)

    with pytest.raises(ModelUnavailableError, match="attempts=2, error_code=ThrottlingException"):
        client.converse("acme", MESSAGES)

    assert client.breaker.state == "closed"


def test_converse_breaker_open_fails_fast_without_calling(bedrock: Any, stubber: Stubber) -> None:
    """An open breaker refuses the next call before Bedrock is called (no stubbed response is used)."""
    clock = FakeClock()
    client = _client(bedrock, clock)
    _throttle(stubber, THRESHOLD)
    with pytest.raises(CircuitOpenError):
        client.converse("acme", MESSAGES)
    clock.now += COOLDOWN / 2

    with pytest.raises(CircuitOpenError) as raised:
        client.converse("acme", MESSAGES)

    assert raised.value.retry_after_seconds == pytest.approx(COOLDOWN / 2)


def test_converse_after_cooldown_probe_succeeds_closes_breaker(bedrock: Any, stubber: Stubber) -> None:
    """After the cool-down one probe goes through; its success closes the breaker."""
    clock = FakeClock()
    client = _client(bedrock, clock)
    _throttle(stubber, THRESHOLD)
    with pytest.raises(CircuitOpenError):
        client.converse("acme", MESSAGES)
    clock.now += COOLDOWN
    assert client.breaker.state == "half_open"
    stubber.add_response("converse", _text_response())

    result = client.converse("acme", MESSAGES)

    assert result.output == TextAnswer("Tickets close after 7 days.")
    assert client.breaker.state == "closed"


def test_converse_after_cooldown_probe_fails_reopens_breaker(bedrock: Any, stubber: Stubber) -> None:
    """A failed probe re-opens the breaker at once, without further retries, for another cool-down."""
    clock = FakeClock()
    client = _client(bedrock, clock)
    _throttle(stubber, THRESHOLD)
    with pytest.raises(CircuitOpenError):
        client.converse("acme", MESSAGES)
    clock.now += COOLDOWN
    _throttle(stubber, 1)

    with pytest.raises(CircuitOpenError) as raised:
        client.converse("acme", MESSAGES)

    assert client.breaker.state == "open"
    assert raised.value.retry_after_seconds == pytest.approx(COOLDOWN)


def test_breaker_half_open_second_caller_fails_fast() -> None:
    """While the one probe is in flight, every other caller is refused."""
    clock = FakeClock()
    breaker = CircuitBreaker(
        MODEL, CircuitBreakerSettings(failure_threshold=1, cooldown_seconds=5.0), clock=clock
    )
    breaker.record_failure()
    clock.now += 5.0

    breaker.before_call()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


def test_breaker_failures_outside_window_do_not_open() -> None:
    """Failures older than window_seconds are forgotten, so scattered errors never open the breaker."""
    clock = FakeClock()
    breaker = CircuitBreaker(
        MODEL, CircuitBreakerSettings(failure_threshold=2, window_seconds=10.0), clock=clock
    )
    breaker.record_failure()
    clock.now += 11.0
    breaker.record_failure()

    assert breaker.state == "closed"


def test_breaker_on_open_is_called_once_per_opening() -> None:
    """Closed to open and half-open to open call the hook; failures while it stays open do not."""
    clock = FakeClock()
    opened: list[str] = []
    breaker = CircuitBreaker(
        MODEL,
        CircuitBreakerSettings(failure_threshold=2, cooldown_seconds=5.0),
        clock=clock,
        on_open=lambda opening: opened.append(opening.state),
    )
    breaker.record_failure()
    assert opened == []
    breaker.record_failure()  # closed -> open
    breaker.record_failure()  # a call that started before it opened: still open, no new opening
    assert opened == ["open"]
    clock.now += 5.0
    breaker.before_call()  # the probe
    breaker.record_failure()  # half-open -> open
    assert opened == ["open", "open"]
    clock.now += 5.0
    breaker.before_call()
    breaker.record_success()
    assert (breaker.state, len(opened)) == ("closed", 2)


def test_breaker_on_open_failing_hook_still_opens_the_breaker(caplog: pytest.LogCaptureFixture) -> None:
    """A hook that raises is logged; the breaker opens and the caller sees nothing of it."""

    def broken(_: CircuitBreaker) -> None:
        raise RuntimeError("metrics are down")

    breaker = CircuitBreaker(
        MODEL, CircuitBreakerSettings(failure_threshold=1), clock=FakeClock(), on_open=broken
    )
    breaker.record_failure()
    assert breaker.state == "open"
    assert f"model_id={MODEL}" in caplog.text


def test_converse_validation_error_raises_request_error_without_retry(bedrock: Any, stubber: Stubber) -> None:
    """A request Bedrock rejects is not retried and does not count towards the breaker."""
    clock = FakeClock()
    client = _client(bedrock, clock)
    stubber.add_client_error("converse", service_error_code="ValidationException",
                             service_message="toolConfig is invalid", http_status_code=400)  # fmt: skip

    with pytest.raises(ModelRequestError, match="error_code=ValidationException"):
        client.converse("acme", MESSAGES)

    assert clock.sleeps == []
    assert client.breaker.state == "closed"


def test_converse_budget_exhausted_raises_before_any_call(bedrock: Any, stubber: Stubber) -> None:
    """A tenant past its daily budget is refused before Bedrock is called, with the figures."""
    clock = FakeClock()
    store = InMemoryTokenUsageStore()
    store.record("acme", utc_day(clock()), TokenUsage(900, 100))
    client = _client(
        bedrock, clock, store=store, budget=TokenBudget(daily_tokens=5_000, per_tenant={"acme": 1_000})
    )

    with pytest.raises(BudgetExceededError) as raised:
        client.converse("acme", MESSAGES)

    assert (raised.value.tenant_id, raised.value.used_tokens, raised.value.limit_tokens) == (
        "acme",
        1_000,
        1_000,
    )
    assert "tenant=acme, used_tokens=1000, limit_tokens=1000" in str(raised.value)


def test_converse_success_records_usage_for_that_tenant_only(bedrock: Any, stubber: Stubber) -> None:
    """Each call's tokens are added to its own tenant's total for the UTC day, never another's."""
    clock = FakeClock()
    store = InMemoryTokenUsageStore()
    client = _client(bedrock, clock, store=store)
    stubber.add_response("converse", _tool_use_response(100, 20))
    stubber.add_response("converse", _tool_use_response(200, 40))

    client.converse("acme", MESSAGES)
    client.converse("acme", MESSAGES)

    day = utc_day(clock())
    assert store.usage("acme", day) == TokenUsage(300, 60)
    assert store.usage("globex", day) == TokenUsage()


def test_converse_budget_resolves_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no explicit limit, GOVERNED_DAILY_TOKEN_BUDGET sets it."""
    monkeypatch.setenv("GOVERNED_DAILY_TOKEN_BUDGET", "1234")

    assert TokenBudget.resolve().daily_tokens == 1234
