"""``lambda_context()``: the context object Lambda hands a handler, to call one as Lambda would.

Every handler is decorated with Powertools' ``inject_lambda_context``, which reads the context's
function name, memory, ARN and request id into each log line: a handler called with ``None``
fails there. In a test:

    response = handler(event, lambda_context())

The local stack's Lambda endpoint invokes handlers with the same object.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

_REQUEST_IDS = itertools.count(1)
# The account and region moto, the local stack and the Pulumi mocks all pretend to be in.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object (``awslambdaric``'s ``LambdaContext``) that
    handlers and Powertools read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def lambda_context(function_name: str = "governed-test", request_id: str | None = None) -> LambdaContext:
    """A context for one invocation of ``function_name``; a fresh request id unless one is given."""
    return LambdaContext(
        function_name=function_name,
        aws_request_id=request_id or f"test-{next(_REQUEST_IDS):08d}",
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}",
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name="2026/01/01/[$LATEST]0123456789abcdef",
    )
