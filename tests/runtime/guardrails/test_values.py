"""Model-written values screened as output: one call when all pass, one per value to find what to withhold."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from governed_assistant.runtime.guardrails import (
    WITHHELD_MARKER,
    Guardrail,
    replace_text_values,
    screen_values,
    text_values,
)

GUARDRAIL_ID = "grvalues"
USAGE = {
    "topicPolicyUnits": 1,
    "contentPolicyUnits": 0,
    "wordPolicyUnits": 0,
    "sensitiveInformationPolicyUnits": 1,
    "sensitiveInformationPolicyFreeUnits": 0,
    "contextualGroundingPolicyUnits": 0,
}
TOPIC = {"topicPolicy": {"topics": [{"name": "Legal advice", "type": "DENY", "action": "BLOCKED"}]}}
EMAIL = {
    "sensitiveInformationPolicy": {
        "piiEntities": [{"match": "a@b.io", "type": "EMAIL", "action": "ANONYMIZED"}],
        "regexes": [],
    }
}


def _passes(stubber: Stubber, text: str) -> None:
    stubber.add_response(
        "apply_guardrail",
        {"usage": USAGE, "action": "NONE", "outputs": [], "assessments": []},
        {"guardrailIdentifier": GUARDRAIL_ID, "guardrailVersion": "1", "source": "OUTPUT",
         "content": [{"text": {"text": text}}]},
    )  # fmt: skip


def _intervenes(stubber: Stubber, output: str, assessment: dict[str, Any]) -> None:
    stubber.add_response(
        "apply_guardrail",
        {
            "usage": USAGE,
            "action": "GUARDRAIL_INTERVENED",
            "outputs": [{"text": output}],
            "assessments": [assessment],
        },
    )


def test_screen_values_all_clean_costs_one_call(bedrock: Any, stubber: Stubber) -> None:
    """Values the guardrail passes together are screened by one call, as output, and leave unchanged."""
    values = {"resourceId": "acme-1", "parameters.note": "customer confirmed"}
    _passes(stubber, "acme-1\ncustomer confirmed")
    screened = screen_values(Guardrail(bedrock, GUARDRAIL_ID, "1"), values)
    assert (screened.values, screened.outcome, screened.details()) == (
        values,
        "passed",
        {"outcome": "passed"},
    )


def test_screen_values_withholds_the_blocked_value_and_masks_the_anonymized(
    bedrock: Any, stubber: Stubber
) -> None:
    """After the joint call intervenes, each value is judged alone: blocked ones withheld, PII masked."""
    values = {"resourceId": "a@b.io", "parameters.note": "interpret this contract", "tenantId": "acme"}
    _intervenes(stubber, "Sorry.", TOPIC)
    _intervenes(stubber, "{EMAIL}", EMAIL)
    _intervenes(stubber, "Sorry.", TOPIC)
    _passes(stubber, "acme")
    screened = screen_values(Guardrail(bedrock, GUARDRAIL_ID, "1"), values)
    assert screened.values == {
        "resourceId": "{EMAIL}",
        "parameters.note": WITHHELD_MARKER,
        "tenantId": "acme",
    }
    assert screened.details() == {
        "outcome": "blocked",
        "withheld": ["parameters.note"],
        "masked": ["resourceId"],
        "filters": ["topic:Legal advice:BLOCKED", "pii:EMAIL:ANONYMIZED"],
    }


def test_screen_values_blocked_only_together_withholds_them_all(bedrock: Any, stubber: Stubber) -> None:
    """When the combination is blocked and no value alone is, every value is withheld."""
    values = {"a": "first half", "b": "second half"}
    _intervenes(stubber, "Sorry.", TOPIC)
    _passes(stubber, "first half")
    _passes(stubber, "second half")
    screened = screen_values(Guardrail(bedrock, GUARDRAIL_ID, "1"), values)
    assert screened.values == {"a": WITHHELD_MARKER, "b": WITHHELD_MARKER}
    assert (screened.outcome, screened.withheld) == ("blocked", ("a", "b"))


def test_screen_values_unreachable_guardrail_withholds_everything(bedrock: Any, stubber: Stubber) -> None:
    """Unscreened text never leaves: every value is withheld, and the error is kept for the record."""
    stubber.add_client_error("apply_guardrail", "AccessDeniedException", "no", 403)
    screened = screen_values(Guardrail(bedrock, GUARDRAIL_ID, "1"), {"a": "x"})
    assert (screened.values, screened.outcome) == ({"a": WITHHELD_MARKER}, "unscreened")
    assert screened.error is not None and "AccessDeniedException" in screened.error


@pytest.mark.parametrize(
    ("replacements", "expected"),
    [
        pytest.param({}, {"id": "r-1", "p": {"note": "n", "tags": ["t"]}}, id="nothing-replaced"),
        pytest.param(
            {"x.p.note": WITHHELD_MARKER, "x.p.tags[0]": "{EMAIL}"},
            {"id": "r-1", "p": {"note": WITHHELD_MARKER, "tags": ["{EMAIL}"]}},
            id="values",
        ),
        pytest.param(
            {"x.p.note#key": WITHHELD_MARKER, "x.p.tags#key": WITHHELD_MARKER},
            {"id": "r-1", "p": {WITHHELD_MARKER: "n", f"{WITHHELD_MARKER} (2)": ["t"]}},
            id="withheld-keys",
        ),
    ],
)
def test_replace_text_values_puts_screened_values_back(replacements: dict[str, str], expected: Any) -> None:
    """Values go back where ``text_values`` found them; a mapping keeps every entry, names withheld too."""
    tree = {"id": "r-1", "p": {"note": "n", "tags": ["t"]}}
    assert set(text_values(tree, "x", keys=False)) == {
        "x.id",
        "x.p.note#key",
        "x.p.note",
        "x.p.tags#key",
        "x.p.tags[0]",
    }
    assert replace_text_values(tree, replacements, "x") == expected
