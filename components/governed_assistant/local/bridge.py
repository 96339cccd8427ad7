"""EventBridge targets moto cannot reach, delivered as AWS delivers them.

moto matches a bus's rules for real but cannot deliver to a Step Functions or Lambda target, so
locally each such rule targets a queue, and a ``QueueBridge`` drains the queue into what the
target does in AWS:

- ``JobStarter``: the "job accepted" rule's target is the state machine with input path
  ``$.detail`` (``governed_assistant.infra.job_trigger``): one ``StartExecution`` per event, its input the
  event's detail.
- ``FunctionTarget``: Pattern C's insight rule targets the insight function, which EventBridge
  invokes asynchronously with the whole event.

A delivery that fails is tried again when the message reappears (the queue's visibility
timeout), as EventBridge's target retry policy would; nothing else is added.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

# The execution layer's target input path: the execution input is the event's detail.
TARGET_INPUT_PATH: Final = "$.detail"


def input_path(event: Any, path: str) -> Any:
    """The part of ``event`` a simple JSONPath (``$``, ``$.a.b``) selects, as a target's InputPath does."""
    value = event
    for key in path.removeprefix("$").split(".")[1:]:
        value = value.get(key) if isinstance(value, dict) else None
    return value


@dataclass
class StartedJob:
    execution_arn: str
    input: dict[str, Any]


@dataclass
class QueueBridge:
    """Drains a rule's queue into ``deliver(event)`` on a thread of its own until ``stop()``."""

    sqs: Any
    queue_url: str
    deliver: Callable[[dict[str, Any]], None]
    name: str = "local-bridge"
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> QueueBridge:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll(wait_seconds=1)
            except Exception as error:  # the bridge must outlive one bad poll, as EventBridge does
                print(f"[local] {self.name}: {type(error).__name__}: {error}", file=sys.stderr)
                self._stop.wait(1)

    def poll(self, wait_seconds: int = 0) -> int:
        """Deliver every queued event; returns how many were delivered."""
        reply = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        )
        count = 0
        for message in reply.get("Messages", []):
            self.deliver(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            count += 1
        return count


def job_starter(
    sqs: Any, sfn: Any, queue_url: str, state_machine_arn: str
) -> tuple[QueueBridge, list[StartedJob]]:
    """The "start-job" target: a bridge, and the list of executions it started (newest last)."""
    started: list[StartedJob] = []

    def start_execution(event: dict[str, Any]) -> None:
        detail = input_path(event, TARGET_INPUT_PATH)
        # Step Functions names an EventBridge-started execution with a random id too.
        execution = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=str(uuid.uuid4()), input=json.dumps(detail)
        )
        started.append(StartedJob(execution["executionArn"], detail))

    return QueueBridge(sqs, queue_url, start_execution, name="local-job-starter"), started


def function_target(
    sqs: Any, queue_url: str, invoke: Callable[[bytes], tuple[int, dict[str, str], bytes]]
) -> QueueBridge:
    """A Lambda target: the whole event is the payload; a function error is reported, not retried."""

    def deliver(event: dict[str, Any]) -> None:
        _, headers, body = invoke(json.dumps(event).encode())
        if "X-Amz-Function-Error" in headers:
            print(f"[local] insight function failed: {body.decode(errors='replace')[:500]}", file=sys.stderr)

    return QueueBridge(sqs, queue_url, deliver, name="local-insight-target")
