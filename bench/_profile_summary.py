"""Summarise a py-spy ``--gil --threads --format raw`` profile of the local stack by who held the GIL.

Usage: .venv/bin/python bench/_profile_summary.py PROFILE [--top 15]

Each sample is one stack of the thread holding the interpreter lock. A sample is put in one
group by the thread's role (the API's request threads, moto's request threads by AWS service,
moto's Step Functions interpreter, the Lambda endpoint running step handlers, ...); the API's own
samples are split further by what the request was doing. Prints each group's share of the samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (group, pattern on the whole stack), first match wins. The API thread first: its boto3 calls
# block on moto's threads, so its own samples are its own work.
ROLES: list[tuple[str, str]] = [
    ("API request thread", r"api_server\.py"),
    ("Lambda endpoint: step handlers", r"lambda_endpoint\.py"),
    ("bedrock-runtime endpoint", r"bedrock_endpoint\.py"),
    # moto's thread forwarding a Lambda task to the endpoint (it waits in urllib meanwhile).
    ("moto: Lambda forwarding", r"moto_server\.py.*urllib/request\.py"),
    ("EventBridge->queue bridges", r"bridge\.py"),
    ("moto request: {service}", r"werkzeug/serving\.py.*moto/(?!core/)(?P<service>[a-z_0-9]+)/"),
    ("moto request: werkzeug/moto core", r"werkzeug/serving\.py"),
    ("moto: Step Functions interpreter", r"moto/stepfunctions/"),
]
# What an API request thread was doing, first match wins (innermost concerns first).
API_PARTS: list[tuple[str, str]] = [
    ("JWT verification", r"verified_claims"),
    ("input guardrail (HTTP call to the local bedrock-runtime)", r"check_input"),
    ("jobs store: create/transition (DynamoDB via moto)", r"runtime/jobs/"),
    ("dispatch: EventBridge PutEvents (via moto)", r"dispatch_job"),
    ("telemetry recorder (SQLite)", r"telemetry/"),
    ("other handler code", r"governed_assistant/handlers/"),
    ("building the event / parsing the reply", r"api_gateway\.py|api_server\.py"),
]
BOTOCORE = r"botocore/|boto3/|urllib3/"


def classify(stack: str, rules: list[tuple[str, str]]) -> str:
    for label, pattern in rules:
        found = re.search(pattern, stack)
        if found:
            return label.format(**found.groupdict())
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    roles: Counter[str] = Counter()
    api: Counter[str] = Counter()
    api_botocore = 0
    leaves: Counter[str] = Counter()
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        weight = int(count)
        role = classify(stack, ROLES)
        roles[role] += weight
        leaves[stack.split(";")[-1]] += weight
        if role == "API request thread":
            api[classify(stack, API_PARTS)] += weight
            api_botocore += weight * bool(re.search(BOTOCORE, stack))
    total = sum(roles.values())
    print(f"{total} samples holding the GIL")
    print("\nby thread role:")
    for label, weight in roles.most_common():
        print(f"  {weight / total:6.1%}  {label}")
    api_total = sum(api.values())
    if api_total:
        print(f"\nAPI request threads ({api_total} samples), by what the request was doing:")
        for label, weight in api.most_common():
            print(f"  {weight / api_total:6.1%}  {label}")
        print(f"  (of all API samples, {api_botocore / api_total:.1%} in boto3/botocore/urllib3 client code)")
    print(f"\nhottest innermost frames (top {args.top}):")
    for frame, weight in leaves.most_common(args.top):
        print(f"  {weight / total:6.1%}  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
