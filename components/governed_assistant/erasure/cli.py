"""``python -m governed_assistant.erasure``: behind ``make erase-tenant``.

    pulumi stack output --json -s prod > outputs.json
    python -m governed_assistant.erasure --tenant acme --outputs outputs.json --dry-run
    python -m governed_assistant.erasure --tenant acme --outputs outputs.json --confirm acme
    python -m governed_assistant.erasure --tenant acme --local --confirm acme [--moto-url URL] [--dsn DSN]

A deployed stack's stores come from its ``erasure`` output; the AWS credentials are the
operator's own (the environment, ``AWS_PROFILE``...). ``--local`` erases the local stack's events
file, and with ``--moto-url`` (the ``make dev`` banner's moto line) the tables and executions of a
``make dev`` still running, with ``--dsn`` its pgvector rows (the owner's DSN the banner prints).
Nothing is deleted without ``--confirm`` repeating the tenant id; ``--dry-run`` only counts.
Exit status: 0 done, 1 a store failed (run it again), 2 refused before anything was deleted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from governed_assistant.erasure.erasure import check_tenant_id, erase_tenant
from governed_assistant.erasure.exceptions import ErasureTargetsError
from governed_assistant.erasure.targets import (
    ErasureTargets,
    build_erasers,
    local_targets,
    retained,
    spec_run_keys,
)
from governed_assistant.errors import GovernanceError


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        tenant = check_tenant_id(args.tenant)
        report = _erase(args, tenant, stdin or sys.stdin)
    except GovernanceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_as_json(report), indent=2), file=out)
    else:
        print("\n".join(report.lines()), file=out)
    if not report.ok:
        print(
            "error: a store failed (see above); nothing else is undone, run the erasure again",
            file=sys.stderr,
        )
        return 1
    return 0


def _erase(args: argparse.Namespace, tenant: str, stdin: TextIO) -> Any:
    from governed_assistant.spec import load_spec

    project = Path(args.project).resolve()
    spec = load_spec(project / "assistant.yaml")
    if args.local:
        targets = local_targets(spec, project, moto=bool(args.moto_url), dsn=args.dsn)
        client, credentials = _local_clients(spec.region, args.moto_url)
    else:
        targets = ErasureTargets.from_outputs(_read_outputs(args.outputs, stdin))
        client, credentials = _aws_clients(targets.region)
    erasers = build_erasers(targets, client=client, run_keys=spec_run_keys(spec), credentials=credentials)
    try:
        return erase_tenant(
            tenant, erasers, confirm=args.confirm, dry_run=args.dry_run, retained=retained(targets)
        )
    finally:
        for eraser in erasers:
            close = getattr(eraser, "close", None)
            if close is not None:
                close()


def _read_outputs(source: str | None, stdin: TextIO) -> dict[str, Any]:
    if not source:
        raise ErasureTargetsError(
            "No stack named: pass --outputs FILE (pulumi stack output --json > FILE) or --outputs - with "
            "the JSON on stdin, or --local for the local stack"
        )
    text = stdin.read() if source == "-" else Path(source).read_text()
    try:
        outputs = json.loads(text)
    except ValueError as error:
        raise ErasureTargetsError(
            f"The stack outputs are not JSON, source={source}, starts={text[:60]!r}; pipe "
            "`pulumi stack output --json -s <stack>` in (did pulumi fail?)"
        ) from error
    if not isinstance(outputs, dict):
        raise ErasureTargetsError(f"The stack outputs are not a JSON object, source={source}")
    return outputs


def _aws_clients(region: str | None) -> tuple[Any, Any]:
    import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

    session = boto3.session.Session(region_name=region)
    return session.client, session.get_credentials()


def _local_clients(region: str, moto_url: str | None) -> tuple[Any, None]:
    import boto3

    from governed_assistant.local.constants import FAKE_CREDENTIALS

    session = boto3.session.Session(
        region_name=region,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )

    def client(service: str) -> Any:
        # Only the moto of a running `make dev`: a local erasure never reaches AWS.
        return session.client(service, endpoint_url=moto_url)

    return client, None


def _as_json(report: Any) -> dict[str, Any]:
    return {
        "tenantId": report.tenant_id,
        "dryRun": report.dry_run,
        "ok": report.ok,
        "stores": [
            {"store": r.store, "found": r.found, "erased": r.erased, "note": r.note, "error": r.error}
            for r in report.results
        ],
        "retained": list(report.retained),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m governed_assistant.erasure",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tenant", required=True, help="the tenant whose data is erased")
    parser.add_argument("--confirm", help="the tenant id again: nothing is deleted without it")
    parser.add_argument("--dry-run", action="store_true", help="count what would be erased, delete nothing")
    parser.add_argument("--project", default=".", help="the project (its assistant.yaml); default .")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--outputs", help="`pulumi stack output --json` of the stack: a file, or - for stdin")
    where.add_argument(
        "--local", action="store_true", help="the local stack (.local/, and a running make dev)"
    )
    parser.add_argument("--moto-url", help="with --local: the moto of a running make dev (its banner's line)")
    parser.add_argument("--dsn", help="with --local: the pgvector owner's DSN of a running make dev")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser
