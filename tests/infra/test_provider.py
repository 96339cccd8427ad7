"""The stack's one AWS provider: every resource is created with it, and it tags them all."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from governed_assistant.infra.provider import ProviderSettingsError, stack_tags
from governed_assistant.infra.testing import MockRun, RegisteredResource, run_program

from tests.conftest import REPO_ROOT

PROJECT = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"]
SLUG = PROJECT  # the reference assistant's spec slug names its project too
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"


def evaluate(stack: str, **config: Any) -> MockRun:
    return run_program(
        REPO_ROOT, project=PROJECT, stack=stack, config={"dependenciesLayerArn": LAYER_ARN, **config}
    )


def the_provider(run: MockRun) -> tuple[str, RegisteredResource]:
    (found,) = run.providers().items()
    return found


def default_tags(provider: RegisteredResource) -> dict[str, str]:
    tags: dict[str, str] = json.loads(provider.inputs["defaultTags"])["tags"]
    return tags


@pytest.mark.parametrize(
    ("stack", "environment"),
    [pytest.param("dev", "non-production", id="dev"), pytest.param("prod", "production", id="prod")],
)
def test_every_resource_is_created_with_the_stack_provider_and_its_tags(stack: str, environment: str) -> None:
    """One aws provider tags assistant, stack, environment and cost-center; every cloud resource uses it."""
    run = evaluate(stack)
    reference, provider = the_provider(run)
    assert provider.type == "pulumi:providers:aws"
    assert default_tags(provider) == {
        "assistant": SLUG,
        "stack": stack,
        "environment": environment,
        "cost-center": SLUG,
    }
    others = [r for r in run.resources if r.custom and r is not provider]
    assert len(others) > 100
    assert {r.provider for r in others} == {reference}


def test_stack_aws_settings_reach_the_provider() -> None:
    """The stack's aws: settings configure the explicit provider as they would the default one."""
    run = evaluate(
        "dev",
        **{
            "aws:region": "eu-west-1",
            "aws:allowedAccountIds": ["123456789012"],
            "aws:maxRetries": 7,
            "aws:skipRequestingAccountId": True,
        },
    )
    _, provider = the_provider(run)
    assert provider.inputs["region"] == "eu-west-1"
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["123456789012"]
    assert json.loads(provider.inputs["maxRetries"]) == 7
    assert json.loads(provider.inputs["skipRequestingAccountId"]) is True


def test_stack_default_tags_are_kept_and_only_cost_center_is_overridden() -> None:
    """aws:defaultTags' own tags are added; its cost-center replaces the slug; the other three hold."""
    run = evaluate(
        "prod",
        **{"aws:defaultTags": {"tags": {"team": "support", "cost-center": "cc-42", "stack": "other"}}},
    )
    _, provider = the_provider(run)
    assert default_tags(provider) == {
        "team": "support",
        "cost-center": "cc-42",
        "assistant": SLUG,
        "stack": "prod",
        "environment": "production",
    }


def test_stack_tags_name_the_environment_by_the_production_rule() -> None:
    """environment is production exactly for the stacks is_production names."""
    stacks = ("prod", "prod-eu", "staging", "dev")
    environments = {stack: stack_tags("a", stack)["environment"] for stack in stacks}
    assert environments == {
        "prod": "production",
        "prod-eu": "production",
        "staging": "non-production",
        "dev": "non-production",
    }


def test_stack_default_tags_that_are_not_an_object_are_refused() -> None:
    """aws:defaultTags.tags that is not an object fails the program with how to set one."""
    with pytest.raises(ProviderSettingsError, match=r"aws:defaultTags\.tags must be an object"):
        evaluate("dev", **{"aws:defaultTags": {"tags": ["support"]}})
