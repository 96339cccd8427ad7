"""model_id names a model documented to take strict tools, through a profile its region may call."""

from __future__ import annotations

from typing import Any

import pytest
from governed_assistant.spec import SpecError, parse_spec
from governed_assistant.spec.answers import render_spec_yaml
from governed_assistant.spec.models import (
    STRICT_TOOL_MODELS,
    STRICT_TOOL_USE_DOCS,
    default_model_id,
    split_model_id,
)

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"
ACCOUNT = "123456789012"


def _spec(document: dict[str, Any], model_id: str, region: str = "us-east-1") -> Any:
    return parse_spec(render_spec_yaml({**document, "model_id": model_id, "region": region}))


def _problems(document: dict[str, Any], model_id: str, region: str = "us-east-1") -> list[str]:
    with pytest.raises(SpecError) as caught:
        _spec(document, model_id, region)
    return [problem.message for problem in caught.value.problems if problem.where == "model_id"]


@pytest.mark.parametrize(
    ("model_id", "region"),
    [
        pytest.param(SONNET_45, "us-east-1", id="base-model"),
        pytest.param(f"us.{SONNET_45}", "us-west-2", id="us-profile"),
        pytest.param(f"eu.{SONNET_45}", "eu-west-1", id="eu-profile"),
        pytest.param(f"apac.{SONNET_45}", "ap-southeast-1", id="apac-profile"),
        pytest.param(f"jp.{SONNET_45}", "ap-northeast-1", id="jp-profile"),
        pytest.param(f"global.{SONNET_45}", "eu-central-1", id="global-profile"),
        pytest.param("us.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1", id="haiku-4-5"),
        pytest.param("us.anthropic.claude-opus-4-5-20251101-v1:0", "us-east-1", id="opus-4-5"),
        pytest.param("global.anthropic.claude-opus-4-6-v1", "us-east-1", id="opus-4-6"),
        pytest.param(
            f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.{SONNET_45}",
            "eu-west-1",
            id="profile-arn",
        ),
    ],
)
def test_model_id_strict_capable_model_is_accepted(
    document: dict[str, Any], model_id: str, region: str
) -> None:
    """A strict-capable model, as a base id, a profile of the region's geography or its ARN, loads."""
    assert _spec(document, model_id, region).model_id == model_id


@pytest.mark.parametrize(
    "model_id",
    [
        pytest.param(f"us.{SONNET_4}", id="sonnet-4-profile"),
        pytest.param(SONNET_4, id="sonnet-4-base"),
        pytest.param(
            f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{SONNET_4}", id="sonnet-4-arn"
        ),
        pytest.param("anthropic.claude-3-5-sonnet-20240620-v1:0", id="claude-3-5-sonnet"),
        pytest.param("amazon.nova-pro-v1:0", id="unknown-model"),
    ],
)
def test_model_id_without_strict_tool_use_is_refused_naming_the_rule(
    document: dict[str, Any], model_id: str
) -> None:
    """A model not documented for strict tool use is refused at model_id, with the rule and the choices."""
    (message,) = _problems(document, model_id)
    assert "strict tool use is documented only for" in message
    assert all(name in message for name in STRICT_TOOL_MODELS.values())
    assert STRICT_TOOL_USE_DOCS in message
    assert "pick one of" in message


def test_model_id_sonnet_4_profile_suggests_the_same_geography(document: dict[str, Any]) -> None:
    """An older spec's Sonnet 4 profile is told the strict-capable profile of its own geography."""
    (message,) = _problems(document, f"eu.{SONNET_4}", region="eu-west-1")
    assert f"'{SONNET_4}' is not documented to support strict tool use" in message
    assert f"eu.{SONNET_45}" in message


@pytest.mark.parametrize(
    ("model_id", "region", "suggested"),
    [
        pytest.param(f"us.{SONNET_45}", "eu-west-1", f"eu.{SONNET_45}", id="us-profile-in-eu"),
        pytest.param(f"eu.{SONNET_45}", "us-east-1", f"us.{SONNET_45}", id="eu-profile-in-us"),
        pytest.param(f"us.{SONNET_45}", "ap-south-1", f"apac.{SONNET_45}", id="us-profile-in-apac"),
        pytest.param(f"jp.{SONNET_45}", "ap-southeast-1", f"apac.{SONNET_45}", id="jp-profile-outside-japan"),
        pytest.param(f"global.{SONNET_45}", "us-gov-west-1", f"us-gov.{SONNET_45}", id="global-in-govcloud"),
        pytest.param(f"global.{SONNET_45}", "cn-north-1", SONNET_45, id="global-in-china"),
        pytest.param(f"us.{SONNET_45}", "cn-northwest-1", SONNET_45, id="us-profile-in-china"),
        pytest.param(
            f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{SONNET_45}",
            "eu-west-1",
            f"eu.{SONNET_45}",
            id="us-profile-arn-in-eu",
        ),
    ],
)
def test_model_id_profile_of_another_geography_is_refused_with_the_right_prefix(
    document: dict[str, Any], model_id: str, region: str, suggested: str
) -> None:
    """A cross-Region profile the spec's region cannot call is refused, naming the one it can."""
    (message,) = _problems(document, model_id, region)
    assert f"does not serve region {region}" in message or "not offered" in message
    assert repr(suggested) in message


def test_model_id_application_profile_is_refused_as_uncheckable(document: dict[str, Any]) -> None:
    """An application inference profile hides its model, so it is refused with the system profile to use."""
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3"
    (message,) = _problems(document, arn)
    assert "cannot be checked" in message
    assert f"us.{SONNET_45}" in message


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        pytest.param("us-east-1", f"us.{SONNET_45}", id="us"),
        pytest.param("eu-central-1", f"eu.{SONNET_45}", id="eu"),
        pytest.param("ap-northeast-1", f"apac.{SONNET_45}", id="apac"),
        pytest.param("us-gov-west-1", f"us-gov.{SONNET_45}", id="govcloud"),
        pytest.param("sa-east-1", f"global.{SONNET_45}", id="no-geography"),
        # No cross-Region profile serves China, not even a global one: the base model.
        pytest.param("cn-north-1", SONNET_45, id="china"),
    ],
)
def test_default_model_id_follows_the_region(document: dict[str, Any], region: str, expected: str) -> None:
    """The default is Sonnet 4.5 through the profile serving the region, and it loads there."""
    assert default_model_id(region) == expected
    if not region.startswith("us-gov-"):
        assert _spec(document, expected, region).model_id == expected


def test_split_model_id_reads_geography_and_base_model() -> None:
    """A profile id splits into geography and base model; a base id has no geography."""
    assert split_model_id(f"apac.{SONNET_45}") == ("apac", SONNET_45)
    assert split_model_id(SONNET_45) == (None, SONNET_45)
