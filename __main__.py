# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The Pulumi program: the spec in, the governed assistant out. Only this file reads config."""

from __future__ import annotations

import pulumi

from components.infra import GovernedAssistant
from components.spec import load_spec

spec = load_spec("assistant.yaml")
config = pulumi.Config()

assistant = GovernedAssistant(
    spec.slug,
    {"spec": spec, "protect_data": config.get_bool("protectData") or False},
)

pulumi.export("jobs_table", assistant.jobs_table_name)
