"""Copier's bridge to the governance package: presets, validators, the rendered assistant.yaml,
and the requirement line that pins the package at the commit being rendered.

Copier loads this file through copier-template-extensions. It puts the template checkout's
``components/`` on ``sys.path`` so the validators run the very code ``load_spec`` runs in the
project.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from copier.errors import UserMessageError
from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
PRESETS = TEMPLATE_ROOT / "scaffolds" / "presets"

PACKAGE_DIR = "components"  # the governance package's directory in this repository
PACKAGE_NAME = "governed-assistant"

# copier update renders the old template version and the new one in one process: use this
# checkout's package, never one a previous render imported.
for _name in [name for name in sys.modules if name.split(".")[0] == "governed_assistant"]:
    del sys.modules[_name]
sys.path.insert(0, str(TEMPLATE_ROOT / PACKAGE_DIR))

from governed_assistant.spec.answers import (  # noqa: E402
    QUESTION_PATHS,
    answer_error,
    answers_error,
    default_deny,
    default_roles,
    default_slug,
    render_spec_yaml,
    spec_from_answers,
    typed_answers,
)
from governed_assistant.spec.model import is_production  # noqa: E402
from governed_assistant.spec.models import default_model_id  # noqa: E402


def _preset(name: str) -> dict[str, Any]:
    """The preset's defaults (scaffolds/presets/<name>.yaml)."""
    path = PRESETS / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PRESETS.glob("*.yaml")))
        raise ValueError(f"unknown preset {name!r}; choose one of {known}")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def preset_value(name: str, key: str) -> Any:
    """One of the preset's defaults. (Not named ``preset``: that is the answer's name.)"""
    return _preset(name)[key]


def preset_yaml(name: str, key: str) -> str:
    """One preset default as YAML text, the form copier's ``type: yaml`` questions take."""
    return yaml.safe_dump(_preset(name)[key], sort_keys=False, width=100)


# Where the answers file keeps the actions when the actions question was not asked: copier
# neither records nor replays such an answer (its updates render the old and the new version with
# what was recorded), so ``recorded_answers`` writes them under this key, and the ``actions``
# default gives them back. A key that is no question's, so copier replays it as it is.
RECORDED_ACTIONS = "actions_recorded"


def _actions_file_text(name: Any) -> str:
    """The text of the actions file the user named (relative to where copier runs); raises when unreadable."""
    path = Path(str(name)).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read the actions file {str(path)!r}: {error.strerror or error}") from error


@pass_context
def actions_default(context: Context) -> str:
    """copier.yml's ``actions`` default, as YAML text: the recorded actions on update, else the file's,
    the preset's, or none in answer mode."""
    answers = _answers(context)
    if answers.get("mode") == "answer":
        return "[]"
    if RECORDED_ACTIONS in answers:
        return yaml.safe_dump(answers[RECORDED_ACTIONS], sort_keys=False, width=100, allow_unicode=True)
    if answers.get("actions_from") == "file":
        try:
            return _actions_file_text(answers.get("actions_file"))
        except ValueError:
            return "[]"  # the actions_file question refuses it, with the reason
    return preset_yaml(answers.get("preset", "bounded-action"), "actions")


@pass_context
def check_actions_file(context: Context) -> str:
    """The ``actions_file`` question's validator: the file reads, holds YAML, and its actions are valid.

    Not read when the actions are already given: on update (the file may be long gone) copier
    replays the recorded ones, and an ``actions`` answer in the data takes precedence over the file.
    """
    answers = _answers(context)
    if "actions" in answers or RECORDED_ACTIONS in answers:
        return ""
    try:
        text = _actions_file_text(answers.get("actions_file"))
    except ValueError as error:
        return f"{error}; give the path of a YAML file holding a list of actions"
    try:
        actions = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return f"the actions file is not YAML: {error}"
    return answer_error("actions", answers | {"actions": actions})


def _actions_from_file(given: Mapping[str, Any]) -> bool:
    """Whether the actions come from the user's file: chosen, and not also given as the answer."""
    given_otherwise = "actions" in given or RECORDED_ACTIONS in given
    return given.get("mode") != "answer" and given.get("actions_from") == "file" and not given_otherwise


