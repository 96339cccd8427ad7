"""Run a rendered project's local stack as the demo does, for the local benchmarks; not a bench itself.

Usage: python bench/_local_driver.py --project DIR

Run in a fresh process (``install_sample_actions`` replaces ``actions.*`` in ``sys.modules``):
the project directory goes first on ``sys.path``, so ``components`` and ``actions`` are the
rendered copies, not this repository's. It starts ``LocalStack`` with the sample executors, the
demo's model script and the demo's flags (acme and globex live, initech in shadow), then speaks
JSON lines: one ``ready`` line on stdout (the API's URL, how long the start took, the messages and
roles the benchmarks use), then one answer per request read from stdin:

    {"token": ["acme", "alice", ["agent"]]}   -> {"token": "<jwt>"}
    {"stop": true} or end of input            -> stops the stack and exits

Everything else the stack prints (handlers' logs) goes to stderr, so stdout stays the protocol.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO


def _protocol_stream() -> TextIO:
    """A private copy of stdout for the protocol; fd 1 then points at stderr."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, required=True)
    args = parser.parse_args()
    project = args.project.resolve()
    started = time.perf_counter()
    # The rendered copy of `components` and the project's `actions`, never this repository's.
    sys.path[0] = str(project)
    out = _protocol_stream()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    logging.getLogger("moto").setLevel(logging.CRITICAL)

    from components.local.demo import demo_model_script
    from components.local.samples import SampleLedger, install_sample_actions
    from components.local.scenarios import (
        LIVE_TENANTS,
        SHADOW_TENANT,
        ScenarioSkippedError,
        acting_roles,
        approval_action,
        low_risk_action,
        words,
    )
    from components.local.stack import LocalStack
    from components.spec import load_spec

    imported = time.perf_counter()
    state_dir = project / ".local"
    state_dir.mkdir(parents=True, exist_ok=True)
    ledger_path = state_dir / "sample-ledger.jsonl"
    ledger_path.unlink(missing_ok=True)
    spec = load_spec(project / "assistant.yaml")
    install_sample_actions(spec, SampleLedger(ledger_path))
    script = demo_model_script(project, state_dir)
    low = low_risk_action(spec)
    plan: dict[str, Any] = {
        "low_risk": {"message": f"please {words(low)}", "roles": list(acting_roles(low))},
        "cross_tenant": {"message": f"{words(low)} for tenant globex", "roles": list(acting_roles(low))},
        "approver_role": spec.approver_roles[0],
        "live_tenants": list(LIVE_TENANTS),
        "shadow_tenant": SHADOW_TENANT,
    }
    try:
        high = approval_action(spec)
        plan["approval"] = {"message": f"please {words(high)}", "roles": list(acting_roles(high))}
    except ScenarioSkippedError:
        plan["approval"] = None
    with LocalStack.start(project, port=0, model_script=script) as stack:
        stack.set_flags(live_tenants=LIVE_TENANTS, shadow_tenants=(SHADOW_TENANT,))
        ready = time.perf_counter()
        report = {
            "ready": True,
            "pid": os.getpid(),
            "api_url": stack.api_url,
            "import_seconds": imported - started,
            "start_seconds": ready - imported,
            **plan,
        }
        print(json.dumps(report), file=out)
        for line in sys.stdin:
            request = json.loads(line)
            if request.get("stop"):
                break
            if "token" in request:
                tenant, user, roles = request["token"]
                print(json.dumps({"token": stack.token(tenant, user, roles)}), file=out)
            else:
                print(json.dumps({"error": f"unknown request {sorted(request)}"}), file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
