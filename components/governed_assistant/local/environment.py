"""The environment the handlers run in locally, and a patch that puts the old one back.

The handlers are the deployed code, reading the deployed functions' variables (the names come
from ``governed_assistant.wire``, as the infra layers' do, so they cannot drift); boto3 finds the
local services through ``AWS_ENDPOINT_URL`` (moto, the catch-all: nothing reaches AWS by accident)
and the per-service ``AWS_ENDPOINT_URL_LAMBDA`` and ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from governed_assistant.local.constants import FAKE_CREDENTIALS
from governed_assistant.local.resources import LocalResources
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_BY_RESOURCE,
    ENV_CONSOLE_URL,
    ENV_EVENT_BUS,
    ENV_FLAGS_FILE,
    ENV_GUARDRAIL_VERSION,
    ENV_MODEL_ID,
    ENV_POLICIES_DIR,
    ENV_POWERTOOLS_SERVICE_NAME,
    ENV_RETRIEVAL_BACKEND,
    ENV_ROLES_CLAIM,
    ENV_SPEC_PATH,
    ENV_STATE_MACHINE_ARN,
    ENV_SYSTEM_PROMPT_PATH,
    ENV_TELEMETRY_DB,
    ENV_TELEMETRY_SINK,
    ENV_TENANT_CLAIM,
    ENV_USAGE_TABLE,
    ENV_USER_CLAIM,
)

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
    console_url: str | None = None,
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
        ENV_POWERTOOLS_SERVICE_NAME: spec.slug,
        # Absolute, so the handlers find the spec and the policies whatever the working directory.
        ENV_SPEC_PATH: str(project_dir / "assistant.yaml"),
        ENV_POLICIES_DIR: str(project_dir / "policies"),
        ENV_SYSTEM_PROMPT_PATH: str(project_dir / "prompts" / "system.md"),
        ENV_BY_RESOURCE["jobs_table"]: resources.tables.jobs,
        ENV_BY_RESOURCE["approvals_table"]: resources.tables.approvals,
        ENV_BY_RESOURCE["idempotency_table"]: resources.tables.idempotency,
        ENV_BY_RESOURCE["approval_topic"]: resources.approval_topic_arn,
        ENV_BY_RESOURCE["guardrail"]: guardrail_id,
        ENV_GUARDRAIL_VERSION: guardrail_version,
        ENV_USAGE_TABLE: resources.usage_table,
        ENV_STATE_MACHINE_ARN: resources.state_machine_arn,
        ENV_EVENT_BUS: resources.event_bus_arn,
        ENV_TENANT_CLAIM: claims.tenant,
        ENV_USER_CLAIM: claims.user,
        ENV_ROLES_CLAIM: claims.roles,
        ENV_MODEL_ID: spec.model_id,
        ENV_RETRIEVAL_BACKEND: spec.retrieval.backend,
        ENV_FLAGS_FILE: str(flags_file),
        ENV_TELEMETRY_SINK: "sqlite",
        ENV_TELEMETRY_DB: str(events_db),
    }
    if console_url is not None:
        # The console without its key: the approvers' notice links to it, the key stays in the banner.
        environment[ENV_CONSOLE_URL] = console_url
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
