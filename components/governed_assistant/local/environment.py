"""The environment the handlers run in locally, and a patch that puts the old one back.

The handlers are the deployed code, reading the deployed functions' variables (the names come
from the infra layers, so they cannot drift); boto3 finds the local services through
``AWS_ENDPOINT_URL`` (moto, the catch-all: nothing reaches AWS by accident) and the per-service
``AWS_ENDPOINT_URL_LAMBDA`` and ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from governed_assistant.infra.conversation import CLAIM_ENV, EVENT_BUS_ENV, STATE_MACHINE_ENV
from governed_assistant.infra.execution import GUARDRAIL_VERSION_ENV, RESOURCE_ENV
from governed_assistant.infra.reasoning import MODEL_ENV, RETRIEVAL_ENV
from governed_assistant.local.constants import FAKE_CREDENTIALS
from governed_assistant.local.resources import LocalResources
from governed_assistant.runtime.flags.constants import ENV_FLAGS_FILE
from governed_assistant.runtime.model.constants import ENV_SYSTEM_PROMPT_PATH, ENV_USAGE_TABLE
from governed_assistant.runtime.telemetry.constants import ENV_SERVICE_NAME, ENV_SINK, ENV_STORE_PATH
from governed_assistant.spec.model import AssistantSpec

# Where the handlers find assistant.yaml and the Cedar policies (absolute, so the working directory
# does not matter); mirrored from governed_assistant.handlers.constants, which tests/local keeps equal.
SPEC_PATH_ENV = "GOVERNED_SPEC_PATH"
POLICIES_DIR_ENV = "GOVERNED_POLICIES_DIR"
HANDLER_ENVIRONMENT_MODULE = "governed_assistant.handlers.environment"


def handler_environment(
    *,
    spec: AssistantSpec,
    project_dir: Path,
    resources: LocalResources,
    moto_url: str,
    lambda_url: str,
    bedrock_url: str | None,
    guardrail_id: str,
    guardrail_version: str,
    flags_file: Path,
    events_db: Path,
) -> dict[str, str]:
    """Every variable the local stack sets; ``bedrock_url=None`` means real Bedrock, real credentials."""
    claims = spec.identity.claims
    environment = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ENDPOINT_URL_LAMBDA": lambda_url,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_REGION": spec.region,
        "AWS_EC2_METADATA_DISABLED": "true",
        # moto's Step Functions interpreter sends Lambda tasks to localhost:$MOTO_PORT.
        "MOTO_PORT": moto_url.rsplit(":", 1)[1],
        "POWERTOOLS_TRACE_DISABLED": "true",
        ENV_SERVICE_NAME: spec.slug,
        SPEC_PATH_ENV: str(project_dir / "assistant.yaml"),
        POLICIES_DIR_ENV: str(project_dir / "policies"),
        ENV_SYSTEM_PROMPT_PATH: str(project_dir / "prompts" / "system.md"),
        RESOURCE_ENV["jobs_table"]: resources.tables.jobs,
        RESOURCE_ENV["approvals_table"]: resources.tables.approvals,
        RESOURCE_ENV["idempotency_table"]: resources.tables.idempotency,
        RESOURCE_ENV["approval_topic"]: resources.approval_topic_arn,
        RESOURCE_ENV["guardrail"]: guardrail_id,
        GUARDRAIL_VERSION_ENV: guardrail_version,
        ENV_USAGE_TABLE: resources.usage_table,
        STATE_MACHINE_ENV: resources.state_machine_arn,
        EVENT_BUS_ENV: resources.event_bus_arn,
        CLAIM_ENV["tenant"]: claims.tenant,
        CLAIM_ENV["user"]: claims.user,
        CLAIM_ENV["roles"]: claims.roles,
        MODEL_ENV: spec.model_id,
        RETRIEVAL_ENV: spec.retrieval.backend,
        ENV_FLAGS_FILE: str(flags_file),
        ENV_SINK: "sqlite",
        ENV_STORE_PATH: str(events_db),
    }
    if bedrock_url is not None:
        environment["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = bedrock_url
        # Offline, credentials are moto's fakes: a stray call can never reach a real account.
        environment.update(FAKE_CREDENTIALS)
    else:
        # The catch-all points at moto, so real Bedrock needs its own endpoint named.
        environment["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = (
            f"https://bedrock-runtime.{spec.region}.amazonaws.com"
        )
    return environment


@contextmanager
def fresh_handler_environment() -> Iterator[None]:
    """The handlers build their parts once per process from the variables: forget them on start and stop.

    Only if the handlers were imported already; the stack never imports them itself.
    """
    module = sys.modules.get(HANDLER_ENVIRONMENT_MODULE)
    if module is not None:
        module.reset()
    try:
        yield
    finally:
        module = sys.modules.get(HANDLER_ENVIRONMENT_MODULE)
        if module is not None:
            module.reset()


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ``; on exit restore each variable (or remove it) as it was."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
