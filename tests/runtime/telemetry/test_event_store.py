"""The local stores give a job's events back in order, and the timeline prints its decision chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from governed_assistant.contracts import DecisionEvent, TenantContext
from governed_assistant.runtime.telemetry import (
    DecisionEventSource,
    DecisionRecorder,
    MemorySink,
    SqliteEventStore,
    format_timeline,
)

from tests.runtime.telemetry.telemetry_harness import SteppingClock, make_event

CHAIN = [
    make_event(stage="guardrail_input", seconds=0.0, outcome="pass", latency_ms=12.0),
    make_event(
        stage="reason", seconds=0.015, outcome="proposal", latency_ms=820.0,
        model_id="amazon.nova-lite-v1:0", input_tokens=120, output_tokens=45,
    ),
    make_event(
        stage="gate", seconds=0.9, outcome="deny", latency_ms=3.0,
        details={"security_event": True, "reasons": ["tenant_mismatch"]},
    ),
]  # fmt: skip


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("memory", id="memory")])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteEventStore | MemorySink:
    if request.param == "sqlite":
        return SqliteEventStore(tmp_path / "nested" / "events.sqlite3")
    return MemorySink()


def test_store_events_out_of_order_come_back_in_time_order(store: SqliteEventStore | MemorySink) -> None:
    """Events emitted in any order are listed in the order they happened, only the job's own."""
    for event in [CHAIN[2], make_event("job-2"), CHAIN[0], CHAIN[1]]:
        store.emit(event)
    store.flush()
    assert isinstance(store, DecisionEventSource)
    assert store.events_for_job("job-1") == CHAIN


def test_store_tenant_filter_hides_other_tenants_events(store: SqliteEventStore | MemorySink) -> None:
    """With a tenant given, another tenant's events under the same job id are not listed."""
    store.emit(CHAIN[0])
    store.emit(make_event(tenant_id="globex", stage="gate", seconds=1.0))
    assert store.events_for_job("job-1", tenant_id="acme") == [CHAIN[0]]
    assert [event.tenant_id for event in store.events_for_job("job-1", tenant_id="globex")] == ["globex"]


def test_sqlite_store_reopened_file_keeps_events_once(tmp_path: Path) -> None:
    """The file outlives the store object, and emitting the same event twice stores it once."""
    path = tmp_path / "events.sqlite3"
    first = SqliteEventStore(path)
    for event in [*CHAIN, CHAIN[0]]:
        first.emit(event)
    assert SqliteEventStore(path).events_for_job("job-1") == CHAIN


def test_sqlite_store_recent_job_ids_lists_newest_first(tmp_path: Path) -> None:
    """The trace command can offer the latest jobs, newest first, per tenant."""
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    for job_id, tenant_id in [("job-a", "acme"), ("job-b", "globex"), ("job-c", "acme")]:
        store.emit(make_event(job_id, tenant_id=tenant_id))
    assert store.recent_job_ids() == ["job-c", "job-b", "job-a"]
    assert store.recent_job_ids(tenant_id="acme", limit=1) == ["job-c"]


def test_sqlite_store_recorder_round_trip_prints_timeline(tmp_path: Path, context: TenantContext) -> None:
    """Events recorded to the SQLite store come back as the same events and print as a timeline."""
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    recorder = DecisionRecorder(store, clock=SteppingClock(step_ms=15))
    recorded = [
        recorder.record("job-9", context, "guardrail_input", "pass", latency_ms=12.0),
        recorder.record("job-9", context, "reason", "answer", latency_ms=800.0, input_tokens=10),
        recorder.record("job-9", context, "complete", "complete", latency_ms=1.0),
    ]
    events = store.events_for_job("job-9")
    assert events == recorded
    assert [line.split()[2] for line in format_timeline(events).splitlines()[1:]] == [
        "guardrail_input", "reason", "complete",
    ]  # fmt: skip


def test_format_timeline_chain_shows_stage_outcome_reasons_latency_and_tokens() -> None:
    """Each stage is one line with its offset, outcome, latency, model, tokens, reasons and flags."""
    assert format_timeline(CHAIN).splitlines() == [
        "Job job-1  tenant=acme  user=alice  events=3  latency=835.0 ms  tokens=120 in / 45 out",
        "  +0 ms      guardrail_input    pass           12.0 ms",
        "  +15 ms     reason             proposal      820.0 ms  model=amazon.nova-lite-v1:0  tokens=120/45",
        "  +900 ms    gate               deny            3.0 ms  reasons: tenant_mismatch  [security]",
    ]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], "No decision events for job job-404.", id="empty"),
        pytest.param(
            [make_event(stage="execute", outcome="error", details={"error": "Timeout", "reason": "slow"})],
            "reasons: slow  error=Timeout",
            id="error-with-reason",
        ),
        pytest.param(
            [make_event(stage="reason", input_tokens=7)],
            "tokens=7/-",
            id="partial-tokens",
        ),
        pytest.param(
            [make_event(stage="execute", details={"action": "report", "step": "render"})],
            "ms  report.render",
            id="workflow-step",
        ),
        pytest.param(
            [make_event(stage="execute", details={"action": "refund", "step": None})],
            "ms  refund",
            id="single-step-action",
        ),
    ],
)
def test_format_timeline_edge_cases_are_readable(events: list[DecisionEvent], expected: str) -> None:
    """An empty chain says so; errors, single reasons and missing token counts are shown plainly."""
    assert expected in format_timeline(events, job_id="job-404")
