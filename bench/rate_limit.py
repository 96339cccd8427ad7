"""Time what the per-tenant rate limit adds before a request's own work (p50/p99); prints the figures.

Usage: .venv/bin/python bench/rate_limit.py [--requests N]
Two parts, each after a warm-up: ``tenant_limit`` (the tenant's rate_limit flag, evaluated with
Powertools from a flags file, as the local stack reads it; in AWS the AppConfig document is cached
for 15 s the same way) and ``RequestLimiter.spend`` (one UpdateItem ADD, here on moto in-process,
so the figure is the client's own cost, not DynamoDB's round trip of a few milliseconds). Tenants
are spread over 100 ids, as many tenants share one function.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "components"))

import boto3
from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.flags import RolloutFlags, build_flags_document, write_flags_file
from governed_assistant.runtime.ratelimit import RequestLimiter
from governed_assistant.spec import parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from moto import mock_aws

from tests.conftest import preset_document

TABLE = "usage"


def _figures(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name}: p50 {statistics.median(ordered) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, n={len(ordered)}"
    )


def _time(call: Callable[[int], object], count: int) -> list[float]:
    for index in range(min(count, 50)):  # warm-up
        call(index)
    samples = []
    for index in range(count):
        started = time.perf_counter()
        call(index)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    count = parser.parse_args().requests
    spec = parse_spec(render_spec_yaml(preset_document()))
    contexts = [TenantContext(tenant_id=f"t{n}", user_id="u", request_id="r") for n in range(100)]
    with tempfile.TemporaryDirectory() as directory:
        document = build_flags_document(spec, rate_limits={f"t{n}": 100 + n for n in range(0, 100, 10)})
        flags = RolloutFlags.from_environment(
            spec, flags_file=str(write_flags_file(Path(directory) / "f.json", document))
        )
        _figures("flag lookup", _time(lambda i: flags.requests_per_minute(contexts[i % 100], 60), count))
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("tenantId", "day")],
            KeySchema=[
                {"AttributeName": "tenantId", "KeyType": "HASH"},
                {"AttributeName": "day", "KeyType": "RANGE"},
            ],
        )
        limiter = RequestLimiter(client, TABLE)
        _figures("counter add (moto)", _time(lambda i: limiter.spend(f"t{i % 100}", 6000), count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
