"""The space of copier answers: what the questionnaire accepts, and what each set of answers must pass.

``cases()`` draws answers the way a user gives them: copier.yml's questions in order, each
either its default (rendered from the answers before it, as copier renders it) or a value of
the user's own, valid by construction; now and then one answer is corrupted, and the case says
which question must refuse it. ``check_answers`` then does what copier and ``pulumi up`` would:

1. every question's validator, in copier.yml's order, with the answers given so far
   (``answer_error``, the function copier.yml's validators call); a validator never raises;
2. for accepted answers: the assistant.yaml copier renders loads, the program evaluates under
   mocks in the answers' region, ``check_resources`` finds no invariant violation and
   ``deploy_problems`` nothing AWS would refuse.

``tests/infra/test_spec_space.py`` runs it under pytest; ``bench/spec_space.py`` counts and times it.
"""

from __future__ import annotations

import keyword
import math
import traceback
import typing
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.loaders
import jinja2
import pulumi
import yaml
from governed_assistant.infra import GovernedAssistant, GovernedAssistantArgs
from governed_assistant.infra.invariants import check_resources
from governed_assistant.infra.testing import ACCOUNT_ID, MockRun, run_with_mocks
from governed_assistant.runtime.actions.strict_subset import (
    MAX_OPTIONAL_PARAMETERS,
    MAX_STRICT_TOOLS,
    MAX_UNION_PARAMETERS,
)
from governed_assistant.spec import AssistantSpec, RetryPolicy, SpecError, parse_spec
from governed_assistant.spec.answers import (
    QUESTION_PATHS,
    answer_error,
    answers_error,
    default_deny,
    default_roles,
    default_slug,
    render_spec_yaml,
    spec_from_answers,
    used_roles,
)
from governed_assistant.spec.model import MAX_TIMEOUT_SECONDS, PII_ENTITY_TYPES, RETENTION_DAYS, is_production
from governed_assistant.spec.models import (
    COUNTRY_GEOGRAPHIES,
    GLOBAL_GEOGRAPHY,
    STRICT_TOOL_MODELS,
    default_model_id,
    region_geography,
    region_partition,
)
from governed_assistant.spec.problems import format_path
from governed_assistant.spec.strict_schema import RESERVED_PARAMETER_NAMES
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from tests.aws_validators import deploy_problems
from tests.conftest import REPO_ROOT

QUESTIONNAIRE: dict[str, Any] = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))
# The questions copier asks, in its order (not the never-asked first one that checks all answers).
QUESTIONS: tuple[str, ...] = tuple(key for key in QUESTIONNAIRE if key in QUESTION_PATHS)
PRESETS_DIR = REPO_ROOT / "scaffolds" / "presets"
PRESETS: tuple[str, ...] = tuple(sorted(path.stem for path in PRESETS_DIR.glob("*.yaml")))
MODES: tuple[str, ...] = typing.get_args(AssistantSpec.model_fields["mode"].annotation)
BACKENDS: tuple[str, ...] = tuple(
    QUESTIONNAIRE["retrieval_backend"]["choices"].values()  # the questionnaire's own choices
)
LAYER = "arn:{partition}:lambda:{region}:" + ACCOUNT_ID + ":layer:deps:1"


# ------------------------------------------------------------------ copier, reproduced


@cache
def preset_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def _preset_value(name: str, key: str) -> Any:
    return preset_data(name)[key]


def _preset_yaml(name: str, key: str) -> str:
    return yaml.safe_dump(preset_data(name)[key], sort_keys=False, width=100)


@jinja2.pass_context
def _assistant_yaml(context: jinja2.runtime.Context) -> str:
    answers = {key: value for key, value in context.get_all().items() if not key.startswith("_")}
    return render_spec_yaml(spec_from_answers(answers, role_descriptions(answers)))


@jinja2.pass_context
def _roles_default(context: jinja2.runtime.Context) -> str:
    answers = {key: value for key, value in context.get_all().items() if not key.startswith("_")}
    return yaml.safe_dump(
        default_roles(answers, role_descriptions(answers)), sort_keys=False, allow_unicode=True
    )


@jinja2.pass_context
def _actions_default(context: jinja2.runtime.Context) -> str:
    # extensions/spec_extension.py's, for a new project typed in the editor: the preset's actions.
    if context.get("mode") == "answer":
        return "[]"
    return _preset_yaml(str(context.get("preset")), "actions")


@cache
def copier_environment() -> SandboxedEnvironment:
    """copier's Jinja environment, with extensions/spec_extension.py's globals standing in.

    Importing that extension purges ``governed_assistant`` from ``sys.modules`` (copier update needs
    it to), which would split this test session's classes in two; its globals are one line each.
    """
    environment = SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        autoescape=False,
        keep_trailing_newline=True,
    )
    environment.globals.update(
        preset_value=_preset_value,
        preset_yaml=_preset_yaml,
        default_model_id=default_model_id,
        default_slug=default_slug,
        default_deny=default_deny,
        roles_default=_roles_default,
        actions_default=_actions_default,
        assistant_yaml=_assistant_yaml,
        is_production=is_production,
    )
    return environment


# The questions that do not land in the spec, answered so that every spec question is asked: the
# actions typed in the editor (the questionnaire's other choices, the preset's or a file's, give
# actions the editor can give too).
NOT_IN_SPEC = {"actions_from": "editor"}


def _render(text: str, answers: Mapping[str, Any]) -> str:
    return copier_environment().from_string(text).render(**NOT_IN_SPEC, **answers)


