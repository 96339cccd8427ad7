"""Load the local stack's API and time its answers and its jobs; prints the figures.

Usage: .venv/bin/python bench/local_load.py [--clients 20] [--requests 10] [--samples 10]
                                             [--think SECONDS] [--project DIR] [--preset NAME]
                                             [--log FILE]
                                             [--phases] [--profile FILE --py-spy PATH]
                                             [--driver='--cache-jsonpath --backlog 128 ...']

A fresh project is rendered (``copier copy --defaults``) unless ``--project`` names one; its local
stack runs in a child process (``_local_driver.py``) with the demo's sample executors, model
script and flags, and every figure is measured over real HTTP from this process.

0. Idle baseline: one client alone, ``POST /messages`` and ``GET /health`` one at a time.
1. Load: ``--clients`` threads, each with its own token (tenants acme and globex in turn),
   post ``--requests`` messages each, back to back (or ``--think`` seconds apart), alternating
   one the scripted model answers with the low-risk action and a plain "hello". Meanwhile one
   more thread probes ``GET /health`` every 10 ms. Printed: p50/p99 of the time to the 202,
   p50/p99 of ``/health`` in the same window, and their ratio (target: 202 p99 <= 3 x health
   p99). Then how long those jobs took from creation to their terminal status (the job's own
   timestamps, so no polling adds load).
2. Scenarios, on the idle stack, ``--samples`` rounds: allowed action, approval (the approver
   approves as soon as it is pending), cross-tenant denial, shadow tenant, plain answer; each
   timed from the POST to the terminal status seen by polling ``GET /jobs/{id}`` every 20 ms.

To find out why: ``--phases`` times each part of ``POST /messages`` inside the stack
(``_phase_timing``), idle and under load; ``--profile FILE`` records py-spy (``--gil``) on the
stack's process during the load, summarised by ``_profile_summary.py FILE``; ``--driver=...``
passes experiment switches to the stack's process (``_local_driver.py``: a jsonpath parse cache,
the listen backlog, moto in a process of its own), so a fix can be measured before it is made.
Note the ``=`` in ``--driver=--moto-process``: the value starts with a dash.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _local_common import TERMINAL, Api, Driver, load_average, percentile, render

TARGET_RATIO = 3.0
HEALTH_INTERVAL_SECONDS = 0.01
POLL_SECONDS = 0.02
# One POST: the kind of message, seconds to the answer, its status, the job id, the client's index.
Post = tuple[str, float, int, str | None, int]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def _row(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<34} {'-':>8}"
    return (
        f"  {label:<34} {len(values):>5} {_ms(percentile(values, 50))} {_ms(percentile(values, 99))}"
        f" {_ms(min(values))} {_ms(max(values))}"
    )


HEADER = f"  {'':<34} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'min ms':>8} {'max ms':>8}"


def _warm_up(driver: Driver, plan: dict[str, Any]) -> None:
    """One job of each kind first: the handlers import lazily on their first call."""
    api = Api(driver.api_url, driver.token("acme", "warmup", plan["low_risk"]["roles"]))
    for message in (plan["low_risk"]["message"], "hello"):
        status, body = api.send(message)
        if status != 202:
            raise RuntimeError(f"warm-up POST /messages answered {status} {body}")
        api.wait(body["jobId"])


def run_load(driver: Driver, clients: int, requests: int, think: float = 0.0) -> dict[str, Any]:
    plan = driver.ready
    tenants = plan["live_tenants"]
    apis = [
        Api(
            driver.api_url, driver.token(tenants[i % len(tenants)], f"load{i:02d}", plan["low_risk"]["roles"])
        )
        for i in range(clients)
    ]
    posts: list[Post] = []
    health: list[float] = []
    health_failures: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    done = threading.Event()

    def client(index: int) -> None:
        api = apis[index]
        barrier.wait()
        for n in range(requests):
            kind = "action" if (index + n) % 2 == 0 else "answer"
            message = plan["low_risk"]["message"] if kind == "action" else "hello"
            started = time.perf_counter()
            try:
                status, body = api.send(message)
            except OSError:
                # A refused or reset connection (the listen backlog overflowed) counts as status 0.
                status, body = 0, None
            elapsed = time.perf_counter() - started
            job_id = body.get("jobId") if isinstance(body, dict) else None
            with lock:
                posts.append((kind, elapsed, status, job_id, index))
            if think:
                time.sleep(think)

    def prober() -> None:
        api = Api(driver.api_url)
        barrier.wait()
        while not done.is_set():
            started = time.perf_counter()
            try:
                status, _ = api.call("GET", "/health")
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            if status == 200:
                health.append(elapsed)
            else:
                health_failures.append(status)
            done.wait(HEALTH_INTERVAL_SECONDS)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    probe = threading.Thread(target=prober)
    for thread in [*threads, probe]:
        thread.start()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    window = time.perf_counter() - started
    done.set()
    probe.join()
    return {
        "posts": posts,
        "health": health,
        "health_failures": health_failures,
        "window": window,
        "apis": apis,
    }


def drain(apis: list[Api], posts: list[Post]) -> tuple[dict[str, list[float]], dict[str, int], int]:
    """Each load job's creation-to-terminal time by kind (its own timestamps), read by its own client."""
    pending = [(kind, index, job_id) for kind, _, status, job_id, index in posts if status == 202 and job_id]
    durations: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    deadline = time.monotonic() + 600
    while pending and time.monotonic() < deadline:
        still = []
        for kind, index, job_id in pending:
            job = apis[index].job(job_id)
            if job["status"] not in TERMINAL:
                still.append((kind, index, job_id))
                continue
            created = datetime.fromisoformat(job["createdAt"])
            updated = datetime.fromisoformat(job["updatedAt"])
            durations.setdefault(kind, []).append((updated - created).total_seconds())
            key = f"{kind}:{job['status']}"
            statuses[key] = statuses.get(key, 0) + 1
        pending = still
        if pending:
            time.sleep(0.5)
    return durations, statuses, len(pending)


