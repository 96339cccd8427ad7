"""Which Bedrock models ``model_id`` may name: the Claude models documented to take strict tools.

Every action is a ``strict: true`` tool (``governed_assistant.runtime.actions``): Bedrock then
compiles the tool's input schema into a grammar and the model can only emit a matching input.
A model without strict tool use refuses the whole Converse request ("Extra inputs are not
permitted" on ``toolSpec.strict``), so the spec refuses it here, before anything is deployed.

``model_id`` is one of:

- a base model id, ``anthropic.claude-sonnet-4-5-20250929-v1:0``;
- a cross-Region inference profile id, a geography and a base model id,
  ``us.anthropic.claude-sonnet-4-5-20250929-v1:0``, whose geography must serve the spec's region
  (``us`` from us-*, ``eu`` from eu-*, ``apac`` from ap-*, ``global`` from any commercial region);
- the ARN of such a profile, ``arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic...``.

An application inference profile's ARN does not say which model it runs, so it cannot be
checked and is refused; name the system profile it was copied from instead.

Sources:
- Strict tool use (structured outputs) is documented for Claude Sonnet 4.5, Haiku 4.5, Opus 4.5
  and Opus 4.6: https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-structured-outputs.html
  and https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
- Cross-Region inference profiles, their geographies and source Regions:
  https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
- Claude Sonnet 4 on Converse refuses ``toolSpec.strict`` with "Extra inputs are not permitted":
  https://github.com/BerriAI/litellm/pull/35688
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

STRICT_TOOL_USE_DOCS: Final = (
    "https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-structured-outputs.html"
)

# Base model id -> name, in the order the docs list them (structured outputs' supported models).
STRICT_TOOL_MODELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "anthropic.claude-sonnet-4-5-20250929-v1:0": "Claude Sonnet 4.5",
        "anthropic.claude-haiku-4-5-20251001-v1:0": "Claude Haiku 4.5",
        "anthropic.claude-opus-4-5-20251101-v1:0": "Claude Opus 4.5",
        "anthropic.claude-opus-4-6-v1": "Claude Opus 4.6",
    }
)
DEFAULT_BASE_MODEL: Final = "anthropic.claude-sonnet-4-5-20250929-v1:0"

# The geography a cross-Region profile serves, by the spec region's prefix; ``global`` profiles
# serve every commercial Region (not GovCloud). Regions without a geography here (ca-, sa-, me-,
# af-, il-, mx-) call a base model or a ``global`` profile.
GLOBAL_GEOGRAPHY: Final = "global"
REGION_GEOGRAPHIES: Final[Mapping[str, str]] = MappingProxyType(
    {"us-gov-": "us-gov", "us-": "us", "eu-": "eu", "ap-": "apac"}
)
# Country geographies inside APAC, for the Regions they are sourced from.
COUNTRY_GEOGRAPHIES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "jp": frozenset({"ap-northeast-1", "ap-northeast-3"}),
        "au": frozenset({"ap-southeast-2", "ap-southeast-4"}),
    }
)
GEOGRAPHIES: Final = frozenset({*REGION_GEOGRAPHIES.values(), *COUNTRY_GEOGRAPHIES, GLOBAL_GEOGRAPHY})

_PROFILE_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]+):\d{12}:"
    r"(?P<kind>inference-profile|application-inference-profile)/(?P<id>[\w.:-]+)$"
)
_PROFILE_ID = re.compile(r"^(?P<geography>[a-z]+(?:-[a-z]+)?)\.(?P<base>[a-z0-9-]+\.[\w.:-]+)$")


class ModelIdError(ValueError):
    """``model_id`` names a model, or a profile, this assistant cannot use; says which to use."""


def region_geography(region: str) -> str | None:
    """The cross-Region geography that serves ``region`` (``us``, ``eu``, ``apac``...); None if none."""
    return next(
        (geography for prefix, geography in REGION_GEOGRAPHIES.items() if region.startswith(prefix)), None
    )


def region_partition(region: str) -> str:
    """The AWS partition ``region`` belongs to: the first field of every ARN made there."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def default_model_id(region: str) -> str:
    """The default ``model_id`` for ``region``: Claude Sonnet 4.5 through the profile that serves it.

    China has no cross-Region profile, not even a global one: there it is the base model.
    """
    return profile_for(region, DEFAULT_BASE_MODEL)


def profile_for(region: str, base: str) -> str:
    """The id ``region`` calls ``base`` by: its geography's profile, else global, else the base id."""
    geography = region_geography(region)
    if geography is None and not region.startswith("cn-"):
        geography = GLOBAL_GEOGRAPHY
    return f"{geography}.{base}" if geography else base


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """``(geography, base model id)`` of a model id, profile id or profile ARN; geography None for a base id.

    Raises ModelIdError for an application inference profile (its model cannot be read).
    """
    arn = _PROFILE_ARN.match(model_id)
    if arn is not None:
        if arn["kind"] == "application-inference-profile":
            raise ModelIdError(
                f"{model_id!r} is an application inference profile, whose model cannot be checked "
                "for strict tool use; name the system inference profile or model it runs instead "
                f"(e.g. {default_model_id(arn['region'])!r})"
            )
        model_id = arn["id"]
    profile = _PROFILE_ID.match(model_id)
    if profile is not None and profile["geography"] in GEOGRAPHIES:
        return profile["geography"], profile["base"]
    return None, model_id


def _choices(geography: str | None) -> str:
    prefix = f"{geography}." if geography else ""
    return ", ".join(f"{prefix}{base} ({name})" for base, name in STRICT_TOOL_MODELS.items())


def check_strict_model(model_id: str) -> str:
    """``model_id`` when its model takes strict tools; ModelIdError naming the rule otherwise."""
    if model_id != model_id.strip() or not model_id:
        raise ModelIdError(
            f"{model_id!r} is not a model id; remove the spaces (e.g. {default_model_id('us-east-1')!r})"
        )
    geography, base = split_model_id(model_id)
    if base not in STRICT_TOOL_MODELS:
        raise ModelIdError(
            f"{base!r} is not documented to support strict tool use, and every action is a strict "
            f"tool (Bedrock refuses `strict` for other models); strict tool use is documented only for "
            f"{', '.join(STRICT_TOOL_MODELS.values())} ({STRICT_TOOL_USE_DOCS}); "
            f"pick one of {_choices(geography)}"
        )
    return model_id


def region_problem(model_id: str, region: str) -> str | None:
    """Why ``model_id``'s inference profile cannot be called from ``region``; None when it can."""
    try:
        geography, base = split_model_id(model_id)
    except ModelIdError:
        return None  # reported by check_strict_model
    if geography is None:
        return None
    if geography == GLOBAL_GEOGRAPHY:
        if region.startswith(("us-gov-", "cn-")):
            return f"a global inference profile is not offered in {region}; use {profile_for(region, base)!r}"
        return None
    if geography in COUNTRY_GEOGRAPHIES:
        if region in COUNTRY_GEOGRAPHIES[geography]:
            return None
    elif region_geography(region) == geography:
        return None
    suggestion = profile_for(region, base)
    return (
        f"the {geography!r} inference profile does not serve region {region}: a cross-Region "
        f"profile is called from a Region of its own geography; use {suggestion!r} "
        "(or change region)"
    )
