"""Time from ``copier copy --defaults`` to the demo's first completed job; prints each phase.

Usage: .venv/bin/python bench/copy_to_first_job.py [--runs 3] [--preset NAME]

"After installation": the template's ``.venv`` is already installed and runs the generated
project (no dependency install is timed). Each run, in a fresh temporary directory:

1. copy: ``copier copy --trust --defaults --vcs-ref HEAD`` in a subprocess, as a user runs it;
2. stack start: a fresh Python process (``_local_driver.py``) imports the governance package
   and the project's actions, installs the demo's sample executors and starts ``LocalStack``
   until its API answers, as
   ``python -m governed_assistant.local demo`` does before its first scenario;
3. first job: a token, ``POST /messages`` with the low-risk action, then ``GET /jobs/{id}``
   every 20 ms until ``complete`` (the handlers import on this first call, as they do in the demo).

Target: total under 60 s. Prints every run, then the median, min and max of each phase.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local_common import Api, Driver, load_average, render

TARGET_SECONDS = 60.0
PHASES = ("copy", "stack start", "  of which imports", "  of which LocalStack.start", "first job", "total")


def one_run(preset: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as workspace:
        project = Path(workspace, "project")
        copy = render(project, preset)
        with Driver(project) as driver:
            start = driver.ready_after
            plan = driver.ready
            started = time.perf_counter()
            api = Api(driver.api_url, driver.token("acme", "alice", plan["low_risk"]["roles"]))
            status, body = api.send(plan["low_risk"]["message"])
            if status != 202:
                raise RuntimeError(f"POST /messages answered {status} {body}")
            job = api.wait(body["jobId"])
            first_job = time.perf_counter() - started
            if job["status"] != "complete":
                raise RuntimeError(f"the first job ended {job['status']}: {job.get('error')}")
        return {
            "copy": copy,
            "stack start": start,
            "  of which imports": plan["import_seconds"],
            "  of which LocalStack.start": plan["start_seconds"],
            "first job": first_job,
            "total": copy + start + first_job,
        }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", help="the preset to render (default: the template's default)")
    args = parser.parse_args()
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} (1/5/15 min) at start")
    runs = []
    for number in range(1, args.runs + 1):
        run = one_run(args.preset)
        runs.append(run)
        print(f"run {number}: " + ", ".join(f"{name.strip()} {run[name]:.1f} s" for name in PHASES))
    print(f"\n{'phase (seconds)':<30} {'median':>7} {'min':>7} {'max':>7}")
    for name in PHASES:
        values = [run[name] for run in runs]
        print(f"{name:<30} {statistics.median(values):7.1f} {min(values):7.1f} {max(values):7.1f}")
    total = statistics.median(run["total"] for run in runs)
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"\nmedian total {total:.1f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")
    print(f"load average at end {load_average()}")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
