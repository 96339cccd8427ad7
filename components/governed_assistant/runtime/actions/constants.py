"""The action contract's fixed names and limits, in one place."""

from __future__ import annotations

import re
from typing import Final

# ActionProposal's bounds, re-exported for the tool schema: contracts.py owns every rule of a proposal.
from governed_assistant.contracts import ACTION_TYPE_PATTERN
from governed_assistant.contracts import MAX_RESOURCE_ID_CHARS as MAX_RESOURCE_ID_CHARS

# The keys of every action tool's input, camelCase like the ActionProposal on the wire.
RESOURCE_ID_KEY: Final = "resourceId"
TENANT_ID_KEY: Final = "tenantId"
PARAMETERS_KEY: Final = "parameters"
TOOL_INPUT_KEYS: Final = frozenset({RESOURCE_ID_KEY, TENANT_ID_KEY, PARAMETERS_KEY})

# botocore's bedrock-runtime model: ToolName and ToolUseId shapes (service-2.json, 2023-09-30).
# (ActionProposal.action_type: a tool name is an action type.)
TOOL_NAME_PATTERN: Final = ACTION_TYPE_PATTERN
TOOL_USE_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
# ToolUseBlock members: toolUseId, name and input are required; type is optional.
TOOL_USE_KEYS: Final = frozenset({"toolUseId", "name", "input", "type"})