def run_scenarios(driver: Driver, samples: int) -> tuple[dict[str, list[float]], list[str]]:
    plan = driver.ready
    low, cross, high = plan["low_risk"], plan["cross_tenant"], plan["approval"]
    alice = Api(driver.api_url, driver.token("acme", "alice", low["roles"]))
    ivan = Api(driver.api_url, driver.token(plan["shadow_tenant"], "ivan", low["roles"]))
    carol = Api(driver.api_url, driver.token("acme", "carol", high["roles"])) if high else None
    dave = Api(driver.api_url, driver.token("acme", "dave", [plan["approver_role"]]))

    def approval() -> tuple[str, str]:
        if carol is None or high is None:
            return "", "the spec has no action that needs approval"
        status, body = carol.send(high["message"])
        if status != 202:
            return "", f"POST answered {status} {body}"
        job_id = body["jobId"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            _, listing = dave.call("GET", "/approvals")
            found = [a for a in (listing or {}).get("approvals", []) if a["jobId"] == job_id]
            if found:
                code, answer = dave.call(
                    "POST", f"/approvals/{found[0]['approvalId']}", {"decision": "approve"}
                )
                if code != 200:
                    return job_id, f"approve answered {code} {answer}"
                return job_id, carol.wait(job_id, poll=POLL_SECONDS)["status"]
            time.sleep(POLL_SECONDS)
        return job_id, "no pending approval within 120 s"

    def simple(api: Api, message: str) -> Callable[[], tuple[str, str]]:
        def run() -> tuple[str, str]:
            status, body = api.send(message)
            if status != 202:
                return "", f"POST answered {status} {body}"
            return body["jobId"], api.wait(body["jobId"], poll=POLL_SECONDS)["status"]

        return run

    cases: list[tuple[str, Callable[[], tuple[str, str]], str]] = [
        ("allowed action", simple(alice, low["message"]), "complete"),
        ("approval (approved at once)", approval, "complete"),
        ("denied cross-tenant", simple(alice, cross["message"]), "rejected"),
        ("shadow tenant", simple(ivan, low["message"]), "complete"),
        ("plain answer", simple(alice, "hello"), "complete"),
    ]
    if high is None:
        cases = [case for case in cases if case[0] != "approval (approved at once)"]
    timings: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    problems: list[str] = []
    for _ in range(samples):
        for label, run, expected in cases:
            started = time.perf_counter()
            job_id, status = run()
            elapsed = time.perf_counter() - started
            if status != expected:
                problems.append(f"{label}: job {job_id} ended {status!r}, expected {expected!r}")
                continue
            timings[label].append(elapsed)
    return timings, problems


def idle_baseline(driver: Driver, count: int = 20) -> tuple[list[float], list[float]]:
    """One client alone, after the warm-up: POST /messages (a plain answer) and GET /health."""
    api = Api(driver.api_url, driver.token("acme", "baseline", driver.ready["low_risk"]["roles"]))
    posts, health = [], []
    for _ in range(count):
        started = time.perf_counter()
        api.call("GET", "/health")
        health.append(time.perf_counter() - started)
        started = time.perf_counter()
        status, body = api.send("hello")
        posts.append(time.perf_counter() - started)
        if status == 202:
            api.wait(body["jobId"])  # the next POST meets an idle stack again
    return posts, health


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen backlog was full (all sockets)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        fields = dict(zip(names.split()[1:], values.split()[1:], strict=False))
        if "ListenOverflows" in fields:
            return int(fields["ListenOverflows"])
    return -1


def start_profiler(py_spy: str, pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy on the stack's process, sampling only the thread holding the GIL, until SIGINT."""
    command = [py_spy, "record", "--pid", str(pid), "--gil", "--threads", "--nonblocking", "--rate", "200",
               "--format", "raw", "--output", str(out)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def report_load(load: dict[str, Any], overflows: int) -> None:
    posts, health = load["posts"], load["health"]
    accepted = [post[1] for post in posts if post[2] == 202]
    others = sorted({post[2] for post in posts if post[2] != 202})
    failed = sum(post[2] != 202 for post in posts)
    print(f"  {len(posts)} messages in {load['window']:.1f} s ({len(posts) / load['window']:.1f}/s); "
          f"not 202: {failed} (statuses {others or 'none'}; 0 = connection reset or refused); "
          f"/health failures: {len(load['health_failures'])}")  # fmt: skip
    print(f"  kernel listen-backlog overflows during the load (whole machine): {overflows}")
    print(HEADER)
    print(_row("POST /messages -> 202", accepted))
    for kind in ("action", "answer"):
        print(_row(f"  of which {kind}", [p[1] for p in posts if p[0] == kind and p[2] == 202]))
    print(_row("GET /health (same window)", health))
    if accepted and health:
        ratio = percentile(accepted, 99) / percentile(health, 99)
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(f"  ratio 202 p99 / health p99 = {ratio:.1f} (target <= {TARGET_RATIO:.0f}: {verdict})")
        print(f"  ratio of medians = {percentile(accepted, 50) / percentile(health, 50):.1f}")


def report_phases(phases: dict[str, list[float]], when: str) -> None:
    """The parts of POST /messages timed inside the stack (``--phases``), if any."""
    if not phases:
        return
    print(f"  inside the stack, {when} (wall time of each part of POST /messages):")
    for name, values in sorted(phases.items()):
        print(_row(f"  {name}", values))


def run(driver: Driver, args: argparse.Namespace) -> None:
    print(f"stack ready in {driver.ready_after:.1f} s (pid {driver.ready['pid']}, {driver.api_url})")
    _warm_up(driver, driver.ready)
    driver.phases()  # the warm-up's samples include the handlers' first imports
    posts, health = idle_baseline(driver)
    print("\n0. idle baseline: one client, one request at a time")
    print(HEADER)
    print(_row("POST /messages -> 202 (idle)", posts))
    print(_row("GET /health (idle)", health))
    report_phases(driver.phases(), "idle")

    pace = f", {args.think:g} s between a client's messages" if args.think else ", back to back"
    print(f"\n1. load: {args.clients} clients x {args.requests} messages{pace}, /health probed every 10 ms")
    profiler = start_profiler(args.py_spy, driver.ready["pid"], args.profile) if args.profile else None
    overflows = listen_overflows()
    load = run_load(driver, args.clients, args.requests, args.think)
    overflows = listen_overflows() - overflows
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=60)
        print(f"  py-spy profile of the stack during the load: {args.profile}")
    report_load(load, overflows)
    report_phases(driver.phases(), "under load")

    print("\n  load jobs, creation to terminal status (job timestamps):")
    durations, statuses, unfinished = drain(load["apis"], load["posts"])
    print(f"  final statuses: {statuses}; unfinished after 600 s: {unfinished}")
    print(HEADER)
    for kind in ("action", "answer"):
        print(_row(f"load job: {kind}", durations.get(kind, [])))

    print(f"\n2. scenarios on the idle stack, {args.samples} rounds, POST to terminal status "
          f"(polled every {POLL_SECONDS * 1000:.0f} ms)")  # fmt: skip
    timings, problems = run_scenarios(driver, args.samples)
    print(HEADER)
    for label, values in timings.items():
        print(_row(label, values))
    for problem in problems:
        print("  deviation:", problem)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10, help="messages per client")
    parser.add_argument("--think", type=float, default=0.0, help="seconds a client waits between messages")
    parser.add_argument("--samples", type=int, default=10, help="rounds of the scenarios")
    parser.add_argument("--project", type=Path, help="a rendered project to reuse (default: render one)")
    parser.add_argument("--preset", help="the preset to render (default: the template's default)")
    parser.add_argument("--log", type=Path, help="write the stack's stderr here")
    parser.add_argument("--profile", type=Path, help="record a py-spy profile (raw) of the load phase here")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable (for --profile)")
    parser.add_argument(
        "--phases", action="store_true", help="time the parts of POST /messages inside the stack"
    )
    parser.add_argument(
        "--driver",
        default="",
        help="experiment switches for the stack's process, e.g. --driver='--cache-jsonpath --backlog 128' "
        "(see _local_driver.py)",
    )
    args = parser.parse_args()
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} (1/5/15 min) at start")
    with tempfile.TemporaryDirectory() as workspace:
        project = args.project
        if project is None:
            project = Path(workspace, "project")
            print(f"rendered a project in {render(project, args.preset):.1f} s")
        with ExitStack() as cleanup:
            log = cleanup.enter_context(args.log.open("w")) if args.log else None
            options = shlex.split(args.driver) + (["--phase-timing"] if args.phases else [])
            driver = Driver(project.resolve(), log, options)
            run(cleanup.enter_context(driver), args)
    print(f"\nload average at end {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
