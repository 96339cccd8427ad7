"""The Pulumi program every generated assistant runs: assistant.yaml in, the governed assistant out.

A project's ``__main__.py`` is three lines::

    import pulumi
    from governed_assistant import deploy_assistant
    deploy_assistant(pulumi.Config(), pulumi.get_stack())

It is the only file that creates ``pulumi.Config()``; this module reads the values it is handed.
What is the same in every stack lives in assistant.yaml; what differs per stack lives in
Pulumi.<stack>.yaml (``pulumi config set -s <stack> <key> <value>``), all optional. Pulumi.yaml
declares each (``config:``) with its type, so the CLI refuses a value of another type, and with
a default, which is the program's own (a stack without the setting gets the same resources):

    protectData            protect the stack's data (tables, user pool, buckets, database, search
                           domain and collection) from deletion and replacement; production stacks
                           (``is_production``: prod, production, prod-*...) always are
    corsAllowOrigins       browser origins allowed to call the API (list; default none)
    throttlingBurstLimit   API burst limit, throttlingRateLimit  API requests per second
    apiReservedConcurrency instances reserved for the API function (0: none, the shared pool)
    dailyTokenBudget       tokens one tenant may spend per UTC day
    telemetrySink          log (default) or firehose: how decision events reach OpenSearch
    alarmTopicArns         SNS topics the alarms notify (list)
    searchDomain           {"instance_type", "instance_count", "volume_gb"} of the OpenSearch domain
                           ({}: the stack's default size, ``default_domain``)
    dependenciesLayerArn   an existing layer with requirements.txt's packages (else build/layer.zip)
    architecture           arm64 (default) or x86_64: what the layer was built for
    approvalSubscriptions  who hears of each tenant's approval requests: a list of {"tenantId",
                           "protocol" (email, sqs, lambda, https), "endpoint"}, each subscribed with a
                           filter naming its one tenant (``approval_subscriptions``)
    auditTrail             true: a CloudTrail trail with data events on the stack's tables, buckets
                           and functions, into the audit archive, and Bedrock invocation logging

The ``aws:`` settings (``aws:region``...) configure the stack's one explicit provider, which tags
every resource (``governed_assistant.infra.provider``).

The functions' code (the owner's actions/, policies/, prompts/ and assistant.yaml) is zipped on
every run, byte for byte reproducibly, so unchanged code never redeploys. The governance package
and its dependencies travel in the layer, built from requirements.txt by ``make build``.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from governed_assistant.infra.approval_subscriptions import parse_approval_subscriptions
from governed_assistant.infra.assistant import AssistantCode, GovernedAssistant, GovernedAssistantArgs
from governed_assistant.infra.packaging import build_code
from governed_assistant.infra.provider import aws_settings, stack_provider
from governed_assistant.spec import load_spec
from governed_assistant.spec.model import is_production
from governed_assistant.wire import ROUTE_CONSOLE

CONSOLE_PATH = ROUTE_CONSOLE.split(" ", 1)[1]


def deploy_assistant(config: pulumi.Config, stack: str, project_dir: Path = Path(".")) -> GovernedAssistant:
    """Build the GovernedAssistant ``project_dir/assistant.yaml`` describes and export its outputs."""
    spec = load_spec(project_dir / "assistant.yaml")
    code_zip = build_code(project_dir, project_dir / "build" / "code.zip")
    code: AssistantCode = {
        "archive": pulumi.FileArchive(str(code_zip.path)),
        "dependencies": config.get("dependenciesLayerArn")
        or pulumi.FileArchive(str(project_dir / "build" / "layer.zip")),
        "architecture": "x86_64" if config.get("architecture") == "x86_64" else "arm64",
    }
    args: GovernedAssistantArgs = {
        "spec": spec,
        "code": code,
        # Pulumi.yaml's default (false) reaches the program as if the stack had set it, so "unset"
        # cannot mean "as the stack's kind says": a production stack's data is always protected.
        "protect_data": is_production(stack) or bool(config.get_bool("protectData")),
        "telemetry_sink": "firehose" if config.get("telemetrySink") == "firehose" else "log",
        "audit_trail": bool(config.get_bool("auditTrail")),
        "cors_allow_origins": config.get_object("corsAllowOrigins") or [],
        "alarm_actions": config.get_object("alarmTopicArns") or [],
        "approval_subscriptions": parse_approval_subscriptions(
            config.get_object("approvalSubscriptions") or []
        ),
    }
    if (burst := config.get_int("throttlingBurstLimit")) is not None:
        args["throttling_burst_limit"] = burst
    if (rate := config.get_float("throttlingRateLimit")) is not None:
        args["throttling_rate_limit"] = rate
    if (reserved := config.get_int("apiReservedConcurrency")) is not None:
        args["api_reserved_concurrency"] = reserved
    if (budget := config.get_int("dailyTokenBudget")) is not None:
        args["daily_token_budget"] = budget
    if domain := config.get_object("searchDomain"):
        args["search_domain"] = domain

    # Every resource (and invoke) below inherits this provider: its default tags reach them all.
    provider = stack_provider(spec.slug, slug=spec.slug, stack=stack, settings=aws_settings())
    assistant = GovernedAssistant(spec.slug, args, pulumi.ResourceOptions(providers=[provider]))
    pulumi.export("api_url", assistant.api_url)
    # The console (GET /console) is served by the same API; $default's invoke URL ends with a slash.
    pulumi.export("console_url", assistant.api_url.apply(lambda url: url.rstrip("/") + CONSOLE_PATH))
    pulumi.export("issuer", assistant.issuer)
    pulumi.export("audience", assistant.audience)
    pulumi.export("user_pool_id", assistant.user_pool_id)
    pulumi.export("state_machine_arn", assistant.state_machine_arn)
    pulumi.export("jobs_table", assistant.jobs_table_name)
    pulumi.export("dashboard_url", assistant.dashboard_url)
    # Where tenant data lives: `make erase-tenant` pipes `pulumi stack output --json` in.
    pulumi.export("erasure", assistant.erasure_targets)
    return assistant
