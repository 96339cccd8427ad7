"""The space of answers: what copier accepts deploys a governed assistant; the rest is refused, with why.

Not the presets, but everything the questionnaire takes (tests/spec_space.py's ``cases``): each
set of answers goes through copier's validators in copier.yml's order and, when accepted, through
the spec loader, the program under mocks in its region, the governance invariants and
``deploy_problems``. ``SPEC_SPACE_EXAMPLES=<n>`` runs more than the default (sized to stay under a
minute on a 2-core machine: about one program evaluation a second); ``bench/spec_space.py`` counts
and times a run.
"""

from __future__ import annotations

import os
import re
import typing
from collections import Counter
from pathlib import Path

from governed_assistant.spec.model import Retrieval
from hypothesis import HealthCheck, event, example, given, settings

from tests.spec_space import (
    BACKENDS,
    MODES,
    PRESETS,
    QUESTIONNAIRE,
    QUESTIONS,
    Case,
    cases,
    check_case,
    copier_environment,
    default_answers,
    problems_with,
)

EXAMPLES = int(os.environ.get("SPEC_SPACE_EXAMPLES", "30"))
SPACE = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a program evaluation takes about a second, more with many actions
    database=None,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_answer_space_accepted_answers_deploy_and_refused_ones_say_why() -> None:
    """Every generated set of answers is accepted and deploys cleanly, or refused with a message."""
    tally: Counter[str] = Counter()

    # Defects the space found, pinned (each also has a regression test of its own in tests/spec).
    @SPACE
    @given(case=cases())
    # China: copier's model default was a global profile, which its own validator refused.
    @example(case=Case(default_answers(aws_region="cn-north-1")))
    # A long name, or one starting with digits: copier's slug default was refused.
    @example(case=Case(default_answers(project_name="123 " + "N" * 96)))
    # approval above 0.9: copier's deny default (0.9) was refused.
    @example(case=Case(default_answers(approval_threshold=1.0)))
    # Cognito with an OIDC-style roles claim: accepted, then the program failed.
    @example(case=Case(default_answers(roles_claim="roles"), refuse_at="roles_claim", label="cognito roles"))
    # A trailing newline passed the identifier check (re.match and `$`).
    @example(case=Case(default_answers(project_slug="support_ops\n"), refuse_at="project_slug", label="nl"))
    # A line break in the name broke the YAML comment assistant.yaml starts with.
    @example(case=Case(default_answers(project_name="Bot\u2028x"), refuse_at="project_name", label="nl"))
    # A roles answer that is a number raised TypeError inside every later validator.
    @example(case=Case(default_answers(approver_roles=5), refuse_at="approver_roles", label="number"))
    # An empty approver_roles answer was silently replaced by ["supervisor"].
    @example(case=Case(default_answers(approver_roles=None), refuse_at="approver_roles", label="empty"))
    def check(case: Case) -> None:
        outcome = check_case(case)
        event(outcome.reason)
        event(f"drawn: {case.label.split(':')[0]}")
        problems = problems_with(case, outcome)
        assert not problems, "\n".join(problems)
        tally["accepted" if outcome.accepted else "refused"] += 1
        tally["evaluated"] += outcome.evaluated

    check()
    print(f"answer space: {dict(tally)}")  # shown with pytest -rP
    assert tally["accepted"] and tally["refused"] and tally["evaluated"], tally


def test_answer_space_reproduces_copiers_questionnaire() -> None:
    """The space asks copier.yml's questions, and its stand-ins are the extension's globals, one for one."""
    validators = {q: QUESTIONNAIRE[q]["validator"] for q in QUESTIONS if "validator" in QUESTIONNAIRE[q]}
    assert validators == {q: f"{{{{ check_answer('{q}') }}}}" for q in validators}
    extension = (Path(__file__).resolve().parents[2] / "extensions" / "spec_extension.py").read_text()
    registered = set(re.findall(r"^\s+(\w+)=\w+,$", extension.split("environment.globals.update(")[1], re.M))
    # Not stand-ins: the validators and the all-answers check (refuse_invalid_answers) are called
    # directly (validator_messages), and the pin and the answers file are not part of the spec.
    not_rendered = {
        "check_answer", "refuse_invalid_answers", "package_requirement", "recorded_answers",
        "check_actions_file",  # the space types actions in the editor (NOT_IN_SPEC), never from a file
    }  # fmt: skip
    assert registered - not_rendered <= set(copier_environment().globals)
    # The choices the space draws from are the questionnaire's, and the spec takes each of them.
    assert set(QUESTIONNAIRE["mode"]["choices"]) == set(MODES)
    assert set(QUESTIONNAIRE["preset"]["choices"].values()) == set(PRESETS)
    assert set(BACKENDS) == set(typing.get_args(Retrieval.model_fields["backend"].annotation))
