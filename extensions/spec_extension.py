"""Copier's bridge to the spec package: presets, validators and the rendered assistant.yaml.

Copier loads this file through copier-template-extensions. It puts the template root on
``sys.path`` so the validators run the very code ``load_spec`` runs in the project.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
PRESETS = TEMPLATE_ROOT / "scaffolds" / "presets"

# Another version of this template may have been imported in this process (copier update
# renders the old and the new one); use this checkout's components, not a cached one.
for _name in [name for name in sys.modules if name == "components" or name.startswith("components.")]:
    del sys.modules[_name]
sys.path.insert(0, str(TEMPLATE_ROOT))

from components.spec.answers import answer_error, render_spec_yaml, spec_from_answers  # noqa: E402


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


def _answers(context: Context) -> dict[str, Any]:
    return {key: value for key, value in context.get_all().items() if not key.startswith("_")}


@pass_context
def check_answer(context: Context, question: str) -> str:
    """The problems with one answer, in the spec loader's words; empty when valid."""
    return answer_error(question, _answers(context))


@pass_context
def assistant_yaml(context: Context) -> str:
    """The spec document the answers describe."""
    answers = _answers(context)
    roles = _preset(answers.get("preset", "bounded-action")).get("roles", {})
    return render_spec_yaml(spec_from_answers(answers, roles))


class SpecExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals.update(
            preset_value=preset_value,
            preset_yaml=preset_yaml,
            check_answer=check_answer,
            assistant_yaml=assistant_yaml,
        )
