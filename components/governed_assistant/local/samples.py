"""Sample records and executors, so a freshly generated assistant runs end to end offline.

A new project's ``actions/`` are stubs: every ``owner_of`` answers "unknown" (so the gate
denies) and every ``execute`` is not implemented. The local stack's demo and end-to-end
tests install these samples in their place (``install_sample_actions``) - only in the local
stack's own process, never in a deployed function, and never over a module you wrote.

The samples follow one naming rule for resource ids, ``<tenant>-<resource type>-<kind>``:

- kind ``1`` (or anything else) executes at once;
- kind ``flaky`` fails its first ``FLAKY_FAILURES`` attempts, then succeeds (the Retry path);
- kind ``broken`` always fails (retries exhausted, then compensation).

Each execution and compensation is appended to a ledger (JSON lines, ``GOVERNED_SAMPLE_LEDGER``)
so a scenario can check that a failed job left nothing half-done.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import types
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from governed_assistant.contracts import ActionRequest, ActionResult
from governed_assistant.errors import GovernanceError
from governed_assistant.spec.model import Action, AssistantSpec
from governed_assistant.wire import ENV_SAMPLE_LEDGER

FLAKY_FAILURES: Final = 2
ACTIONS_PACKAGE: Final = "actions"


class SampleExecutorError(GovernanceError):
    """When a sample executor fails on purpose (a ``flaky`` or ``broken`` resource)."""


def sample_resource_id(tenant_id: str, resource_type: str, kind: str = "1") -> str:
    """The id of a sample resource that ``tenant_id`` owns, e.g. ``acme-invoice-1``."""
    return f"{tenant_id}-{resource_type}-{kind}"


def sample_owner(resource_id: str, resource_type: str) -> str | None:
    """The tenant a sample id names, or None when the id is not a sample of this type."""
    tenant, separator, rest = resource_id.partition(f"-{resource_type}-")
    if not separator or not tenant or not rest:
        return None
    return tenant


def sample_parameters(schema: Mapping[str, Any]) -> Any:
    """A value that satisfies ``schema`` (the strict subset an action's parameters use).

    The first enum value, the shortest string, a number inside its bounds, the fewest items;
    a nullable optional property is left ``None``.
    """
    types_ = schema.get("type", "object")
    kinds = types_ if isinstance(types_, list) else [types_]
    if "enum" in schema:
        return schema["enum"][0]
    kind = next((k for k in kinds if k != "null"), "null")
    if kind == "object":
        required = set(schema.get("required", []))
        return {
            name: sample_parameters(child) if name in required or not _nullable(child) else None
            for name, child in schema.get("properties", {}).items()
        }
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [sample_parameters(schema["items"]) for _ in range(count)]
    if kind == "string":
        return _sample_string(schema)
    if kind in ("number", "integer"):
        return _sample_number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    return None


def _nullable(schema: Mapping[str, Any]) -> bool:
    types_ = schema.get("type")
    return isinstance(types_, list) and "null" in types_


def _sample_string(schema: Mapping[str, Any]) -> str:
    formats = {
        "date-time": "2026-01-01T00:00:00Z",
        "date": "2026-01-01",
        "time": "00:00:00",
        "email": "someone@example.com",
        "uri": "https://example.com/",
        "uuid": "00000000-0000-4000-8000-000000000000",
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if "pattern" in schema:
        return _string_matching(schema["pattern"], low, high)
    length = max(low, 12)
    length = min(length, int(high if high is not None else length))
    return ("sample text " * (length // 12 + 1))[:length]


def _string_matching(pattern: str, low: int, high: int | None) -> str:
    # No small library turns a regex into a matching string; hypothesis does, and ``find``
    # shrinks to the simplest match, so the sample is the same on every run. It is a
    # development dependency, which is all the local stack runs with.
    from hypothesis import find, strategies

    def fits(text: str) -> bool:
        return len(text) >= low and (high is None or len(text) <= high)

    return find(strategies.from_regex(pattern, fullmatch=True), fits)


def _sample_number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1.0
    if low is not None:
        value = float(low) + 1
    if high is not None and value > float(high):
        value = (float(low) + float(high)) / 2 if low is not None else float(high) - 1
    return int(value) if integer else value


class SampleLedger:
    """What the sample executors did, appended as JSON lines (or kept in memory)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []

    @classmethod
    def from_env(cls) -> SampleLedger:
        path = os.environ.get(ENV_SAMPLE_LEDGER)
        return cls(Path(path) if path else None)

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.entries.append(entry)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as ledger:
                    ledger.write(json.dumps(entry, sort_keys=True) + "\n")

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


class SampleAction:
    """One action's sample ``owner_of``, ``execute``, steps and ``compensate``."""

    def __init__(self, action: Action, ledger: SampleLedger) -> None:
        self._action = action
        self._ledger = ledger
        self._attempts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def owner_of(self, resource_id: str) -> str | None:
        return sample_owner(resource_id, self._action.resource_type)

    def run(self, request: ActionRequest, step: str = "execute") -> ActionResult:
        kind = request.resource_id.rsplit("-", 1)[-1]
        with self._lock:
            self._attempts[(request.job_id, step)] += 1
            attempt = self._attempts[(request.job_id, step)]
        entry = {"jobId": request.job_id, "action": self._action.name, "step": step, "attempt": attempt}
        if kind == "broken" or (kind == "flaky" and attempt <= FLAKY_FAILURES):
            self._ledger.append({**entry, "outcome": "failed"})
            raise SampleExecutorError(
                f"sample {self._action.resource_type} is unavailable, resource={request.resource_id} "
                f"step={step} attempt={attempt}"
            )
        self._ledger.append({**entry, "outcome": "done"})
        return ActionResult.ok(
            f"{self._action.name} {step} done on {request.resource_id} (sample executor)",
            step=step,
            attempt=attempt,
        )

    def compensate(self, request: ActionRequest, result: ActionResult | None = None) -> ActionResult:
        self._ledger.append({"jobId": request.job_id, "action": self._action.name, "step": "compensate"})
        return ActionResult.ok(f"{self._action.name} undone on {request.resource_id} (sample executor)")

    def module(self) -> types.ModuleType:
        """A module shaped like a scaffolded ``actions/<name>.py``."""
        module = types.ModuleType(f"{ACTIONS_PACKAGE}.{self._action.name}", f"Sample {self._action.name}.")
        module.owner_of = self.owner_of  # type: ignore[attr-defined]
        module.execute = self.run  # type: ignore[attr-defined]
        for step in self._action.steps:
            setattr(module, step, _step_function(self, step))
        if self._action.reversible:
            module.compensate = self.compensate  # type: ignore[attr-defined]
        return module


def _step_function(sample: SampleAction, step: str) -> Callable[[ActionRequest], ActionResult]:
    def run_step(request: ActionRequest) -> ActionResult:
        return sample.run(request, step)

    return run_step


def install_sample_actions(
    spec: AssistantSpec, ledger: SampleLedger | None = None
) -> dict[str, SampleAction]:
    """Put a sample module in ``sys.modules`` for every action of ``spec``; return them by name.

    Only for the local stack's process: the handlers import ``actions.<name>`` and find the
    sample. Raises ``GovernanceError`` if a real module of that name was already imported,
    because replacing code someone wrote would make the demo lie about it.
    """
    ledger = ledger or SampleLedger.from_env()
    try:
        package = importlib.import_module(ACTIONS_PACKAGE)
    except ModuleNotFoundError:
        package = types.ModuleType(ACTIONS_PACKAGE, "Sample actions (local stack).")
        package.__path__ = []
        sys.modules[ACTIONS_PACKAGE] = package
    samples: dict[str, SampleAction] = {}
    for action in spec.actions:
        name = f"{ACTIONS_PACKAGE}.{action.name}"
        existing = sys.modules.get(name)
        if existing is not None and not getattr(existing, "__sample__", False):
            raise GovernanceError(
                f"actions.{action.name} is already imported, module={name}; start the local stack "
                "with sample actions in a fresh process, or without them to run your own"
            )
        sample = SampleAction(action, ledger)
        module = sample.module()
        module.__sample__ = True  # type: ignore[attr-defined]
        sys.modules[name] = module
        setattr(package, action.name, module)
        samples[action.name] = sample
    return samples
