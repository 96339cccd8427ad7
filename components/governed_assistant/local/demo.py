"""``python -m governed_assistant.local demo``: start the local stack, run the scenarios, print each trace.

It exits non-zero when any scenario deviates (a skipped one, which the spec has nothing for, is
not a deviation), and can write a JSON report for the end-to-end tests. It installs the sample
executors (``governed_assistant.local.samples``) in its own process, so it must run in a fresh one.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import yaml

from governed_assistant.local.constants import STATE_DIR
from governed_assistant.local.samples import SampleLedger, install_sample_actions, sample_parameters
from governed_assistant.local.scenarios import (
    LIVE_TENANTS,
    SCENARIOS,
    SHADOW_TENANT,
    Demo,
    Outcome,
    ScenarioFailedError,
    ScenarioSkippedError,
)
from governed_assistant.local.stack import LocalStack
from governed_assistant.spec import load_spec
from governed_assistant.spec.model import MAX_REQUESTS_PER_MINUTE

DEMO_SCRIPT = "demo-model-script.yaml"
# The demo's own model rules, tried before the spec's defaults: a model talked into acting on
# another tenant's resource, and one that names another tenant outright.
_CROSS_TENANT_RULES = [
    ("for tenant", "{other}-{resource_type}-1", "{tenant}"),
    ("as tenant", "{tenant}-{resource_type}-1", "{other}"),
]


def demo_model_script(project_dir: Path, state_dir: Path) -> Path:
    """The project's model script with the demo's cross-tenant rules first, written to ``state_dir``."""
    spec = load_spec(project_dir / "assistant.yaml")

    rules = []
    for action in spec.actions:
        name = r"\b.*\b".join(action.name.split("_"))
        for phrase, resource, tenant in _CROSS_TENANT_RULES:
            rules.append(
                {
                    "when": rf"(?i)\b{name}\b.*\b{phrase} (?P<other>[a-z0-9-]+)",
                    "tool_use": {
                        "name": action.name,
                        "input": {
                            "resourceId": resource.replace("{resource_type}", action.resource_type),
                            "tenantId": tenant,
                            "parameters": sample_parameters(action.parameters),
                        },
                    },
                }
            )
    # A framed insight is explained, not acted on (an anomaly alone cannot act).
    rules.append(
        {"when": r"^An automated insight", "answer": "Monitoring noticed an anomaly; here is what it means."}
    )
    user_script = project_dir / "local" / "model-script.yaml"
    document = yaml.safe_load(user_script.read_text()) if user_script.exists() else {}
    document = document or {}
    document["rules"] = rules + list(document.get("rules") or [])
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / DEMO_SCRIPT
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def run_demo(
    project_dir: Path,
    *,
    port: int | None = 0,
    only: Sequence[int] = (),
    report: Path | None = None,
    state_dir: Path | None = None,
    out: TextIO,
) -> int:
    """Run the scenarios (all, or the numbers in ``only``); 0 when none deviated.

    ``state_dir`` holds the run's events, flags and keys (default the project's ``.local``, so
    ``make trace`` shows the demo's jobs); tests pass their own, keeping ``make trace`` the owner's.
    """
    project_dir = project_dir.resolve()
    # The traces below say what happened; the handlers' logs (each retried failure with its
    # traceback) and moto's own would bury them. `make dev` keeps them.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    state_dir = (state_dir or project_dir / STATE_DIR).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    ledger_path = state_dir / "sample-ledger.jsonl"
    ledger_path.unlink(missing_ok=True)
    ledger = SampleLedger(ledger_path)
    spec = load_spec(project_dir / "assistant.yaml")
    install_sample_actions(spec, ledger)
    script = demo_model_script(project_dir, state_dir)
    outcomes: list[Outcome] = []
    with LocalStack.start(project_dir, port=port, model_script=script, state_dir=state_dir) as stack:
        # The scenarios poll their jobs several times a second from the same few tenants, far more
        # than a person would: their tenants get the highest rate limit, everyone else the spec's.
        tenants = (*LIVE_TENANTS, SHADOW_TENANT)
        stack.set_flags(
            live_tenants=LIVE_TENANTS,
            shadow_tenants=(SHADOW_TENANT,),
            rate_limits=dict.fromkeys(tenants, MAX_REQUESTS_PER_MINUTE),
        )
        print(f"Local stack at {stack.api_url} ({spec.name}, pattern {spec.pattern})\n", file=out)
        for number, (title, scenario) in enumerate(SCENARIOS, start=1):
            if only and number not in only:
                continue
            outcome = Outcome(number, title)
            demo = Demo(stack, ledger, outcome)
            started = time.monotonic()
            try:
                scenario(demo)
            except ScenarioSkippedError as reason:
                outcome.status, outcome.detail = "skipped", str(reason)
            except (ScenarioFailedError, TimeoutError, AssertionError) as deviation:
                outcome.status, outcome.detail = "failed", str(deviation)
            outcome.traces = [stack.trace(job_id) for job_id in outcome.jobs]
            outcomes.append(outcome)
            _print(outcome, time.monotonic() - started, out)
    failed = [o for o in outcomes if o.status == "failed"]
    passed = sum(o.status == "passed" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    print(f"{passed} passed, {len(failed)} failed, {skipped} skipped", file=out)
    if report is not None:
        report.write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 1 if failed else 0


def _print(outcome: Outcome, seconds: float, out: TextIO) -> None:
    mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[outcome.status]
    print(f"[{mark}] {outcome.number}. {outcome.title}  ({seconds:.1f} s)", file=out)
    if outcome.detail:
        print(f"       {outcome.detail}", file=out)
    for trace in outcome.traces:
        print("\n".join(f"       {line}" for line in trace.splitlines()), file=out)
    print(file=out)