def _actions_file_refusal(given: Mapping[str, Any]) -> dict[str, str]:
    """``{"actions_file": why}`` when the actions are to come from a file that does not read as YAML."""
    if not _actions_from_file(given):
        return {}
    try:
        yaml.safe_load(_actions_file_text(given.get("actions_file", "actions.yaml")))
    except ValueError as error:
        return {"actions_file": f"{error}; give the path of a YAML file holding a list of actions"}
    except yaml.YAMLError as error:
        return {"actions_file": f"the actions file is not YAML: {error}"}
    return {}


def _answers(context: Context) -> dict[str, Any]:
    return {key: value for key, value in context.get_all().items() if not key.startswith("_")}


@pass_context
def roles_default(context: Context) -> str:
    """copier.yml's ``roles`` default: every role the answers so far use, described as the preset does."""
    answers = _answers(context)
    descriptions = _preset(answers.get("preset", "bounded-action")).get("roles", {})
    return yaml.safe_dump(
        default_roles(answers, descriptions), sort_keys=False, width=100, allow_unicode=True
    )


@pass_context
def check_answer(context: Context, question: str) -> str:
    """The problems with one answer, in the spec loader's words; empty when valid."""
    return answer_error(question, _answers(context))


def _questions() -> dict[str, dict[str, Any]]:
    """The questions of this checkout's copier.yml that land in the spec, in its order."""
    questions = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text(encoding="utf-8"))
    return {
        name: details
        for name, details in questions.items()
        if name in QUESTION_PATHS and isinstance(details, dict)
    }


def _question_types() -> dict[str, str]:
    """Each question's copier type."""
    return {name: str(details.get("type", "str")) for name, details in _questions().items()}


def _with_defaults(context: Context, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given``, and for every question not given the default copier will fill in, rendered in order.

    A role description must be judged against the preset's actions when only the roles are given.
    A default that cannot render (it follows from a bad answer, e.g. an unknown preset) is left out:
    the bad answer is what gets reported.
    """
    types = _question_types()
    answers: dict[str, Any] = dict(given)
    for name, details in _questions().items():
        default = details.get("default")
        if name in given:
            continue
        if isinstance(default, str):
            try:
                text = context.environment.from_string(default).render(answers)
                # Typed as copier types it, before the next default renders from it.
                answers[name] = _CASTS.get(types[name], lambda value: value)(text)
            except Exception:  # noqa: S112 - see the docstring: the cause is reported instead
                continue
        elif default is not None:
            answers[name] = default
    return typed_answers(answers, types)


def _number(kind: type[int] | type[float]) -> Any:
    def cast(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            return text  # refused at its question, in the spec's words

    return cast


_CASTS = {
    "yaml": lambda text: yaml.safe_load(text),
    "float": _number(float),
    "int": _number(int),
    "bool": lambda text: text.strip().lower() in ("true", "yes", "y", "1", "on"),
}


@pass_context
def refuse_invalid_answers(context: Context) -> bool:
    """Stop copier with every invalid answer listed, before it checks any; False (ask nothing) if none.

    Copier checks a ``--data``/``--data-file`` answer when it reaches its question, and stops at the
    first bad one with a traceback (a validator's message becomes a ValueError). Rendered in the
    first question's ``when``, this sees every given answer at once, with the defaults copier will
    fill in for the rest, and raises copier's UserMessageError: its CLI prints the message, no
    traceback, exits 1, and nothing has been written yet. Answers from the project's answers file
    (``copier update``) are left to copier, which asks again for any its validators refuse.
    """
    given = typed_answers(_answers(context), _question_types())
    answers = _with_defaults(context, given)
    conf = context.get("_copier_conf")
    if isinstance(conf, Mapping) and "data" in conf:
        fresh = set(conf["data"]) | set(conf.get("user_defaults") or {})
        earlier = {question for question in QUESTION_PATHS if question in given} - fresh
    else:  # no _copier_conf (copier before 9.7; the template needs 9.9.1): judge whatever is there
        earlier = set()
    message = answers_error(answers, set(QUESTION_PATHS) - earlier, _actions_file_refusal(given))
    if _actions_from_file(given):  # the user answered the file, not the actions question
        message = message.replace("question 'actions':", "question 'actions_file':")
    if message:
        raise UserMessageError(message)
    return False


@pass_context
def assistant_yaml(context: Context) -> str:
    """The spec document the answers describe."""
    answers = _answers(context)
    roles = _preset(answers.get("preset", "bounded-action")).get("roles", {})
    return render_spec_yaml(spec_from_answers(answers, roles))


def _is_remote(source: str) -> bool:
    """A URL, a gh:/gl: shortcut or an scp-like git address: anything but a local path."""
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", source)) or bool(re.fullmatch(r"[\w.-]+@[\w.-]+:.+", source))


@pass_context
def recorded_answers(context: Context) -> dict[str, Any]:
    """The answers file's content, with a local template path made absolute.

    copier records ``_src_path`` as typed; a relative one (``copier copy ../template app``)
    then means nothing from inside the project, and ``copier update`` there fails with
    "Updating is only supported in git-tracked templates". Rendering runs in the directory
    copier was started from, so the path resolves to the template the user meant.
    """
    answers = dict(context.get("_copier_answers") or {})
    answers.pop(RECORDED_ACTIONS, None)
    if "actions" not in answers and isinstance(context.get("actions"), list):
        answers[RECORDED_ACTIONS] = context["actions"]  # not asked, so not recorded (see RECORDED_ACTIONS)
    source = answers.get("_src_path")
    if isinstance(source, str) and source and not _is_remote(source):
        answers["_src_path"] = str(Path(source).expanduser().resolve())
    return answers


def _pip_vcs_url(source: str) -> str:
    """The ``git+...`` URL pip clones for the template source copier was given."""
    source = source.removeprefix("git+")
    if source.startswith(("gh:", "gl:")):
        host = "github.com" if source.startswith("gh:") else "gitlab.com"
        path = source[3:].removesuffix(".git")
        return f"git+https://{host}/{path}.git"
    if scp := re.fullmatch(r"([\w.-]+@[\w.-]+):(.+)", source):  # git@host:owner/repo.git
        return f"git+ssh://{scp.group(1).replace(':', '/')}/{scp.group(2)}"
    if re.match(r"^[a-z][a-z0-9+.-]*://", source):
        return f"git+{source}"
    # file://localhost/...: pip before 24 refuses a VCS URL without a host (git+file:///...), and
    # Pulumi's own pip toolchain may be that old; git reads both forms alike.
    return f"git+file://localhost{Path(source).expanduser().resolve().as_posix()}"


def _commit_exists(source: str, commit: str) -> bool:
    """False for a local checkout that lacks ``commit``: copier rendered its uncommitted changes."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", source) or "@" in source:
        return True  # a remote: copier cloned the commit from there, so it exists there
    checkout = Path(source).expanduser().resolve()
    found = subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "-C", str(checkout), "cat-file", "-e", f"{commit}^{{commit}}"],  # noqa: S607
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


