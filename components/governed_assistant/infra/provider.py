"""The AWS provider a stack is built with: the stack's ``aws:`` settings, and tags on everything.

The program creates one explicit ``aws.Provider`` and hands it to the ``GovernedAssistant``
component, whose children (and their invokes) inherit it. Its ``defaultTags`` put four tags on
every resource AWS lets us tag, whether or not the code that creates it passes ``tags=``:

    assistant     the spec's slug
    stack         the Pulumi stack (``dev``, ``prod``...)
    environment   ``production`` or ``non-production``: ``is_production(stack)``, the rule that
                  also protects the stack's data
    cost-center   the spec's slug, unless the stack's ``aws:defaultTags`` names another; activate
                  it once per account (Billing, Cost allocation tags) to split the bill by it

An explicit provider reads no stack configuration (the default provider reads every ``aws:``
key), so ``aws_settings`` reads them as the default provider would, through pulumi_aws's own
``aws.config``, and the provider is given them: ``aws:region``, ``aws:profile``,
``aws:assumeRoles``... keep working. Tags the stack sets in ``aws:defaultTags`` are kept beside
the four; only ``cost-center`` may be overridden there.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from governed_assistant.errors import GovernanceError
from governed_assistant.spec.model import is_production

TAG_ASSISTANT: Final = "assistant"
TAG_STACK: Final = "stack"
TAG_ENVIRONMENT: Final = "environment"
TAG_COST_CENTER: Final = "cost-center"
PRODUCTION: Final = "production"
NON_PRODUCTION: Final = "non-production"


class ProviderSettingsError(GovernanceError):
    """When the stack's ``aws:`` settings cannot make the stack's provider."""


def stack_tags(slug: str, stack: str, stack_default_tags: Mapping[str, str] | None = None) -> dict[str, str]:
    """The provider's default tags: the stack's own ``aws:defaultTags``, then the four this stack sets."""
    own = dict(stack_default_tags or {})
    return {
        TAG_COST_CENTER: slug,
        **own,
        TAG_ASSISTANT: slug,
        TAG_STACK: stack,
        TAG_ENVIRONMENT: PRODUCTION if is_production(stack) else NON_PRODUCTION,
    }


def aws_settings() -> dict[str, Any]:
    """The stack's ``aws:`` settings as ``aws.Provider`` arguments: what the default provider reads.

    Only the settings the stack sets: an unset one is left to the provider (which, like the
    default provider, falls back to ``AWS_REGION``, ``AWS_PROFILE``...). Secret ones stay secret.
    """
    settings: dict[str, Any] = {}
    for name in _provider_arguments():
        full_key = f"aws:{_config_key(name)}"
        raw = pulumi.runtime.get_config(full_key)
        if raw is None:
            continue
        if pulumi.runtime.is_config_secret(full_key):
            # Credentials (accessKey, secretKey, token): text, read without the warning
            # ``aws.config`` would log for a secret.
            settings[name] = pulumi.Output.secret(_parsed(raw))
        else:
            # aws.config converts booleans and integers as the default provider does.
            settings[name] = _parsed(getattr(aws.config, name))
    return settings


def stack_provider(name: str, *, slug: str, stack: str, settings: Mapping[str, Any]) -> aws.Provider:
    """``<name>-aws``: the stack's provider, with ``settings`` (``aws_settings()``) and the stack's tags."""
    arguments = dict(settings)
    stack_defaults = arguments.pop("default_tags", None) or {}
    if isinstance(stack_defaults, pulumi.Output):
        raise ProviderSettingsError(
            "aws:defaultTags is a secret in this stack, but tags are never secret; set it again with "
            "`pulumi config set --path --plaintext aws:defaultTags.tags.<key> <value>`"
        )
    own_tags = stack_defaults.get("tags") or {}
    if not isinstance(own_tags, Mapping):
        raise ProviderSettingsError(
            f"aws:defaultTags.tags must be an object of tag names and values, got {type(own_tags).__name__}; "
            "set one with `pulumi config set --path aws:defaultTags.tags.<key> <value>`"
        )
    return aws.Provider(
        f"{name}-aws",
        default_tags=aws.ProviderDefaultTagsArgs(tags=stack_tags(slug, stack, own_tags)),
        **arguments,
    )


def _parsed(value: Any) -> Any:
    # Lists and objects (assumeRoles, allowedAccountIds, defaultTags...) come as JSON text.
    if isinstance(value, str) and value[:1] in ("[", "{"):
        return json.loads(value)
    return value


def _provider_arguments() -> list[str]:
    # Every setting aws.Provider takes (snake_case), from pulumi_aws's own signature, so a
    # setting a newer pulumi_aws adds is handed on too.
    return [name for name in inspect.signature(aws.ProviderArgs.__init__).parameters if name != "self"]


def _config_key(argument: str) -> str:
    """``assume_roles`` -> ``assumeRoles``: the stack configuration key of a provider argument."""
    first, *rest = argument.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
