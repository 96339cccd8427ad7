"""The handlers' environment variables, event names and limits, in one place.

Names the infra layers set are mirrored here rather than imported: ``governed_assistant.infra`` imports
Pulumi, which a Lambda function neither has nor should load. ``tests/handlers`` keeps the two equal.
"""

from __future__ import annotations

from typing import Final

ENV_PREFIX: Final = "GOVERNED_"

# Where the owner's files (assistant.yaml, policies/, prompts/, actions/) are: this variable, else
# Lambda's LAMBDA_TASK_ROOT (where the code archive unpacks), else the working directory.
ENV_PROJECT_ROOT: Final = f"{ENV_PREFIX}PROJECT_ROOT"
# The spec the functions ship with, relative to the project root unless absolute.
ENV_SPEC_PATH: Final = f"{ENV_PREFIX}SPEC_PATH"
DEFAULT_SPEC_PATH: Final = "assistant.yaml"
# The user-owned Cedar policies (``policies/*.cedar``) the gate evaluates.
ENV_POLICIES_DIR: Final = f"{ENV_PREFIX}POLICIES_DIR"
DEFAULT_POLICIES_DIR: Final = "policies"
# The package of the user-owned action modules (``actions/<name>.py``).
ENV_ACTIONS_PACKAGE: Final = f"{ENV_PREFIX}ACTIONS_PACKAGE"
DEFAULT_ACTIONS_PACKAGE: Final = "actions"

# Set by the conversation layer (governed_assistant.infra.conversation EVENT_BUS_ENV, CLAIM_ENV) and the
# insight trigger (governed_assistant.infra.insights EVENT_BUS_ENV).
ENV_EVENT_BUS: Final = f"{ENV_PREFIX}EVENT_BUS"
ENV_TENANT_CLAIM: Final = f"{ENV_PREFIX}TENANT_CLAIM"
ENV_USER_CLAIM: Final = f"{ENV_PREFIX}USER_CLAIM"
ENV_ROLES_CLAIM: Final = f"{ENV_PREFIX}ROLES_CLAIM"
# Set by the execution layer on the approval step (RESOURCE_ENV["approval_topic"]).
ENV_APPROVAL_TOPIC_ARN: Final = f"{ENV_PREFIX}APPROVAL_TOPIC_ARN"
# Set by the reasoning layer (MODEL_ENV); the spec's model_id when unset.
ENV_MODEL_ID: Final = f"{ENV_PREFIX}MODEL_ID"
# How long an approval waits; keep it equal to the state machine's approval TimeoutSeconds.
ENV_APPROVAL_TIMEOUT: Final = f"{ENV_PREFIX}APPROVAL_TIMEOUT_SECONDS"
DEFAULT_APPROVAL_TIMEOUT_SECONDS: Final = (
    24 * 3600
)  # governed_assistant.infra.asl.DEFAULT_APPROVAL_TIMEOUT_SECONDS
# The roles an insight-triggered job acts with (comma-separated); see governed_assistant.handlers.insight.
ENV_INSIGHT_ROLES: Final = f"{ENV_PREFIX}INSIGHT_ROLES"
DEFAULT_INSIGHT_ROLES: Final = ("insights",)

# The "job accepted" event (governed_assistant.infra.execution JOB_EVENT_SOURCE, JOB_ACCEPTED_DETAIL_TYPE).
JOB_EVENT_SOURCE: Final = "governed.conversation"
JOB_ACCEPTED_DETAIL_TYPE: Final = "job accepted"
# What a trusted insight producer puts on the bus (governed_assistant.infra.insights INSIGHT_EVENT_SOURCE).
INSIGHT_EVENT_SOURCE: Final = "governed.insights"

# What the respond step is told (governed_assistant.infra.asl OUTCOMES).
OUTCOMES: Final = ("complete", "denied", "shadow", "rejected", "expired", "failed")

# HTTP limits. A message is a question, not a document: 16 KiB of JSON is plenty, and the limit
# bounds what the guardrail and the model are asked to read.
MAX_BODY_BYTES: Final = 16 * 1024
MAX_MESSAGE_CHARS: Final = 8000
MAX_COMMENT_CHARS: Final = 1000  # governed_assistant.runtime.approvals MAX_REASON_CHARS
# An SSE client reconnects this long after a response ends while its job is still running.
SSE_RETRY_MS: Final = 1000

# Retrieved chunks put into the prompt, and how much of each.
RETRIEVAL_LIMIT: Final = 5
MAX_CHUNK_CHARS: Final = 2000
# The answer text the output guardrail screens and the job keeps.
MAX_ANSWER_CHARS: Final = 8000
