# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The Pulumi program: assistant.yaml in, the governed assistant out (per-stack settings: README)."""

import pulumi
from governed_assistant import deploy_assistant

deploy_assistant(pulumi.Config(), pulumi.get_stack())
