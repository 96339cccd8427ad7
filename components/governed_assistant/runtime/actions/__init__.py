"""The action contract: the strict Bedrock tools the spec's actions become, and their parsing.

``action_catalog(spec)`` builds, per action, a closed pydantic model of its parameters and a
strict JSON Schema; ``catalog.tool_config()`` is the Converse ``toolConfig`` (one for every tenant);
``parse_tool_use(block)`` turns the model's ``toolUse`` into an ActionProposal or raises
``ProposalError`` with a ``reason`` and a ``location``; ``malformed_proposal(...)`` is what travels
on instead of a tool use that does not parse; ``tenant_claims(value)`` lists every tenant it names.
"""

from __future__ import annotations

from governed_assistant.runtime.actions.contract import (
    ActionCatalog,
    ActionContract,
    action_catalog,
    tool_config,
)
from governed_assistant.runtime.actions.exceptions import ActionSchemaError, ProposalError, ProposalReason
from governed_assistant.runtime.actions.models import parameters_model
from governed_assistant.runtime.actions.schema import strict_parameters_schema, tool_input_schema
from governed_assistant.runtime.actions.tenants import (
    is_tenant_key,
    tenant_claims,
    tenant_context_text,
    tenant_in_text,
)
from governed_assistant.runtime.actions.tool_use import malformed_proposal, parse_tool_use

__all__ = [
    "ActionCatalog",
    "ActionContract",
    "ActionSchemaError",
    "ProposalError",
    "ProposalReason",
    "action_catalog",
    "is_tenant_key",
    "malformed_proposal",
    "parameters_model",
    "parse_tool_use",
    "strict_parameters_schema",
    "tenant_claims",
    "tenant_context_text",
    "tenant_in_text",
    "tool_config",
    "tool_input_schema",
]