@pass_context
def package_requirement(context: Context, extras: str = "") -> str:
    """The pip requirement for the governance package at the template commit being rendered.

    ``governed-assistant[extras] @ git+<source>@<commit>#subdirectory=components``: a project and
    its template can never drift, and ``copier update`` moves the pin. A local checkout with
    uncommitted changes has no such commit; the project then installs that checkout's working
    tree by path (a template developer's case), and the line says so.
    """
    name = f"{PACKAGE_NAME}[{extras}]" if extras else PACKAGE_NAME
    source = str((context.get("_copier_answers") or {}).get("_src_path") or TEMPLATE_ROOT)
    commit = context["_copier_conf"]["vcs_ref_hash"]
    if commit and _commit_exists(source, commit):
        return f"{name} @ {_pip_vcs_url(source)}@{commit}#subdirectory={PACKAGE_DIR}"
    working_tree = (Path(source).expanduser().resolve() / PACKAGE_DIR).as_uri()
    return f"# Rendered from uncommitted template changes: not pinned to a commit.\n{name} @ {working_tree}"


class SpecExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals.update(
            preset_value=preset_value,
            preset_yaml=preset_yaml,
            check_answer=check_answer,
            refuse_invalid_answers=refuse_invalid_answers,
            recorded_answers=recorded_answers,
            default_slug=default_slug,
            default_deny=default_deny,
            roles_default=roles_default,
            actions_default=actions_default,
            check_actions_file=check_actions_file,
            assistant_yaml=assistant_yaml,
            package_requirement=package_requirement,
            default_model_id=default_model_id,
            is_production=is_production,
        )
