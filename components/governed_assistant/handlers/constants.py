"""The handlers' defaults and limits, in one place; the names they share with the stack are in
``governed_assistant.wire``."""

from __future__ import annotations

from typing import Final

# Used when the matching ``governed_assistant.wire`` variable is unset.
DEFAULT_SPEC_PATH: Final = "assistant.yaml"
DEFAULT_POLICIES_DIR: Final = "policies"
DEFAULT_ACTIONS_PACKAGE: Final = "actions"
DEFAULT_INSIGHT_ROLES: Final = ("insights",)

# HTTP limits. A message is a question, not a document: 16 KiB of JSON is plenty, and the limit
# bounds what the guardrail and the model are asked to read.
MAX_BODY_BYTES: Final = 16 * 1024
MAX_MESSAGE_CHARS: Final = 8000
MAX_COMMENT_CHARS: Final = 1000  # governed_assistant.runtime.approvals MAX_REASON_CHARS
# Bodies are flat objects; JSON nested ~1,000 deep would exhaust the parser's recursion (a 500),
# so anything deeper than this is refused before it is parsed.
MAX_BODY_DEPTH: Final = 16
# An SSE client reconnects this long after a response ends while its job is still running. Three
# seconds (browsers' own EventSource default): a job moves stage by stage, each taking seconds, and
# 25 open streams make about 8 requests a second against the stage's throttle instead of 25. Each
# reconnect also costs a tenth of a request of the tenant's limit (runtime.ratelimit).
SSE_RETRY_MS: Final = 3000

# Retrieved chunks put into the prompt, and how much of each.
RETRIEVAL_LIMIT: Final = 5
MAX_CHUNK_CHARS: Final = 2000
# The answer text the output guardrail screens and the job keeps.
MAX_ANSWER_CHARS: Final = 8000

# Bedrock compiles a strict tool's input schema into a grammar on its first use, which "may take
# up to a few minutes", then caches it for 24 hours (structured outputs' request workflow:
# https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html). The docs give no
# figure, so a Converse call is allowed five minutes for a compile on top of botocore's default
# 60 s read timeout for the answer itself; the reason function's timeout is above that.
GRAMMAR_COMPILE_SECONDS: Final = 300
MODEL_READ_TIMEOUT_SECONDS: Final = GRAMMAR_COMPILE_SECONDS + 60
