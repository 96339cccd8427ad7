"""``python -m governed_assistant.local dev | token | trace | demo``: behind ``make dev``, ``make token``,
``make trace`` and ``make demo``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from governed_assistant.errors import GovernanceError
from governed_assistant.local.banner import banner
from governed_assistant.local.constants import (
    DEFAULT_API_PORT,
    DEFAULT_TOKEN_TTL_SECONDS,
    EVENTS_DB_FILE,
    STATE_DIR,
)
from governed_assistant.local.exceptions import TokenRequestError
from governed_assistant.local.issuer import DevIssuer
from governed_assistant.local.stack import LocalStack, api_issuer, port_from, token_example_roles
from governed_assistant.runtime.telemetry import SqliteEventStore, format_timeline
from governed_assistant.spec import load_spec
from governed_assistant.wire import ENV_LOCAL_API_PORT


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except GovernanceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`make trace | head`): stop quietly, as other Unix tools do. Point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m governed_assistant.local", description=__doc__)
    parser.add_argument("--project", type=Path, default=Path("."), help="the project directory (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole assistant offline until Ctrl-C")
    dev.add_argument(
        "--port", type=int, help=f"the API's port (default {DEFAULT_API_PORT}, or ${ENV_LOCAL_API_PORT})"
    )
    dev.add_argument("--moto-port", type=int, help="moto's port (default: any free port)")
    dev.add_argument("--lambda-port", type=int, help="the Lambda endpoint's port (default: any free port)")
    dev.add_argument(
        "--bedrock-port", type=int, help="the local bedrock-runtime's port (default: any free port)"
    )
    dev.add_argument(
        "--model-script", type=Path, help="rules for the scripted model (default local/model-script.yaml)"
    )
    dev.add_argument("--real-bedrock", action="store_true", help="use Bedrock in AWS (your credentials)")
    dev.add_argument("--guardrail-id", help="with --real-bedrock: the deployed guardrail's id")
    dev.add_argument(
        "--samples",
        action="store_true",
        help="run sample executors and owners instead of actions/ (governed_assistant.local.samples)",
    )
    dev.add_argument(
        "--live",
        action="append",
        default=[],
        metavar="TENANT",
        help="take TENANT out of shadow mode, so its allowed and approved actions run (repeatable)",
    )
    dev.set_defaults(run=_dev)

    token = commands.add_parser("token", help="print a token of the local dev issuer")
    token.add_argument("--tenant", required=True)
    token.add_argument("--user", required=True)
    token.add_argument("--roles", default="", help="comma-separated roles, e.g. agent,supervisor")
    token.add_argument("--port", type=int, help="the API's port the token is for (its issuer)")
    token.add_argument("--ttl", type=int, default=DEFAULT_TOKEN_TTL_SECONDS, help="lifetime in seconds")
    token.set_defaults(run=_token)

    trace = commands.add_parser("trace", help="print a job's decision chain")
    trace.add_argument("job", nargs="?", help="the job id (omitted: list recent jobs)")
    trace.set_defaults(run=_trace)

    demo = commands.add_parser("demo", help="start the stack, run the demo scenarios, stop")
    demo.add_argument("--port", type=int, default=0, help="the API's port (default: any free port)")
    demo.add_argument("--only", type=int, action="append", default=[], help="run scenario N (repeatable)")
    demo.add_argument("--report", type=Path, help="write the outcomes as JSON here")
    demo.add_argument(
        "--state-dir", type=Path, help="where the run's events and keys go (default: the project's .local)"
    )
    demo.set_defaults(run=_demo)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from governed_assistant.local.demo import run_demo

    return run_demo(
        args.project,
        port=args.port,
        only=args.only,
        report=args.report,
        state_dir=args.state_dir,
        out=sys.stdout,
    )


def _dev(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with LocalStack.start(
            args.project,
            port=args.port,
            moto_port=args.moto_port,
            lambda_port=args.lambda_port,
            bedrock_port=args.bedrock_port,
            model_script=args.model_script,
            real_bedrock=args.real_bedrock,
            guardrail_id=args.guardrail_id,
        ) as stack:
            if args.samples:
                # Imported here: only a --samples run touches the actions package this way.
                from governed_assistant.local.samples import install_sample_actions

                install_sample_actions(stack.spec)
            if args.live:
                stack.set_flags(live_tenants=args.live)
            print(banner(stack, live=args.live), flush=True)
            # Blocks until SIGINT or SIGTERM sets ``stop`` (lock waits are interruptible on POSIX,
            # so the handler runs on the main thread while it waits).
            stop.wait()
            print("\nstopping...", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped.", flush=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    project = Path(args.project).resolve()
    spec = load_spec(project / "assistant.yaml")
    port = port_from(args.port, ENV_LOCAL_API_PORT, DEFAULT_API_PORT)
    issuer = DevIssuer.for_spec(spec, project / STATE_DIR, issuer=api_issuer(port))
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    usage = f"make token TENANT=acme USER=alice ROLES={','.join(token_example_roles(spec))}"
    _check_token_request(args.tenant, args.user, roles, declared=list(spec.roles), usage=usage)
    print(issuer.token(args.tenant, args.user, roles, expires_in=args.ttl))
    return 0


def _check_token_request(tenant: str, user: str, roles: list[str], declared: list[str], usage: str) -> None:
    """Refuse now what the API would refuse later, so a bad token never leaves this command."""
    if not tenant.strip():
        raise TokenRequestError(f"no tenant given; name the tenant the user belongs to: {usage}")
    if not user.strip():
        raise TokenRequestError(f"no user given; name the user the token is for: {usage}")
    unknown = [role for role in roles if role not in declared]
    if unknown:
        raise TokenRequestError(
            f"unknown role {', '.join(unknown)}, roles={','.join(roles)}; assistant.yaml declares "
            f"{', '.join(declared) or 'no roles'} (add a role under roles: there first)"
        )


def _trace(args: argparse.Namespace) -> int:
    path = Path(args.project).resolve() / STATE_DIR / EVENTS_DB_FILE
    if not path.exists():
        print(
            f"no decision events yet, path={path}; run `make dev` and send a message first", file=sys.stderr
        )
        return 1
    store = SqliteEventStore(path)
    if not args.job:
        recent = store.recent_job_ids()
        print("Recent jobs (make trace JOB=<id>):" if recent else "No jobs recorded yet.")
        for job_id in recent:
            print(f"  {job_id}")
        return 0
    events = store.events_for_job(args.job)
    print(format_timeline(events, job_id=args.job))
    return 0 if events else 1
