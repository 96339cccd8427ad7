"""``kms_key``: none, create, or a KMS key ARN of the stack's region, in any partition."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from governed_assistant.spec import SpecError, parse_spec
from governed_assistant.spec.answers import answer_error, render_spec_yaml

from tests.conftest import REPO_ROOT

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _parse(document: dict[str, Any], **fields: Any) -> Any:
    return parse_spec(render_spec_yaml({**document, **fields}))


def test_kms_key_absent_is_none(document: dict[str, Any]) -> None:
    """A spec without kms_key keeps today's AWS-owned and AWS-managed keys."""
    document.pop("kms_key", None)
    spec = _parse(document)
    assert spec.kms_key == "none" and spec.kms_key_arn is None


def test_kms_key_create_names_no_arn(document: dict[str, Any]) -> None:
    """'create' asks the stack for its own key: there is no ARN to name yet."""
    spec = _parse(document, kms_key="create")
    assert spec.kms_key == "create" and spec.kms_key_arn is None


@pytest.mark.parametrize(
    ("region", "arn"),
    [
        pytest.param("us-east-1", f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}", id="aws"),
        pytest.param(
            "us-gov-west-1", f"arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/{KEY_ID}", id="aws-us-gov"
        ),
        pytest.param("cn-north-1", f"arn:aws-cn:kms:cn-north-1:111122223333:key/{KEY_ID}", id="aws-cn"),
        pytest.param(
            "eu-west-1",
            "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            id="multi-region-key",
        ),
    ],
)
def test_kms_key_arn_accepted(document: dict[str, Any], region: str, arn: str) -> None:
    """A key ARN of the stack's region is the key every store uses."""
    document.pop("model_id")  # the preset's model is a US inference profile; any strict model will do
    model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    try:
        spec = _parse(document, region=region, model_id=model, kms_key=arn)
    except SpecError as error:
        # Only the model's region rules may refuse this spec, never the key.
        assert all(problem.where != "kms_key" for problem in error.problems), str(error)
        return
    assert spec.kms_key_arn == arn


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("alias/support-ops", "an alias names a key only until", id="alias"),
        pytest.param(
            "arn:aws:kms:us-east-1:111122223333:alias/support-ops", "an alias names a key", id="alias-arn"
        ),
        pytest.param(KEY_ID, "neither 'none', 'create' nor a KMS key ARN", id="bare-key-id"),
        pytest.param(
            f"arn:aws:s3:us-east-1:111122223333:key/{KEY_ID}", "nor a KMS key ARN", id="other-service"
        ),
        pytest.param(
            f"arn:aws:kms:us-east-1:11112222333:key/{KEY_ID}", "nor a KMS key ARN", id="short-account"
        ),
        pytest.param("Create", "nor a KMS key ARN", id="capitalised-word"),
        pytest.param(f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}\n", "nor a KMS key ARN", id="newline"),
    ],
)
def test_kms_key_not_a_key_is_refused_with_the_fix(
    document: dict[str, Any], value: str, fragment: str
) -> None:
    """Anything else is refused at kms_key, saying what it is and what to give instead."""
    with pytest.raises(SpecError) as caught:
        _parse(document, kms_key=value)
    (problem,) = [problem for problem in caught.value.problems if problem.where == "kms_key"]
    assert fragment in problem.message and "'create'" in problem.message and "arn:aws:kms:" in problem.message


def test_kms_key_of_another_region_is_refused(document: dict[str, Any]) -> None:
    """A key in another region cannot encrypt the stack's stores; the refusal names both regions."""
    with pytest.raises(SpecError) as caught:
        _parse(document, kms_key=f"arn:aws:kms:eu-west-1:111122223333:key/{KEY_ID}")
    (problem,) = [problem for problem in caught.value.problems if problem.where == "kms_key"]
    assert "eu-west-1" in problem.message and document["region"] in problem.message


QUESTION = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["kms_key"]


def test_copier_question_defaults_to_none_and_validates_with_the_spec() -> None:
    """copier.yml asks kms_key as text, default none, checked by the spec's rules (the README's table row)."""
    assert (QUESTION["type"], QUESTION["default"]) == ("str", "none")
    assert QUESTION["validator"] == "{{ check_answer('kms_key') }}"
    row = next(
        line for line in (REPO_ROOT / "README.md").read_text().splitlines() if line.startswith("| `kms_key`")
    )
    assert "`none`" in row and "`create`" in row and "not an alias" in row


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        pytest.param("none", "", id="none"),
        pytest.param("create", "", id="create"),
        pytest.param(f"arn:aws:kms:eu-west-3:111122223333:key/{KEY_ID}", "", id="arn-of-the-region"),
        pytest.param("alias/support-ops", "an alias names a key", id="alias"),
        pytest.param(
            f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}", "the key is in us-east-1", id="other-region"
        ),
    ],
)
def test_copier_answer_is_judged_against_the_answered_region(answer: str, fragment: str) -> None:
    """The validator accepts none, create and a key of the answered region; others are refused, with why."""
    error = answer_error("kms_key", {"aws_region": "eu-west-3", "kms_key": answer})
    assert (fragment in error and error != "") if fragment else error == ""
