"""The local stack's names, ports and paths, in one place; its environment variables are in
``governed_assistant.wire``."""

from __future__ import annotations

from typing import Final

LOOPBACK: Final = "127.0.0.1"
# The API's port is the one people type; every other server takes any free port unless told.
DEFAULT_API_PORT: Final = 8080
# Everything the stack keeps between runs (dev issuer key, flags, decision events) lives here;
# the generated project's .gitignore lists it.
STATE_DIR: Final = ".local"
ISSUER_KEY_FILE: Final = "dev-issuer-key.pem"
FLAGS_FILE: Final = "flags.json"
EVENTS_DB_FILE: Final = "events.sqlite3"
MODEL_SCRIPT_PATH: Final = "local/model-script.yaml"

# The fake account moto answers for; credentials moto accepts and AWS never would.
ACCOUNT_ID: Final = "123456789012"
FAKE_CREDENTIALS: Final = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

# The functions the state machine and the API call, by local function name.
STEP_FUNCTIONS: Final = ("reason", "gate", "approval", "execute", "compensate", "guardrail_output", "respond")
API_FUNCTION: Final = "api"
INSIGHT_FUNCTION: Final = "insight"

# Local guardrail: one id and its working draft, as ApplyGuardrail and Converse address it. The id
# fits botocore's GuardrailIdentifier pattern (lower-case letters and digits), as Bedrock requires.
LOCAL_GUARDRAIL_ID: Final = "localguardrail"
LOCAL_GUARDRAIL_VERSION: Final = "DRAFT"

# Dev tokens live this long: a working day, so the tokens `make dev` prints last the session.
DEFAULT_TOKEN_TTL_SECONDS: Final = 12 * 3600
