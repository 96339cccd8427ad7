"""capture_events() sees every recorded DecisionEvent, whatever sink the code under test uses."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.telemetry import DecisionRecorder, LogSink, MemorySink, SqliteEventStore
from governed_assistant.testing.events import capture_events

ALICE = TenantContext(tenant_id="acme", user_id="alice", request_id="req-1")


def test_capture_events_any_sink_yields_events_recorded_inside(tmp_path: Path) -> None:
    """Events from recorders on different sinks all land in the captured list, in order."""
    recorders = [
        DecisionRecorder(LogSink(io.StringIO())),
        DecisionRecorder(SqliteEventStore(tmp_path / "events.sqlite3")),
        DecisionRecorder(MemorySink()),
    ]
    with capture_events() as events:
        for recorder, stage in zip(recorders, ("guardrail_input", "gate", "complete"), strict=True):
            recorder.record("job-1", ALICE, stage, "ok")  # type: ignore[arg-type]
    assert [event.stage for event in events] == ["guardrail_input", "gate", "complete"]


def test_capture_events_outside_block_captures_nothing() -> None:
    """Events before or after the block are not captured, and the sink still receives them all."""
    sink = MemorySink()
    recorder = DecisionRecorder(sink)
    recorder.record("job-1", ALICE, "gate", "allow")
    with capture_events() as events:
        recorder.record("job-1", ALICE, "execute", "ok")
    recorder.record("job-1", ALICE, "complete", "complete")
    assert [event.stage for event in events] == ["execute"]
    assert len(sink.events) == 3


def test_capture_events_nested_blocks_each_receive_events() -> None:
    """Nested captures each see the events recorded while they are open."""
    recorder = DecisionRecorder(MemorySink())
    with capture_events() as outer:
        recorder.record("job-1", ALICE, "gate", "allow")
        with capture_events() as inner:
            recorder.record("job-1", ALICE, "execute", "ok")
    assert ([event.stage for event in outer], [event.stage for event in inner]) == (
        ["gate", "execute"],
        ["execute"],
    )


def test_capture_events_other_thread_events_are_captured() -> None:
    """A recorder in another thread (a local stack task) is seen too."""
    recorder = DecisionRecorder(MemorySink())
    with capture_events() as events:
        worker = threading.Thread(target=recorder.record, args=("job-1", ALICE, "execute", "ok"))
        worker.start()
        worker.join()
    assert [event.stage for event in events] == ["execute"]


def test_capture_events_exception_in_block_still_unhooks() -> None:
    """An exception inside the block removes the hook all the same."""
    recorder = DecisionRecorder(MemorySink())
    try:
        with capture_events() as events:
            raise RuntimeError("handler failed")
    except RuntimeError:
        pass
    recorder.record("job-1", ALICE, "gate", "allow")
    assert events == []
