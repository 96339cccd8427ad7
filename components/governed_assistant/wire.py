"""Every name that crosses a process boundary, defined once.

The stack (``governed_assistant.infra``) sets these names and the functions
(``governed_assistant.handlers``, ``governed_assistant.runtime``) read them; the local stack
(``governed_assistant.local``) plays the stack's part offline. All of them import from here, so
a name cannot differ between the side that writes it and the side that reads it:

- environment variables: ``ENV_<X>`` names the variable ``GOVERNED_<X>`` (or, for a variable
  another library owns, the variable itself: ``ENV_POWERTOOLS_SERVICE_NAME``);
- EventBridge sources and detail types the bus rules match;
- the HTTP API's route keys, which API Gateway routes and the API function dispatches on (the
  console's too, and the local API's own, which its server and the OpenAPI document share);
- the state machine's outcomes and task error names, and the approval timeout both sides assume;
- the CloudWatch metric namespace, metric names and dimensions the runtime emits and the alarms
  and dashboard read.

Only the standard library is imported: every Lambda function loads this module on its cold start,
and none of them has Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# Every variable the project itself defines starts with this.
ENV_PREFIX: Final = "GOVERNED_"

# Environment variables: where the owner's files are.

# The project root (assistant.yaml, policies/, prompts/, actions/): this variable, else Lambda's
# LAMBDA_TASK_ROOT (where the code archive unpacks), else the working directory.
ENV_PROJECT_ROOT: Final = "GOVERNED_PROJECT_ROOT"
# The spec, relative to the project root unless absolute.
ENV_SPEC_PATH: Final = "GOVERNED_SPEC_PATH"
# The user-owned Cedar policies (``policies/*.cedar``) the gate evaluates.
ENV_POLICIES_DIR: Final = "GOVERNED_POLICIES_DIR"
# The package of the user-owned action modules (``actions/<name>.py``).
ENV_ACTIONS_PACKAGE: Final = "GOVERNED_ACTIONS_PACKAGE"
ENV_SYSTEM_PROMPT_PATH: Final = "GOVERNED_SYSTEM_PROMPT_PATH"

# Environment variables: the resources a function is granted.

ENV_JOBS_TABLE: Final = "GOVERNED_JOBS_TABLE"
ENV_APPROVALS_TABLE: Final = "GOVERNED_APPROVALS_TABLE"
ENV_IDEMPOTENCY_TABLE: Final = "GOVERNED_IDEMPOTENCY_TABLE"
ENV_APPROVAL_TOPIC_ARN: Final = "GOVERNED_APPROVAL_TOPIC_ARN"
# The audit archive bucket the API writes each decided approval's record to (unset: no archive).
ENV_AUDIT_BUCKET: Final = "GOVERNED_AUDIT_BUCKET"
ENV_GUARDRAIL_ID: Final = "GOVERNED_GUARDRAIL_ID"
# The published guardrail version; without it the runtime uses the working draft.
ENV_GUARDRAIL_VERSION: Final = "GOVERNED_GUARDRAIL_VERSION"
ENV_USAGE_TABLE: Final = "GOVERNED_USAGE_TABLE"
ENV_STATE_MACHINE_ARN: Final = "GOVERNED_STATE_MACHINE_ARN"
ENV_EVENT_BUS: Final = "GOVERNED_EVENT_BUS"
# The role the API function assumes per request, tagged with the tenant, to read and write that
# tenant's rows (IAM allows only keys starting "<tenant>#"); unset locally, where the store's
# own client serves.
ENV_TENANT_DATA_ROLE_ARN: Final = "GOVERNED_TENANT_DATA_ROLE_ARN"
# The variable each grantable resource is passed in, by the grant's resource key: an execution step
# gets a resource's variable exactly when its policy grants the resource.
ENV_BY_RESOURCE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "jobs_table": ENV_JOBS_TABLE,
        "approvals_table": ENV_APPROVALS_TABLE,
        "idempotency_table": ENV_IDEMPOTENCY_TABLE,
        "approval_topic": ENV_APPROVAL_TOPIC_ARN,
        "guardrail": ENV_GUARDRAIL_ID,
    }
)
# Which state machine step a function serves.
ENV_STEP: Final = "GOVERNED_STEP"

# Environment variables: identity, model, approvals, insights.

# The names of the verified claims that carry the tenant, the user and the roles (spec identity.claims).
ENV_TENANT_CLAIM: Final = "GOVERNED_TENANT_CLAIM"
ENV_USER_CLAIM: Final = "GOVERNED_USER_CLAIM"
ENV_ROLES_CLAIM: Final = "GOVERNED_ROLES_CLAIM"
# The model the stable variant calls; the spec's model_id when unset.
ENV_MODEL_ID: Final = "GOVERNED_MODEL_ID"
ENV_DAILY_TOKEN_BUDGET: Final = "GOVERNED_DAILY_TOKEN_BUDGET"  # noqa: S105 - a variable name, not a secret
# How long an approval waits; unset, DEFAULT_APPROVAL_TIMEOUT_SECONDS below.
ENV_APPROVAL_TIMEOUT_SECONDS: Final = "GOVERNED_APPROVAL_TIMEOUT_SECONDS"
# The console's URL, the link in the approvers' notice; unset, the console's path on the API.
ENV_CONSOLE_URL: Final = "GOVERNED_CONSOLE_URL"
# The roles an insight-triggered job acts with (comma-separated).
ENV_INSIGHT_ROLES: Final = "GOVERNED_INSIGHT_ROLES"
# The message attribute every approval notice carries its tenant in: each approver's subscription
# filters on it (governed_assistant.infra.approval_subscriptions), so it names one tenant's approvers.
NOTICE_TENANT_ATTRIBUTE: Final = "tenantId"

# Environment variables: retrieval.

# Which backend the reason step retrieves with; the spec's when unset.
ENV_RETRIEVAL_BACKEND: Final = "GOVERNED_RETRIEVAL_BACKEND"
ENV_KNOWLEDGE_BASE_ID: Final = "GOVERNED_KNOWLEDGE_BASE_ID"
ENV_COLLECTION_ENDPOINT: Final = "GOVERNED_COLLECTION_ENDPOINT"
ENV_VECTOR_INDEX: Final = "GOVERNED_VECTOR_INDEX"
ENV_DB_CLUSTER_ARN: Final = "GOVERNED_DB_CLUSTER_ARN"
ENV_DB_SECRET_ARN: Final = "GOVERNED_DB_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
ENV_DB_NAME: Final = "GOVERNED_DB_NAME"
# A direct PostgreSQL connection (the local stack's); in AWS the Data API on the cluster above.
ENV_DB_DSN: Final = "GOVERNED_DB_DSN"
ENV_EMBEDDING_MODEL_ID: Final = "GOVERNED_EMBEDDING_MODEL_ID"
ENV_EMBEDDING_DIMENSIONS: Final = "GOVERNED_EMBEDDING_DIMENSIONS"

# Environment variables: rollout flags.

# A local flags file, else the AppConfig profile the rollout layer deployed.
ENV_FLAGS_FILE: Final = "GOVERNED_FLAGS_FILE"
ENV_APPCONFIG_APPLICATION: Final = "GOVERNED_APPCONFIG_APPLICATION"
ENV_APPCONFIG_ENVIRONMENT: Final = "GOVERNED_APPCONFIG_ENVIRONMENT"
ENV_APPCONFIG_PROFILE: Final = "GOVERNED_APPCONFIG_PROFILE"
ENV_FLAGS_MAX_AGE: Final = "GOVERNED_FLAGS_MAX_AGE"

# Environment variables: telemetry.

ENV_TELEMETRY_SINK: Final = "GOVERNED_TELEMETRY_SINK"
ENV_TELEMETRY_STREAM: Final = "GOVERNED_TELEMETRY_STREAM"
ENV_TELEMETRY_DB: Final = "GOVERNED_TELEMETRY_DB"
# The CloudWatch namespace of the runtime's metrics: Powertools' own variable, set on every function
# that records decision events. The runtime still reads GOVERNED_METRICS_NAMESPACE when it is unset
# (what functions deployed before 0.5.0 were given).
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_METRICS_NAMESPACE: Final = "GOVERNED_METRICS_NAMESPACE"
ENV_METRICS_TENANT_DIMENSION: Final = "GOVERNED_METRICS_TENANT_DIMENSION"
# Set on every function to the spec's slug; Powertools reads it too (the Logger's and the Tracer's
# service, the metrics' service dimension), hence its own name.
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"

# Environment variables: the local stack.

ENV_LOCAL_API_PORT: Final = "GOVERNED_LOCAL_API_PORT"
ENV_LOCAL_MOTO_PORT: Final = "GOVERNED_LOCAL_MOTO_PORT"
ENV_LOCAL_LAMBDA_PORT: Final = "GOVERNED_LOCAL_LAMBDA_PORT"
ENV_LOCAL_BEDROCK_PORT: Final = "GOVERNED_LOCAL_BEDROCK_PORT"
ENV_LOCAL_MODEL_SCRIPT: Final = "GOVERNED_LOCAL_MODEL_SCRIPT"
# Where the sample executors append what they did (JSON lines).
ENV_SAMPLE_LEDGER: Final = "GOVERNED_SAMPLE_LEDGER"

# EventBridge.

# The API (and the insight trigger) put this event on the bus when they accept a job; its detail is
# the state machine's input, and the bus rule that starts the state machine matches both names.
JOB_EVENT_SOURCE: Final = "governed.conversation"
JOB_ACCEPTED_DETAIL_TYPE: Final = "job accepted"
# What a trusted insight producer puts on the bus; the insight rule matches both, and the insight
# function refuses any other event as a security event.
INSIGHT_EVENT_SOURCE: Final = "governed.insights"
INSIGHT_DETAIL_TYPE: Final = "insight raised"
# The rules and targets on the stack's own bus: named, briefly, so a long slug never pushes them
# past EventBridge's 64-character limits (auto-naming would append random characters to it).
JOB_RULE_NAME: Final = "job-accepted"
JOB_TARGET_ID: Final = "start-job"
INSIGHT_RULE_NAME: Final = "insight-raised"
INSIGHT_TARGET_ID: Final = "insight-function"

# The HTTP API: its route keys, each behind the JWT authorizer.

ROUTE_MESSAGES: Final = "POST /messages"
ROUTE_JOB: Final = "GET /jobs/{id}"
ROUTE_JOB_EVENTS: Final = "GET /jobs/{id}/events"
ROUTE_APPROVALS: Final = "GET /approvals"
ROUTE_DECISION: Final = "POST /approvals/{id}"
ROUTES: Final[tuple[str, ...]] = (
    ROUTE_MESSAGES,
    ROUTE_JOB,
    ROUTE_JOB_EVENTS,
    ROUTE_APPROVALS,
    ROUTE_DECISION,
)
# The console (the page people in the loop use, and its script): answered by the API function,
# on routes without the authorizer. They hold no data: every call the page makes carries the user's
# token to the routes above.
ROUTE_CONSOLE: Final = "GET /console"
ROUTE_CONSOLE_SCRIPT: Final = "GET /console.js"
CONSOLE_ROUTES: Final[tuple[str, ...]] = (ROUTE_CONSOLE, ROUTE_CONSOLE_SCRIPT)
# Served by the local stack's API alone, without a token: they describe, they grant nothing; the
# demo tokens only to a caller that holds the run's console key (the banner's console URL).
ROUTE_HEALTH: Final = "GET /health"
ROUTE_OPENAPI: Final = "GET /openapi.json"
ROUTE_DEMO_TOKENS: Final = "POST /console/demo-tokens"
LOCAL_ROUTES: Final[tuple[str, ...]] = (ROUTE_HEALTH, ROUTE_OPENAPI, ROUTE_DEMO_TOKENS)

# The state machine.

# What the respond step is told a job ended with: one respond task per outcome.
OUTCOMES: Final = ("complete", "denied", "shadow", "rejected", "expired", "failed")
# The error a rejected approval fails its task with; the state machine catches it by this name.
APPROVAL_REJECTED_ERROR: Final = "ApprovalRejected"
# The error a step denied by the job record (or the kill switch) fails with: its exception's class
# name (governed_assistant.handlers.exceptions.StepDeniedError). Never retried: it would be denied again.
STEP_DENIED_ERROR: Final = "StepDeniedError"
# How long an approval waits: the approval task's TimeoutSeconds, and the deadline the approval
# step records, unless ENV_APPROVAL_TIMEOUT_SECONDS says otherwise.
DEFAULT_APPROVAL_TIMEOUT_SECONDS: Final = 24 * 3600

# CloudWatch metrics.

# Powertools Metrics with namespace=<metrics namespace>, service=<spec slug>, so every metric carries
# the "service" dimension; the alarms and the dashboard read the same names.
DEFAULT_METRICS_NAMESPACE: Final = "GovernedAssistant"
METRIC_STAGE_LATENCY: Final = "StageLatency"
METRIC_GUARDRAIL_BLOCKED: Final = "GuardrailBlocked"
METRIC_BREAKER_OPEN: Final = "CircuitBreakerOpen"
METRIC_INPUT_TOKENS: Final = "InputTokens"
METRIC_OUTPUT_TOKENS: Final = "OutputTokens"
DIMENSION_SERVICE: Final = "service"
DIMENSION_STAGE: Final = "stage"
DIMENSION_TENANT: Final = "tenantId"

# The session tag that carries the tenant into the tenant data role; its policy reads it back as
# ``${aws:PrincipalTag/tenantId}``.
TENANT_SESSION_TAG: Final = "tenantId"