def _cast(question: str, value: Any) -> Any:
    """What copier makes of a rendered answer for the question's ``type``."""
    kind = QUESTIONNAIRE[question].get("type", "str")
    if kind == "yaml":
        return yaml.safe_load(value) if isinstance(value, str) else value
    if kind == "bool" and isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "y", "1", "on")
    return {"int": int, "float": float, "str": str}.get(kind, lambda v: v)(value)


def copier_default(question: str, given: Mapping[str, Any]) -> Any:
    """The question's default, rendered from the answers given before it, as copier renders it."""
    default = QUESTIONNAIRE[question].get("default")
    return _cast(question, _render(default, given) if isinstance(default, str) else default)


def asked(question: str, given: Mapping[str, Any]) -> bool:
    """Whether copier asks (and validates) the question, after the answers given so far."""
    when = QUESTIONNAIRE[question].get("when", True)
    if isinstance(when, str):
        return _render(when, given).strip().lower() in ("true", "yes", "1")
    return bool(when)


def role_descriptions(answers: Mapping[str, Any]) -> dict[str, str]:
    """The role descriptions copier's assistant.yaml takes: the chosen preset's."""
    preset = answers.get("preset")
    return dict(preset_data(preset).get("roles", {})) if preset in PRESETS else {}


# ------------------------------------------------------------------ the checks


@dataclass(frozen=True)
class Outcome:
    """What became of one set of answers."""

    refusals: Mapping[str, str]
    """Each question that refused its answer, and copier's message for it."""
    failures: tuple[str, ...]
    """Defects: a validator raising, accepted answers whose spec or program fails, violations."""
    evaluated: bool = False
    """Whether the program was evaluated under mocks (only for accepted answers)."""

    @property
    def accepted(self) -> bool:
        return not self.refusals

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def reason(self) -> str:
        """``accepted``, or ``refused: <first question that refused>``."""
        return "accepted" if self.accepted else f"refused: {next(iter(self.refusals))}"


