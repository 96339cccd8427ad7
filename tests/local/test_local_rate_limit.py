"""The local stack runs the API's own handler, so it limits each tenant's requests as AWS does."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from governed_assistant.local.stack import LocalStack


@pytest.fixture(scope="module")
def stack(project_dir: Path) -> Iterator[LocalStack]:
    with LocalStack.start(project_dir, port=0, poll_seconds=0.1) as running:
        yield running


def _get_job(stack: LocalStack, tenant: str) -> tuple[int, str | None]:
    request = urllib.request.Request(f"{stack.api_url}/jobs/job-1", method="GET")  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {stack.token(tenant, 'alice', ['agent'])}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback test URL
            return response.status, response.headers.get("retry-after")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("retry-after")


def test_local_api_refuses_tenant_over_its_flag_limit_and_serves_another(stack: LocalStack) -> None:
    """acme limited to one request a minute gets 429 with Retry-After after it; globex is served."""
    try:
        stack.set_flags(rate_limits={"acme": 1})
        # Three requests: even if a minute boundary falls between two of them, one is over the limit.
        answers = [_get_job(stack, "acme") for _ in range(3)]
        refused = [retry for status, retry in answers if status == 429]
        assert refused and all(retry is not None and 1 <= int(retry) <= 60 for retry in refused), answers
        assert {status for status, _ in answers} <= {404, 429}
        assert _get_job(stack, "globex") == (404, None)
    finally:
        stack.set_flags()
