# Managed by the governed-assistant template; `copier update` refreshes this file.
"""The Pulumi program: the spec in, the governed assistant out. Only this file reads config.

What is the same in every stack lives in assistant.yaml; what differs per stack lives in
Pulumi.<stack>.yaml (``pulumi config set -s <stack> <key> <value>``), all optional:

    protectData            keep tables, user pool and search domain on destroy (default: on in prod)
    corsAllowOrigins       browser origins allowed to call the API (list; default none)
    throttlingBurstLimit   API burst limit, throttlingRateLimit  API requests per second
    dailyTokenBudget       tokens one tenant may spend per UTC day
    telemetrySink          log (default) or firehose: how decision events reach OpenSearch
    alarmTopicArns         SNS topics the alarms notify (list)
    searchDomain           {"instance_type", "instance_count", "volume_gb"} of the OpenSearch domain
    dependenciesLayerArn   an existing layer with requirements.txt's packages (else build/layer.zip)
    architecture           arm64 (default) or x86_64: what the layer was built for

The functions' code is zipped from this directory on every run (components/, actions/,
policies/, prompts/, assistant.yaml: byte-for-byte reproducible, so unchanged code never
redeploys); the dependencies layer is built once with
``python -m components.infra.packaging build`` (it needs pip and a package index).
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.infra import AssistantCode, GovernedAssistant, GovernedAssistantArgs
from components.infra.packaging import build_code
from components.infra.rollout import is_production
from components.spec import load_spec

spec = load_spec("assistant.yaml")
config = pulumi.Config()
stack = pulumi.get_stack()

code_zip = build_code(Path("."), Path("build") / "code.zip")
code: AssistantCode = {
    "archive": pulumi.FileArchive(str(code_zip.path)),
    "dependencies": config.get("dependenciesLayerArn") or pulumi.FileArchive("build/layer.zip"),
    "architecture": "x86_64" if config.get("architecture") == "x86_64" else "arm64",
}
args: GovernedAssistantArgs = {
    "spec": spec,
    "code": code,
    "protect_data": config.get_bool("protectData", is_production(stack)) or False,
    "telemetry_sink": "firehose" if config.get("telemetrySink") == "firehose" else "log",
    "cors_allow_origins": config.get_object("corsAllowOrigins") or [],
    "alarm_actions": config.get_object("alarmTopicArns") or [],
}
if (burst := config.get_int("throttlingBurstLimit")) is not None:
    args["throttling_burst_limit"] = burst
if (rate := config.get_float("throttlingRateLimit")) is not None:
    args["throttling_rate_limit"] = rate
if (budget := config.get_int("dailyTokenBudget")) is not None:
    args["daily_token_budget"] = budget
if domain := config.get_object("searchDomain"):
    args["search_domain"] = domain

assistant = GovernedAssistant(spec.slug, args)

pulumi.export("api_url", assistant.api_url)
pulumi.export("issuer", assistant.issuer)
pulumi.export("user_pool_id", assistant.user_pool_id)
pulumi.export("state_machine_arn", assistant.state_machine_arn)
pulumi.export("jobs_table", assistant.jobs_table_name)
pulumi.export("dashboard_url", assistant.dashboard_url)