def validator_messages(answers: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Run each question's validator as copier does: in order, with the answers given so far.

    Copier skips a question whose ``when`` is false when its default stays in the answers
    (unvalidated), but validates an answer given to it as data. Returns the refusals by question,
    and the validators that raised.
    """
    given: dict[str, Any] = {}
    refusals: dict[str, str] = {}
    failures: list[str] = []
    for question in QUESTIONS:
        if question not in answers:
            continue
        given[question] = answers[question]
        # Copier validates an answer given as data even to a question it does not ask (its
        # `when` false); an unasked question left to its default it neither asks nor checks.
        if not asked(question, given) and answers[question] == copier_default(question, given):
            continue
        try:
            message = answer_error(question, given)
        except Exception as error:
            failures.append(f"validator {question!r} raised {type(error).__name__}: {error}")
            continue
        if message.strip():
            refusals[question] = message
            if "should match pattern" in message:
                failures.append(f"validator {question!r} shows a regular expression: {message!r}")
            if format_path(QUESTION_PATHS[question]) not in message:
                failures.append(f"validator {question!r} refused without saying where: {message!r}")
        elif message:
            failures.append(f"validator {question!r} refused with a blank message {message!r}")
    # Before any of them, copier's first (never-asked) question lists every bad answer at once:
    # it must name each question its validator refuses, and raise nothing.
    try:
        listed = answers_error(given, set(QUESTION_PATHS))
    except Exception as error:
        failures.append(f"the all-answers check raised {type(error).__name__}: {error}")
    else:
        left_out = [question for question in refusals if f"question {question!r}" not in listed]
        if left_out:
            failures.append(f"the all-answers check left out {left_out}: {listed!r}")
    return refusals, failures


def render_assistant_yaml(answers: Mapping[str, Any]) -> str:
    """template/assistant.yaml.jinja rendered with the answers, as copier writes assistant.yaml."""
    template = (REPO_ROOT / "template" / "assistant.yaml.jinja").read_text(encoding="utf-8")
    return _render(template, answers)


def assistant_args(spec: AssistantSpec, telemetry_sink: str, protect_data: bool) -> GovernedAssistantArgs:
    """The component's arguments, as tests/infra/test_assistant.py's ``assistant_args``, in any partition."""
    layer = LAYER.format(partition=region_partition(spec.region), region=spec.region)
    return {
        "spec": spec,
        "code": {"archive": pulumi.FileArchive(str(REPO_ROOT / "components")), "dependencies": layer},
        "protect_data": protect_data,
        "telemetry_sink": "firehose" if telemetry_sink == "firehose" else "log",
    }


def evaluate(spec: AssistantSpec, stack: str, telemetry_sink: str = "log") -> MockRun:
    """The program for ``spec`` under mocks, on ``stack`` in the spec's region."""
    args = assistant_args(spec, telemetry_sink, protect_data=is_production(stack))
    return run_with_mocks(
        lambda: GovernedAssistant(spec.slug, args), project=spec.slug, stack=stack, region=spec.region
    )


def check_answers(
    answers: Mapping[str, Any], *, stack: str | None = None, telemetry_sink: str = "log"
) -> Outcome:
    """Validate ``answers`` as copier does; when accepted, load, evaluate and check what they make.

    ``stack`` is the stack to evaluate (the answers' first by default); ``telemetry_sink`` is
    its ``telemetrySink`` setting (``firehose`` only takes effect with ``opensearch``).
    """
    refusals, failures = validator_messages(answers)
    if refusals or failures:
        return Outcome(refusals, tuple(failures))
    try:
        text = render_assistant_yaml(answers)
        spec = parse_spec(text)
    except SpecError as error:
        return Outcome({}, (f"copier accepts the answers but assistant.yaml does not load: {error}",))
    except Exception as error:
        return Outcome({}, (f"assistant.yaml does not render: {_summary(error)}",))
    stack = stack or spec.stacks[0]
    sink = telemetry_sink if spec.observability.opensearch else "log"
    try:
        run = evaluate(spec, stack, sink)
    except Exception as error:
        return Outcome({}, (f"the program fails on stack {stack!r}: {_summary(error)}",), evaluated=True)
    found = [f"invariant: {violation}" for violation in check_resources(run.resources, spec)]
    found += [f"duplicate URN: {urn}" for urn in run.duplicate_urns()]
    found += [f"orphan: {resource.type} {resource.name}" for resource in run.orphans()]
    found += [f"deploy: {problem}" for problem in deploy_problems(run)]
    return Outcome({}, tuple(found), evaluated=True)


def _summary(error: BaseException) -> str:
    """The error and where it was raised: the innermost frame, and the package's innermost one."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [frame for frame in frames if "governed_assistant" in frame.filename][-1:]
    where = " <- ".join(
        dict.fromkeys(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in [*frames[-1:], *own])
    )
    return f"{type(error).__name__}: {error} ({where})"


# ------------------------------------------------------------------ the space of answers


@dataclass(frozen=True)
class Case:
    """One set of answers, the stack to evaluate, and what must happen to it."""

    answers: dict[str, Any]
    stack: str | None = None
    telemetry_sink: str = "log"
    refuse_at: str | None = None
    """The question that must refuse the answers (a corruption or a limit), or None: all accept."""
    label: str = "valid"
    """What was drawn, for the statistics: ``valid``, or the corruption's name."""


@cache
def partition_regions() -> dict[str, tuple[str, ...]]:
    """Every region botocore knows, by its partition."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return {part["partition"]: tuple(sorted(part["regions"])) for part in endpoints["partitions"]}


def accepted_regions() -> tuple[str, ...]:
    """The regions of the partitions the spec deploys to: those whose partition it names itself."""
    return tuple(
        region
        for partition, regions in partition_regions().items()
        for region in regions
        if region_partition(region) == partition
    )


def regions() -> st.SearchStrategy[str]:
    """A partition (the commercial one twice as often), then one of its regions: China and
    GovCloud have two regions each among some forty, and would hardly come up otherwise."""
    by_partition: dict[str, list[str]] = {}
    for region in accepted_regions():
        by_partition.setdefault(region_partition(region), []).append(region)
    weighted = ["aws", *sorted(by_partition)]
    return st.sampled_from(weighted).flatmap(lambda partition: st.sampled_from(by_partition[partition]))


def refused_regions() -> tuple[str, ...]:
    """Regions of the other partitions (ISO, EUSC): the spec cannot build their ARNs."""
    return tuple(
        region
        for partition, regions in partition_regions().items()
        for region in regions
        if region_partition(region) != partition
    )


def sized(first: str, rest: str, limit: int) -> st.SearchStrategy[str]:
    """Names of one ``first`` then ``rest`` characters (regex classes), up to ``limit`` long, the limit often.

    A drawn stem padded to the drawn length by repeating a drawn tail: a long name costs a few
    draws, not one per character (a hundred actions of them would overrun Hypothesis's buffer).
    """
    stem = st.from_regex(f"{first}{rest}{{0,11}}", fullmatch=True)
    tail = st.from_regex(f"{rest}{{1,3}}", fullmatch=True)
    lengths = st.one_of(st.integers(1, min(limit, 12)), st.just(limit), st.integers(1, limit))
    return st.builds(lambda head, pad, size: (head + pad * limit)[:size], stem, tail, lengths)


def identifiers(limit: int) -> st.SearchStrategy[str]:
    """snake_case names up to ``limit`` characters (the limit itself often), never a Python keyword."""
    return sized("[a-z]", "[a-z0-9_]", limit).map(
        lambda name: name if not keyword.iskeyword(name) else f"{name}_"[-limit:]
    )


ROLE_NAMES = st.one_of(
    st.sampled_from(["agent", "supervisor", "admin", "support-agent", "platform-lead", "a", "r" * 64]),
    sized("[a-z]", "[a-z0-9_-]", 64),
)
PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
ONE_LINE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
"""What a name may hold: no control character, no line break (Unicode's line and paragraph separators)."""


def texts(
    min_size: int, max_size: int, alphabet: st.SearchStrategy[str] = PRINTABLE
) -> st.SearchStrategy[str]:
    """Text within the bounds, the bounds themselves often (padded like ``sized``)."""
    sizes = st.one_of(st.sampled_from([min_size, max_size]), st.integers(min_size, max_size))
    stem = st.text(alphabet, max_size=20)
    tail = st.text(alphabet, min_size=1, max_size=3)
    return st.builds(lambda head, pad, size: (head + pad * max_size)[:size], stem, tail, sizes)


FRACTION_EDGES = (0.0, 1e-9, 0.1, 0.49999, 0.5, 0.50001, 0.89999, 0.9, 0.90001, 0.99999, 1.0)
FRACTIONS = st.one_of(st.sampled_from(FRACTION_EDGES), st.floats(0.0, 1.0))


# How often each kind of case comes up. Hypothesis leans to the simplest choice (and repeats a
# case's first choices while it varies the rest), so a plain one_of(default, own) came out nearly
# all defaults; ``odds`` makes the simplest roll the commonest outcome and sizes the others
# (a corruption is picked from the answers' digest instead: see ``cases``).
OWN_ANSWER = 0.6
"""The odds that a question gets a value of the user's own rather than its default."""
CORRUPTION = 0.3
"""The odds that a case has one answer broken."""
ACTION_COUNTS = ((0.55, 1, 4), (0.25, 5, MAX_STRICT_TOOLS), (0.1, 0, 0), (0.1, MAX_STRICT_TOOLS + 1, 100))
"""(odds, fewest, most) of the user's own actions: past the strict-tool limit (20) the spec refuses."""


def odds(draw: st.DrawFn, probability: float) -> bool:
    """True with about ``probability`` (the simplest roll, 0, is True)."""
    return draw(st.integers(0, 999)) < probability * 1000


@st.composite
def action_counts(draw: st.DrawFn) -> int:
    """How many actions to draw: mostly a few, now and then up to the limit or past it, to 100."""
    roll = draw(st.integers(0, 999)) / 1000
    for probability, fewest, most in ACTION_COUNTS:
        if roll < probability:
            return most if odds(draw, 0.3) else draw(st.integers(fewest, most))
        roll -= probability
    return 0


@dataclass
class Budget:
    """What is left of one request's strict-tool limits, shared by every action's parameters."""

    optional: int = MAX_OPTIONAL_PARAMETERS
    unions: int = MAX_UNION_PARAMETERS


PROPERTY_NAMES = st.one_of(
    st.sampled_from(["status", "note", "amount", "_private", "X" * 64, "period"]),
    sized("[A-Za-z_]", "[A-Za-z0-9_]", 64),
).filter(lambda name: name not in RESERVED_PARAMETER_NAMES)
# Patterns the gate enforces; those outside strict mode's regex subset move into the description.
PATTERNS = (r"^[0-9]{4}-Q[1-4]$", r"^/[a-z0-9/_-]*$", r"^[A-Z]{3}$", r"^(?=x)x+$", r"\bid\b", r"^a{1,500}$")
STRING_FORMATS = ("date-time", "date", "time", "email", "uri", "uuid")


@st.composite
def _bounds(draw: st.DrawFn, values: st.SearchStrategy[Any], *pairs: tuple[str, str]) -> dict[str, Any]:
    """No bound, a lower or an upper one, or both in order, under one of ``pairs``' names."""
    low, high = draw(st.sampled_from(pairs))
    picked = sorted(draw(st.lists(values, max_size=2)))
    keys = draw(st.sampled_from([(low, high), (high, low)])) if len(picked) == 1 else (low, high)
    return dict(zip(keys, picked, strict=False))


# Parameter schemas within the strict subset; the odd shapes the spec must refuse (keyword values
# of the wrong type, bounds no value meets, repeated entries) are drawn as corruptions below.
@st.composite
def parameter_node(draw: st.DrawFn, budget: Budget, depth: int) -> dict[str, Any]:
    """One property's schema, within the strict subset; objects and arrays nest to ``depth``."""
    kinds = ["string", "integer", "number", "boolean", "null"] + (["array", "object"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    node: dict[str, Any] = {"type": kind}
    if draw(st.booleans()):
        node["description"] = draw(texts(1, 80))
    if kind == "string":
        variant = draw(st.sampled_from(["plain", "enum", "lengths", "pattern", "format"]))
        if variant == "enum":
            node["enum"] = draw(st.lists(texts(0, 20), min_size=1, max_size=5, unique=True))
        elif variant == "lengths":
            node.update(draw(_bounds(st.integers(0, 5000), ("minLength", "maxLength"))))
        elif variant == "pattern":
            node["pattern"] = draw(st.sampled_from(PATTERNS))
        elif variant == "format":
            node["format"] = draw(st.sampled_from(STRING_FORMATS))
    elif kind in ("integer", "number"):
        values = (
            st.integers(-(10**9), 10**9)
            if kind == "integer"
            else st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
        )
        if draw(st.booleans()):
            node["enum"] = draw(st.lists(values, min_size=1, max_size=4, unique=True))
        else:
            pairs = [("minimum", "maximum"), ("exclusiveMinimum", "exclusiveMaximum")]
            node.update(draw(_bounds(values, *pairs)))
    elif kind == "boolean" and draw(st.booleans()):
        node["enum"] = draw(st.sampled_from([[True], [False], [True, False]]))
    elif kind == "array":
        node["items"] = draw(parameter_node(budget, depth - 1))
        low = draw(st.integers(0, 3))
        node["minItems"] = low
        if draw(st.booleans()):
            node["maxItems"] = draw(st.integers(max(low, 1), 50))
    elif kind == "object":
        node.update(draw(object_schema(budget, depth - 1)))
    if kind != "null" and budget.unions > 0 and draw(st.integers(0, 5)) == 0:
        budget.unions -= 1
        node["type"] = draw(st.sampled_from([[kind, "null"], ["null", kind]]))
        if "enum" in node and draw(st.booleans()):
            node["enum"] = [*node["enum"], None]
    return node


@st.composite
def object_schema(draw: st.DrawFn, budget: Budget, depth: int) -> dict[str, Any]:
    """An object schema: properties, the ones required, closed (``additionalProperties: false``)."""
    names = draw(st.lists(PROPERTY_NAMES, max_size=4, unique=True))
    properties = {name: draw(parameter_node(budget, depth)) for name in names}
    required = []
    for name, node in properties.items():
        optional_counts_union = node["type"] != "null"
        if (
            budget.optional > 0
            and (budget.unions > 0 or not optional_counts_union)
            and not isinstance(node["type"], list)
            and draw(st.integers(0, 3)) == 0
        ):
            budget.optional -= 1
            budget.unions -= 1 if optional_counts_union else 0
        else:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required or draw(st.booleans()):
        schema["required"] = required
    if draw(st.integers(0, 3)):
        schema["additionalProperties"] = False
    return schema


@st.composite
def retry_policies(draw: st.DrawFn) -> dict[str, Any]:
    """Some of a retry policy's keys (the rest default), its delay never below its interval."""
    values = {
        "max_attempts": st.sampled_from([0, 10]) | st.integers(0, 10),
        "interval_seconds": st.sampled_from([1, 300]) | st.integers(1, 300),
        "backoff_rate": st.sampled_from([1.0, 10.0]) | st.floats(1.0, 10.0),
        "max_delay_seconds": st.sampled_from([1, 3600]) | st.integers(1, 3600),
    }
    keys = draw(st.lists(st.sampled_from(list(values)), unique=True))
    retry = {key: draw(values[key]) for key in values if key in keys}
    interval = retry.get("interval_seconds", RetryPolicy.model_fields["interval_seconds"].default)
    if retry.get("max_delay_seconds", RetryPolicy.model_fields["max_delay_seconds"].default) < interval:
        retry["max_delay_seconds"] = interval
    return retry


@st.composite
def action(draw: st.DrawFn, name: str, roles: list[str], budget: Budget) -> dict[str, Any]:
    """One action as the spec takes it; optional keys sometimes left to their defaults."""
    drawn: dict[str, Any] = {
        "name": name,
        "description": draw(texts(10, 1000)),
        "risk": draw(FRACTIONS),
        "roles": draw(st.lists(st.sampled_from(roles), min_size=1, max_size=3, unique=True)),
        "resource_type": draw(identifiers(64)),
    }
    if draw(st.booleans()):
        drawn["reversible"] = draw(st.booleans())
    if draw(st.booleans()):
        drawn["timeout_seconds"] = draw(st.sampled_from([1, 30, MAX_TIMEOUT_SECONDS]) | st.integers(1, 900))
    if draw(st.booleans()):
        drawn["retry"] = draw(retry_policies())
    if draw(st.integers(0, 3)) == 0:
        drawn["steps"] = draw(
            st.lists(identifiers(64), min_size=1, max_size=6, unique=True).filter(lambda s: name not in s)
        )
    drawn["parameters"] = draw(object_schema(budget, depth=2))
    return drawn


@st.composite
def actions(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    """``count`` actions with unique names; past the strict-tool limit, copies under new names."""
    roles = draw(st.lists(ROLE_NAMES, min_size=1, max_size=5, unique=True))
    budget = Budget()
    rich = min(count, MAX_STRICT_TOOLS)
    names = draw(st.lists(identifiers(64), min_size=rich, max_size=rich, unique=True))
    drawn = [draw(action(name, roles, budget)) for name in names]
    for index in range(rich, count):  # past the limit: the spec refuses them all at once
        copy = dict(drawn[index % rich])
        copy["name"] = f"{copy['name'][:55]}_{index:03d}"
        drawn.append(copy)
    return drawn


def model_ids(region: str) -> st.SearchStrategy[str]:
    """Every model id ``region`` may call: base ids, the profiles that serve it, their ARNs."""
    geographies = [region_geography(region)]
    if not region.startswith(("us-gov-", "cn-")):
        geographies.append(GLOBAL_GEOGRAPHY)
    geographies += [country for country, regions in COUNTRY_GEOGRAPHIES.items() if region in regions]
    profiles = [f"{geo}.{base}" for geo in geographies if geo for base in STRICT_TOOL_MODELS]
    arn = f"arn:{region_partition(region)}:bedrock:{region}:{ACCOUNT_ID}:inference-profile/"
    return st.sampled_from([*STRICT_TOOL_MODELS, *profiles, *(arn + profile for profile in profiles)])


CLAIMS = st.one_of(
    st.sampled_from(["sub", "email", "custom:tenantId", "cognito:groups", "tenant_id", "https://x.io/roles"]),
    sized("[A-Za-z]", "[A-Za-z0-9_:./-]", 128),
)
STACK_NAMES = st.one_of(
    st.sampled_from(["dev", "prod", "production", "prod-eu", "staging", "live", "prd", "s" * 32, "p" * 32]),
    sized("[a-z]", "[a-z0-9-]", 32),
)
TOPIC_NAMES = sized("[0-9a-zA-Z_ !?.-]", "[0-9a-zA-Z_ !?.-]", 100)


@st.composite
def denied_topics(draw: st.DrawFn) -> list[dict[str, str]]:
    names = draw(st.lists(TOPIC_NAMES, max_size=30, unique=True))
    return [{"name": name, "definition": draw(texts(1, 200))} for name in names]


def own_answer(question: str, given: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A value of the user's own for ``question`` (valid by construction), given the earlier answers."""
    mode = given.get("mode")
    provider = given.get("identity_provider")
    own: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
        "project_name": lambda: st.one_of(
            st.sampled_from(["Support Operations Assistant", "Ops", "Ünïcode Bot ✓", "N" * 100]),
            texts(1, 100, ONE_LINE),
        ),
        "project_slug": lambda: identifiers(40),
        "preset": lambda: st.sampled_from(PRESETS),
        "description": lambda: texts(0, 500),
        "aws_region": regions,
        # Answer mode last: Hypothesis leans to the first choice, and answer mode has no actions.
        "mode": lambda: st.sampled_from(sorted(MODES, key=lambda mode: mode == "answer")),
        "actions": lambda: st.just([]) if mode == "answer" else action_counts().flatmap(actions),
        "approver_roles": lambda: st.lists(ROLE_NAMES, min_size=1, max_size=3, unique=True),
        "admin_roles": lambda: st.lists(ROLE_NAMES, max_size=3, unique=True),
        "roles": lambda: st.fixed_dictionaries(
            {role: texts(1, 500, ONE_LINE).filter(str.strip) for role in used_roles(given)}
        ),
        "approval_threshold": lambda: FRACTIONS,
        "deny_threshold": lambda: _at_least(given.get("approval_threshold", 0.5)),
        "model_id": lambda: model_ids(given["aws_region"]),
        "identity_provider": lambda: st.sampled_from(["cognito", "oidc"]),
        "oidc_issuer": lambda: st.builds(
            lambda host, path: f"https://{host}/{path}",
            st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,8}){1,2}", fullmatch=True),
            st.sampled_from(["", "realms/acme", "oauth2/default", "v2.0"]),
        ),
        "oidc_audience": lambda: texts(1, 100),
        "tenant_claim": lambda: _cognito_tenant_claims() if provider == "cognito" else CLAIMS,
        "user_claim": lambda: CLAIMS,
        "roles_claim": lambda: st.just("cognito:groups") if provider == "cognito" else CLAIMS,
        "retrieval_backend": lambda: st.sampled_from(BACKENDS),
        "denied_topics": denied_topics,
        "pii_entities": lambda: st.lists(st.sampled_from(PII_ENTITY_TYPES), unique=True),
        "pii_action": lambda: st.sampled_from(["anonymize", "block"]),
        "shadow_mode": st.booleans,
        "canary_percent": lambda: st.sampled_from([0, 1, 99, 100]) | st.integers(0, 100),
        "opensearch": st.booleans,
        "retention_days": lambda: st.sampled_from(RETENTION_DAYS),
        "kms_key": lambda: kms_keys(given["aws_region"]),
        "stacks": lambda: st.lists(STACK_NAMES, min_size=1, max_size=6, unique=True),
    }
    return own[question]()


def kms_keys(region: str) -> st.SearchStrategy[str]:
    """The keys a stack in ``region`` may use: none, create, or a key ARN of its region and partition."""
    arn = f"arn:{region_partition(region)}:kms:{region}:{ACCOUNT_ID}:key/"
    key_ids = st.one_of(
        st.uuids().map(str), st.from_regex(r"[0-9a-f]{32}", fullmatch=True).map(lambda hexa: f"mrk-{hexa}")
    )
    return st.one_of(st.sampled_from(["none", "create"]), key_ids.map(lambda key: arn + key))


def _at_least(approval: float) -> st.SearchStrategy[float]:
    edges = [
        edge for edge in (*FRACTION_EDGES, approval, math.nextafter(approval, 2.0)) if approval <= edge <= 1
    ]
    return st.one_of(st.sampled_from(edges), st.floats(approval, 1.0))


def _cognito_tenant_claims() -> st.SearchStrategy[str]:
    # A Cognito custom attribute: custom:<name of at most 20 characters>.
    return sized("[A-Za-z0-9_]", "[A-Za-z0-9_]", 20).map(lambda name: f"custom:{name}")


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Every question answered in copier.yml's order: its default, or a value of the user's own."""
    given: dict[str, Any] = {}
    for question in QUESTIONS:
        default = copier_default(question, given)
        if not asked(question, given):
            given[question] = default  # copier keeps the default of a question it does not ask
        elif odds(draw, OWN_ANSWER):
            given[question] = draw(own_answer(question, given))
        else:
            given[question] = default
    return given


def default_answers(**changes: Any) -> dict[str, Any]:
    """copier's answers with ``changes`` typed in, every other question left to its default.

    Defaults are rendered in order from the answers before them, as copier renders them (a
    changed region changes the default model); the readable form of a pinned example.
    """
    given: dict[str, Any] = {}
    for question in QUESTIONS:
        given[question] = changes[question] if question in changes else copier_default(question, given)
    return given


# ------------------------------------------------------------------ corruptions

Corruption = Callable[[st.DrawFn, dict[str, Any]], tuple[str, str]]
"""Breaks one answer in place; returns (label, the question that must refuse it)."""
CORRUPTIONS: list[Corruption] = []


def corruption(function: Corruption) -> Corruption:
    CORRUPTIONS.append(function)
    return function


def _replace(question: str, *bad: Any) -> Corruption:
    def corrupt(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
        answers[question] = draw(st.sampled_from(bad))
        return f"{question}: {answers[question]!r}"[:60], question

    return corrupt


# A trailing newline passes a `$`-anchored re.match: every identifier is tried with one.
for _question, *_bad in (
    ("project_name", "", "N" * 101, "Support\nslug: ops", "Support\u2028Ops", "Support\x00", "Tab\there"),
    ("project_slug", "Support-Ops", "1st_assistant", "class", "a" * 41, "support ops", "", "support_ops\n"),
    ("preset", "pattern-d"),
    ("description", "d" * 501),
    ("aws_region", *refused_regions(), "US-EAST-1", "us-east", "mars-north-1a", ""),
    ("mode", "chat"),
    ("actions", {"name": "update_ticket"}, "update_ticket", 5, ["update_ticket"], [None]),
    ("approver_roles", [], None, 5, "supervisor", ["Supervisor"], [None], ["a" * 65], ["sup\n"]),
    ("admin_roles", 5, "admin", ["Admin"], [None], ["-admin"]),
    ("roles", {}, None, ["agent"], "agent: Agents."),
    ("approval_threshold", -0.1, 1.01, math.nan, math.inf),
    ("deny_threshold", -0.0001, 1.5, math.nan),
    (
        "model_id",
        "",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "meta.llama3-70b-instruct-v1:0",
        f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:application-inference-profile/a1b2c3",
        " anthropic.claude-haiku-4-5-20251001-v1:0",
    ),
    ("user_claim", "", "the user", "1sub", "u" * 129),
    ("retrieval_backend", "pinecone"),
    ("denied_topics", "Legal advice", [None], [{"name": "Legal/advice", "definition": "Law."}]),
    ("pii_entities", ["SSN"], "EMAIL", [None]),
    ("pii_action", "redact"),
    ("canary_percent", -1, 101),
    ("retention_days", 0, 31, 10000, -1),
    (
        "kms_key",
        "",
        "None",
        "alias/support-ops",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:alias/support-ops",
        f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab\n",
    ),
    ("stacks", [], None, "dev, prod", ["Prod"], ["s" * 33], ["dev", "dev"], ["dev prod"], ["dev\n"], [5]),
):
    corruption(_replace(_question, *_bad))


@corruption
def _role_description_broken(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    """A used role left undescribed, described on two lines or with nothing, or one nobody uses."""
    roles = dict(answers["roles"])
    role = draw(st.sampled_from(sorted(roles)))
    how = draw(st.sampled_from(["missing", "two lines", "blank", "too long", "unused"]))
    if how == "missing":
        del roles[role]
    elif how == "unused":
        roles["nobody-uses-this"] = "A role no action, approver or admin names."
    else:
        roles[role] = {
            "two lines": "Agents.\npermit (principal, action, resource);",
            "blank": " ",
            "too long": "r" * 501,
        }[how]
    answers["roles"] = roles
    return f"role {role!r} {how}", "roles"


@corruption
def _key_of_another_region(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    """A key ARN of a region other than the stack's: AWS services use a key only in its own region."""
    region = answers["aws_region"]
    other = "eu-west-1" if region != "eu-west-1" else "us-east-1"
    answers["kms_key"] = f"arn:aws:kms:{other}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    return f"kms_key of {other} in {region}", "kms_key"


@corruption
def _deny_below_approval(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    answers["approval_threshold"] = draw(st.sampled_from([0.5, 1.0, 1e-9]))
    answers["deny_threshold"] = math.nextafter(answers["approval_threshold"], -1.0)
    return "deny below approval", "deny_threshold"


@corruption
def _profile_of_another_geography(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    region = answers["aws_region"]
    served = {region_geography(region), *(c for c, r in COUNTRY_GEOGRAPHIES.items() if region in r)}
    if not region.startswith(("us-gov-", "cn-")):
        served.add(GLOBAL_GEOGRAPHY)
    other = draw(st.sampled_from(sorted({"us", "eu", "apac", "jp", "au", "us-gov", "global"} - served)))
    answers["model_id"] = f"{other}.{draw(st.sampled_from(sorted(STRICT_TOOL_MODELS)))}"
    return "profile of another geography", "model_id"


@corruption
def _bad_oidc(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    answers["identity_provider"] = "oidc"
    answers["oidc_issuer"] = "https://login.example.com/"
    answers["oidc_audience"] = "governed-assistant"
    question = draw(st.sampled_from(["oidc_issuer", "oidc_audience"]))
    bad = ["http://login.example.com/", "login.example.com", ""] if question == "oidc_issuer" else [""]
    answers[question] = draw(st.sampled_from(bad))
    return f"{question}: {answers[question]!r}", question


@corruption
def _bad_claim(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    question = draw(st.sampled_from(["tenant_claim", "roles_claim"]))
    answers[question] = draw(st.sampled_from(["", "the tenant", "1tenant", "t" * 129]))
    return f"{question}: {answers[question]!r}"[:60], question


@corruption
def _claims_cognito_cannot_issue(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    answers["identity_provider"] = "cognito"
    question, bad = draw(
        st.sampled_from(
            [
                ("tenant_claim", "tenant_id"),
                ("tenant_claim", "custom:"),
                ("tenant_claim", "custom:" + "t" * 21),
                ("roles_claim", "roles"),
                ("roles_claim", "custom:roles"),
            ]
        )
    )
    answers["tenant_claim"], answers["roles_claim"] = "custom:tenantId", "cognito:groups"
    answers[question] = bad
    return f"cognito {question}: {bad!r}", question


@corruption
def _too_many_topics(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    answers["denied_topics"] = [{"name": f"Topic {n}", "definition": "Anything."} for n in range(31)]
    return "31 denied topics", "denied_topics"


@corruption
def _bad_topic(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    topic = draw(
        st.sampled_from(
            [
                {"name": "Legal advice", "definition": "d" * 201},
                {"name": "Legal advice", "definition": ""},
                {"name": "", "definition": "Law."},
                {"name": "n" * 101, "definition": "Law."},
                {"name": "Legal advice", "definition": "Law.", "examples": ["sue"]},
            ]
        )
    )
    answers["denied_topics"] = [*(answers["denied_topics"] or []), topic]
    return "bad denied topic", "denied_topics"


def _one_action(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """A copy of the answers' actions, at least one (the mode then one that takes actions)."""
    drawn = [dict(item) for item in answers["actions"]] or draw(actions(1))
    if answers["mode"] == "answer":
        answers["mode"] = "operate"
    answers["actions"] = drawn
    return drawn, draw(st.integers(0, len(drawn) - 1))


@corruption
def _answer_mode_with_actions(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    _one_action(draw, answers)
    answers["mode"] = "answer"
    return "answer mode with actions", "actions"


@corruption
def _bad_action_field(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    drawn, index = _one_action(draw, answers)
    key, bad = draw(
        st.sampled_from(
            [
                ("name", "class"),
                ("name", "Update"),
                ("name", "1x"),
                ("name", "a" * 65),
                ("name", "update_ticket\n"),
                ("resource_type", "ticket\n"),
                ("resource_type", "Ticket"),
                ("description", "too short"),
                ("risk", 1.5),
                ("risk", -0.1),
                ("risk", math.nan),
                ("roles", []),
                ("roles", None),
                ("roles", 3),
                ("roles", "agent"),
                ("roles", ["Agent"]),
                ("timeout_seconds", 0),
                ("timeout_seconds", MAX_TIMEOUT_SECONDS + 1),
                ("retry", {"interval_seconds": 10, "max_delay_seconds": 5}),
                ("retry", {"max_attempts": 11}),
                ("retry", {"jitter": "none"}),
                ("steps", ["Collect"]),
                ("steps", ["collect", "collect"]),
                ("steps", ["collect\n"]),
                ("risk_level", 0.3),
            ]
        )
    )
    if key == "steps" and bad == ["collect"]:
        bad = [drawn[index]["name"]]
    drawn[index][key] = bad
    return f"action {key}: {bad!r}"[:60], "actions"


@corruption
def _action_step_named_like_it(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    drawn, index = _one_action(draw, answers)
    drawn[index]["steps"] = [drawn[index]["name"]]
    return "action step named like it", "actions"


@corruption
def _action_missing_key(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    drawn, index = _one_action(draw, answers)
    key = draw(st.sampled_from(["name", "description", "risk", "roles", "resource_type", "parameters"]))
    del drawn[index][key]
    return f"action without {key}", "actions"


@corruption
def _duplicate_action(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    drawn, index = _one_action(draw, answers)
    drawn.append(dict(drawn[index]))
    return "duplicate action name", "actions"


@corruption
def _parameters_outside_the_strict_subset(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[str, str]:
    # Shapes outside the strict subset, and keyword values or bounds no schema may carry.
    drawn, index = _one_action(draw, answers)
    drawn[index]["parameters"] = draw(
        st.sampled_from(
            [
                "an object",
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "properties": {}, "additionalProperties": True},
                {"type": "object", "properties": {"tenantId": {"type": "string"}}},
                {"type": "object", "properties": {"when": {"type": "string", "format": "week"}}},
                {"type": "object", "properties": {"any": {"oneOf": [{"type": "string"}]}}},
                {"type": "object", "properties": {"tags": {"type": "array"}}},
                {"type": "object", "properties": {}, "required": ["missing"]},
                {"type": "object", "properties": {"a": {"type": "string", "minLength": "5"}}},
                {"type": "object", "properties": {"a": {"type": "number", "maximum": "big"}}},
                {"type": "object", "properties": {"a": {"type": "string", "pattern": 5}}},
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": [["a"]]},
                {"type": "object", "properties": {"a\n": {"type": "string"}}},
                {"type": "object", "properties": {"a": {"type": "string", "minLength": 5, "maxLength": 1}}},
                {
                    "type": "object",
                    "properties": {"a": {"type": "number", "exclusiveMinimum": 5, "maximum": 5}},
                },
                {"type": "object", "properties": {"a": {"type": "number", "maximum": float("nan")}}},
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "a"]},
                {"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "x"]}}},
                {"type": "object", "properties": {"a": {"type": "string", "description": 5}}},
                {"type": "object", "properties": {"a": {"type": "number", "minimum": True}}},
                {"type": "object", "properties": {"a": {"type": []}}},
                {
                    "type": "object",
                    "properties": {f"p{n}": {"type": ["string", "null"]} for n in range(17)},
                    "required": [f"p{n}" for n in range(17)],
                },
            ]
        )
    )
    return "parameters outside the strict subset", "actions"


# ------------------------------------------------------------------ cases


@st.composite
def cases(draw: st.DrawFn, corruption: float = CORRUPTION) -> Case:
    """Answers valid by construction; with odds ``corruption``, one answer broken."""
    answers = draw(valid_answers())
    # Whether and how to corrupt follows from a stable digest of the answers drawn, not from one
    # more Hypothesis choice: depending on where such a flag sat in the draw, Hypothesis's lean to
    # the simplest value made anywhere from 4 % to 75 % of the cases corrupted.
    digest = zlib.crc32(repr(sorted(answers.items())).encode())
    refuse_at, label = None, "valid"
    if len(answers["actions"]) > MAX_STRICT_TOOLS:
        refuse_at, label = "actions", "more actions than strict tools"
    elif digest % 1000 < corruption * 1000:
        label, refuse_at = CORRUPTIONS[digest // 1000 % len(CORRUPTIONS)](draw, answers)
    stacks = answers["stacks"]
    listed = isinstance(stacks, list) and stacks and all(isinstance(stack, str) for stack in stacks)
    stack = draw(st.sampled_from(stacks)) if listed else None
    sink = draw(st.sampled_from(["log", "firehose"]))
    return Case(answers, stack=stack, telemetry_sink=sink, refuse_at=refuse_at, label=label)


def problems_with(case: Case, outcome: Outcome) -> list[str]:
    """What went wrong for ``case``: the outcome's failures, and a refusal where none belongs (or none)."""
    problems = list(outcome.failures)
    if case.refuse_at is None and outcome.refusals:
        problems.append(f"valid answers refused: {dict(outcome.refusals)}")
    if case.refuse_at is not None and case.refuse_at not in outcome.refusals and not outcome.failures:
        problems.append(
            f"{case.label}: question {case.refuse_at!r} accepted it (refusals: {dict(outcome.refusals)})"
        )
    return problems


def check_case(case: Case) -> Outcome:
    return check_answers(case.answers, stack=case.stack, telemetry_sink=case.telemetry_sink)


__all__ = [
    "CORRUPTIONS",
    "QUESTIONS",
    "Case",
    "Outcome",
    "cases",
    "check_answers",
    "check_case",
    "default_answers",
    "problems_with",
    "valid_answers",
]
