"""Run a rendered project's local stack as the demo does, for the local benchmarks; not a bench itself.

Usage: python bench/_local_driver.py --project DIR

Run in a fresh process (``install_sample_actions`` replaces ``actions.*`` in ``sys.modules``):
the project directory goes first on ``sys.path`` (its ``actions``), then this checkout's
``components/`` (the governance package under test). It starts ``LocalStack`` with the sample executors, the
demo's model script and the demo's flags (acme and globex live, initech in shadow), then speaks
JSON lines: one ``ready`` line on stdout (the API's URL, how long the start took, the messages and
roles the benchmarks use), then one answer per request read from stdin:

    {"token": ["acme", "alice", ["agent"]]}   -> {"token": "<jwt>"}
    {"phases": true}                           -> {"phases": {part: [seconds...]}} (``--phase-timing``)
    {"stop": true} or end of input            -> stops the stack and exits

Everything else the stack prints (handlers' logs) goes to stderr, so stdout stays the protocol.

Experiments, off by default (they try a fix without editing the package):

- ``--cache-jsonpath``: memoize ``jsonpath_ng``'s ``parse`` (moto rebuilds a PLY parser for every
  path it evaluates: eight per ``PutEvents`` for the default input template, more per ASL state);
- ``--backlog N``: the listen backlog of the stack's stdlib HTTP servers (socketserver's default is 5);
- ``--switch-interval S``: the interpreter's thread switch interval (``sys.setswitchinterval``);
- ``--moto-process``: moto's server (and so its Step Functions interpreter) in a child process
  (``_moto_child.py``) instead of a thread of this one.

Measurement: ``--phase-timing`` times the parts of ``POST /messages`` in this process
(``_phase_timing``); ``{"phases": true}`` hands over the samples so far and starts afresh.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
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


def _experiments(args: argparse.Namespace) -> None:
    """Apply the experiment switches before anything imports moto or binds a server."""
    if args.cache_jsonpath:
        import functools

        import jsonpath_ng
        import jsonpath_ng.ext

        # Parsed expressions are immutable trees, so one per text can be shared by every thread.
        jsonpath_ng.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.parse)
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    if args.backlog is not None:
        import socketserver

        socketserver.TCPServer.request_queue_size = args.backlog
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)


class _ChildMoto:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port, self.url = process, port, f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def _moto_in_child(project: Path, cache_jsonpath: bool) -> Any:
    """A ``start_moto_server`` stand-in that serves moto from ``_moto_child.py``."""

    def start(listen: Any, lambda_url: str) -> _ChildMoto:
        command = [sys.executable, str(Path(__file__).resolve().parent / "_moto_child.py"),
                   "--project", str(project), "--lambda-url", lambda_url]  # fmt: skip
        if cache_jsonpath:
            command.append("--cache-jsonpath")
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None  # noqa: S101 - asked for just above
        return _ChildMoto(process, int(process.stdout.readline()))

    return start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--cache-jsonpath", action="store_true")
    parser.add_argument("--backlog", type=int)
    parser.add_argument("--switch-interval", type=float)
    parser.add_argument("--phase-timing", action="store_true")
    parser.add_argument("--moto-process", action="store_true")
    args = parser.parse_args()
    project = args.project.resolve()
    started = time.perf_counter()
    # The project's own `actions`, and this checkout's governance package (what the benchmark
    # measures; the project would pin the same commit).
    sys.path[0:1] = [str(project), str(Path(__file__).resolve().parent.parent / "components")]
    out = _protocol_stream()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    _experiments(args)

    from governed_assistant.local.demo import demo_model_script
    from governed_assistant.local.samples import SampleLedger, install_sample_actions
    from governed_assistant.local.scenarios import (
        LIVE_TENANTS,
        SHADOW_TENANT,
        ScenarioSkippedError,
        acting_roles,
        approval_action,
        low_risk_action,
        words,
    )
    from governed_assistant.local.stack import LocalStack
    from governed_assistant.spec import load_spec
    from governed_assistant.spec.model import MAX_REQUESTS_PER_MINUTE

    imported = time.perf_counter()
    phases = None
    if args.phase_timing:
        # After the project, so nothing here shadows the project's modules.
        sys.path.append(str(Path(__file__).resolve().parent))
        import _phase_timing as phases

        phases.install()
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
    if args.moto_process:
        import governed_assistant.local.stack

        governed_assistant.local.stack.start_moto_server = _moto_in_child(project, args.cache_jsonpath)  # type: ignore[assignment]
    with LocalStack.start(project, port=0, model_script=script) as stack:
        # The load is many clients of two tenants: it measures the stack, not their rate limit.
        stack.set_flags(
            live_tenants=LIVE_TENANTS,
            shadow_tenants=(SHADOW_TENANT,),
            rate_limits=dict.fromkeys((*LIVE_TENANTS, SHADOW_TENANT), MAX_REQUESTS_PER_MINUTE),
        )
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
            elif "phases" in request:
                print(json.dumps({"phases": phases.take() if phases else {}}), file=out)
            else:
                print(json.dumps({"error": f"unknown request {sorted(request)}"}), file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
