"""The action contract's fixed names and limits, in one place."""

from __future__ import annotations

import re
from typing import Final

# The keys of every action tool's input, camelCase like the ActionProposal on the wire.
RESOURCE_ID_KEY: Final = "resourceId"
TENANT_ID_KEY: Final = "tenantId"
PARAMETERS_KEY: Final = "parameters"
TOOL_INPUT_KEYS: Final = frozenset({RESOURCE_ID_KEY, TENANT_ID_KEY, PARAMETERS_KEY})

# Same bounds as ActionProposal.resource_id.
MAX_RESOURCE_ID_CHARS: Final = 256

# botocore's bedrock-runtime model: ToolName and ToolUseId shapes (service-2.json, 2023-09-30).
TOOL_NAME_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOOL_USE_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
# ToolUseBlock members: toolUseId, name and input are required; type is optional.
TOOL_USE_KEYS: Final = frozenset({"toolUseId", "name", "input", "type"})
