"""The handlers' one Powertools Logger (named after ``POWERTOOLS_SERVICE_NAME``), JSON on stdout,
and where each kind of invocation carries the id its log lines are correlated by.

Every entry point is decorated alike (``governed_assistant.handlers.tracing`` has the Tracer)::

    @LOGGER.inject_lambda_context(correlation_id_path=JOB_REQUEST_ID)
    @TRACER.capture_lambda_handler(capture_response=False)
    def handler(event, lambda_context): ...

so each line it logs carries the invocation's ``function_request_id`` and ``cold_start``, the
function's name, memory and ARN, and ``correlation_id``: the API request's id, which a job's
every step carries too (``context.requestId``), so one id finds a request's whole story.
"""

from __future__ import annotations

from typing import Final

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

LOGGER = Logger()

# The HTTP API's request id (payload format 2.0).
API_REQUEST_ID: Final = correlation_paths.API_GATEWAY_HTTP
# A step's payload: its TenantContext carries the id of the API request that started the job.
JOB_REQUEST_ID: Final = "context.requestId"
# The respond step is handed the whole execution state, the job's context in it.
STATE_REQUEST_ID: Final = "state.context.requestId"
# An EventBridge event's own id (the insight trigger).
EVENT_ID: Final = correlation_paths.EVENT_BRIDGE
# A Firehose transformation batch's id.
FIREHOSE_INVOCATION_ID: Final = "invocationId"
