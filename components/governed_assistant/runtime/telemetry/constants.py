"""The telemetry runtime's limits and defaults, in one place."""

from __future__ import annotations

from typing import Final, Literal

SinkKind = Literal["log", "firehose", "sqlite", "memory"]
SINK_KINDS: Final[tuple[SinkKind, ...]] = ("log", "firehose", "sqlite", "memory")
# In AWS the events go to the function's log, where a subscription filter forwards them.
DEFAULT_SINK: Final[SinkKind] = "log"
DEFAULT_STORE_PATH: Final = ".governed/events.sqlite3"
DEFAULT_SERVICE_NAME: Final = "governed-assistant"

# The details key that marks an event as a security event (a tenant mismatch, a forged claim...).
SECURITY_EVENT_KEY: Final = "security_event"

# Firehose PutRecordBatch quotas: 500 records and 4 MiB per call, 1,000 KiB per record.
FIREHOSE_MAX_BATCH_RECORDS: Final = 500
FIREHOSE_MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
FIREHOSE_MAX_RECORD_BYTES: Final = 1000 * 1024
# Few, short retries of the failed records only: telemetry must never hold up a request.
DEFAULT_FIREHOSE_MAX_ATTEMPTS: Final = 3
DEFAULT_FIREHOSE_BACKOFF_SECONDS: Final = 0.05
# After Firehose failed outright, drop at once for this long instead of waiting on it per request.
DEFAULT_FIREHOSE_COOLDOWN_SECONDS: Final = 30.0
# Use as ``boto3.client("firehose", config=botocore.config.Config(**FIREHOSE_CLIENT_CONFIG))``:
# short timeouts, and botocore's own retries off so that the sink retries only the failed records.
FIREHOSE_CLIENT_CONFIG: Final = {
    "connect_timeout": 1,
    "read_timeout": 2,
    "retries": {"mode": "standard", "total_max_attempts": 1},
}
# Worth another attempt; anything else (AccessDenied, ResourceNotFound...) will not get better.
FIREHOSE_RETRYABLE_ERROR_CODES: Final = frozenset(
    {"ServiceUnavailableException", "ThrottlingException", "InternalFailure", "ServiceUnavailable"}
)

# Log keys bound on the Powertools Logger: the decision events' own names, so that one Logs
# Insights query (``filter jobId = '...'``) finds a job's log lines and its events alike.
LOG_KEY_TENANT: Final = "tenantId"
LOG_KEY_USER: Final = "userId"
LOG_KEY_REQUEST: Final = "requestId"
LOG_KEY_JOB: Final = "jobId"
