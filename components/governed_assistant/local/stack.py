"""``LocalStack``: the whole assistant on loopback, for ``make dev``, the demo and end-to-end tests.

    with LocalStack.start(project_dir, port=0) as stack:
        token = stack.token("acme", "alice", ["agent"])
        requests.post(f"{stack.api_url}/messages", headers={"Authorization": f"Bearer {token}"}, ...)
        print(stack.trace(job_id))

What runs: moto's server (DynamoDB, EventBridge, Step Functions executing the real ASL, SQS,
SNS, S3, Firehose...) with the stack's resources; the Lambda endpoint running the handlers in
this process; the local bedrock-runtime (scripted model, local guardrail) unless
``real_bedrock``; the HTTP API. State that outlives a run (the dev issuer's key, the flags file,
the decision events) is kept in ``<project>/.local/``.

What it changes in this process while it runs, and puts back on exit: the variables of
``environment.handler_environment`` (``stack.environment``), moto's Step Functions config,
moto's in-memory state (reset on start and stop), and ``sys.path`` (the project directory is
put first, so the handlers import its ``actions`` package).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from governed_assistant.contracts import DecisionEvent
from governed_assistant.handlers.openapi import openapi_document
from governed_assistant.handlers.responses import DemoToken, DemoTokens
from governed_assistant.local.api_server import LocalApi, start_api_server
from governed_assistant.local.bedrock_endpoint import BedrockEndpoint, start_bedrock_server
from governed_assistant.local.bridge import StartedJob, function_target, job_starter
from governed_assistant.local.constants import (
    DEFAULT_API_PORT,
    EVENTS_DB_FILE,
    FAKE_CREDENTIALS,
    FLAGS_FILE,
    INSIGHT_FUNCTION,
    LOCAL_GUARDRAIL_ID,
    LOCAL_GUARDRAIL_VERSION,
    LOOPBACK,
    MODEL_SCRIPT_PATH,
    STATE_DIR,
)
from governed_assistant.local.environment import (
    fresh_handler_environment,
    handler_environment,
    patched_environ,
)
from governed_assistant.local.exceptions import LocalStackError
from governed_assistant.local.guardrail import LocalGuardrail
from governed_assistant.local.handlers import project_handlers
from governed_assistant.local.issuer import DevIssuer
from governed_assistant.local.lambda_endpoint import Handler, LambdaEndpoint, start_lambda_server
from governed_assistant.local.model_script import ScriptedModel
from governed_assistant.local.moto_server import moto_api, start_moto_server
from governed_assistant.local.resources import LocalResources, create_resources
from governed_assistant.local.retrieval import LocalRetrieval, start_local_retrieval
from governed_assistant.local.servers import Listen
from governed_assistant.runtime.flags import (
    KILL_SWITCH,
    build_flags_document,
    validate_flags_document,
    write_flags_file,
)
from governed_assistant.runtime.telemetry import SqliteEventStore, format_timeline
from governed_assistant.spec import AssistantSpec, load_spec
from governed_assistant.wire import (
    ENV_LOCAL_API_PORT,
    ENV_LOCAL_BEDROCK_PORT,
    ENV_LOCAL_LAMBDA_PORT,
    ENV_LOCAL_MODEL_SCRIPT,
    ENV_LOCAL_MOTO_PORT,
    ROUTE_CONSOLE,
)


@dataclass(frozen=True)
class DemoIdentity:
    """A ready-made user for the demo: ``label`` says what it is for."""

    label: str
    tenant: str
    user: str
    roles: tuple[str, ...]


_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")


def demo_identities(spec: AssistantSpec) -> list[DemoIdentity]:
    """One user of tenant ``acme`` per spec role, and an approver and a user of tenant ``globex``."""
    identities = [
        DemoIdentity(f"acme {role}", "acme", _NAMES[index % len(_NAMES)], (role,))
        for index, role in enumerate(spec.roles)
    ]
    approver = spec.approver_roles[0]
    acting = acting_role(spec)
    identities.append(DemoIdentity(f"globex {approver}", "globex", "grace", (approver,)))
    identities.append(DemoIdentity(f"globex {acting}", "globex", "gus", (acting,)))
    return identities


def acting_role(spec: AssistantSpec) -> str:
    """The role the demo acts with: the first role of the first action (answer mode: the first role)."""
    return next((role for action in spec.actions for role in action.roles), next(iter(spec.roles)))


def token_example_roles(spec: AssistantSpec) -> list[str]:
    """The roles the README's and the banner's ``make token`` example asks for: one that acts and
    one that approves, so the example shows the comma and names roles this spec declares."""
    return list(dict.fromkeys((acting_role(spec), spec.approver_roles[0])))


@dataclass(frozen=True)
class ApprovalExample:
    """An action that waits for approval, asked for by one demo user of acme and approved by another."""

    message: str
    requester: DemoIdentity
    approver: DemoIdentity


def approval_example(spec: AssistantSpec) -> ApprovalExample | None:
    """The first action whose risk needs approval, who of acme may ask for it and who may approve it;
    None when the spec has no such action, or acme's demo users cannot play both parts."""
    gated = next((a for a in spec.actions if spec.risk.approval <= a.risk < spec.risk.deny), None)
    if gated is None:
        return None
    acme = [who for who in demo_identities(spec) if who.tenant == "acme"]
    approver = next((who for who in acme if set(who.roles) & set(spec.approver_roles)), None)
    requester = next((who for who in acme if set(who.roles) & set(gated.roles) and who != approver), None)
    if approver is None or requester is None:
        return None
    # The scripted model proposes an action when a message says its name's words (model_script).
    return ApprovalExample(f"please {gated.name.replace('_', ' ')}", requester, approver)


def port_from(explicit: int | None, env: str, default: int) -> int:
    """A port: ``explicit``, else ``$env``, else ``default``."""
    if explicit is not None:
        return explicit
    value = os.environ.get(env)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise LocalStackError(f"{env} must be a port number, {env}={value!r}; e.g. {env}=8081") from None


def api_issuer(port: int) -> str:
    """The dev issuer's URL: the API's own, where it serves the JWKS (as Cognito serves its pool's)."""
    return f"http://{LOOPBACK}:{port}"


class LocalStack:
    """A running local stack; build it with ``LocalStack.start(...)``."""

    spec: AssistantSpec
    project_dir: Path
    state_dir: Path
    api_url: str
    moto_url: str
    lambda_url: str
    bedrock_url: str | None
    issuer: DevIssuer
    resources: LocalResources
    environment: dict[str, str]
    functions: LambdaEndpoint
    bedrock: BedrockEndpoint | None
    started: list[StartedJob]
    """Every execution the "job accepted" rule started, oldest first."""
    flags_file: Path
    events_db: Path
    retrieval: LocalRetrieval
    """pgvector on a throwaway PostgreSQL when the spec retrieves and one can start; its ``note`` says."""
    console_key: str
    """This run's console key: whoever holds it may have the demo identities' tokens (the console URL)."""
    api: LocalApi
    """The local API's settings (``api.stream_events = False`` answers event streams as API Gateway does)."""

    @classmethod
    @contextmanager
    def start(
        cls,
        project_dir: str | Path = ".",
        *,
        port: int | None = None,
        moto_port: int | None = None,
        lambda_port: int | None = None,
        bedrock_port: int | None = None,
        spec: AssistantSpec | None = None,
        handlers: Mapping[str, Handler] | None = None,
        real_bedrock: bool = False,
        guardrail_id: str | None = None,
        model_script: str | Path | None = None,
        state_dir: str | Path | None = None,
        poll_seconds: float = 0.5,
    ) -> Iterator[LocalStack]:
        """Start everything, yield the stack, stop everything (also on an exception).

        Ports: explicit, else ``GOVERNED_LOCAL_*_PORT``, else 8080 for the API and any free port
        for the rest (0 means any free port). ``handlers`` replace project handlers by function
        name (``reason``, ``gate``, ..., ``api``). ``real_bedrock`` sends Converse and
        ApplyGuardrail to AWS with your credentials (``guardrail_id`` names a deployed guardrail).
        """
        stack = cls()
        stack.project_dir = Path(project_dir).resolve()
        stack.spec = spec or load_spec(stack.project_dir / "assistant.yaml")
        stack.state_dir = Path(state_dir).resolve() if state_dir else stack.project_dir / STATE_DIR
        stack.state_dir.mkdir(parents=True, exist_ok=True)
        stack.flags_file = stack.state_dir / FLAGS_FILE
        stack.events_db = stack.state_dir / EVENTS_DB_FILE
        with ExitStack() as cleanup:
            stack._start(
                cleanup,
                api_port=port_from(port, ENV_LOCAL_API_PORT, DEFAULT_API_PORT),
                moto_port=port_from(moto_port, ENV_LOCAL_MOTO_PORT, 0),
                lambda_port=port_from(lambda_port, ENV_LOCAL_LAMBDA_PORT, 0),
                bedrock_port=port_from(bedrock_port, ENV_LOCAL_BEDROCK_PORT, 0),
                handlers=handlers,
                real_bedrock=real_bedrock,
                guardrail_id=guardrail_id,
                model_script=model_script,
                poll_seconds=poll_seconds,
            )
            yield stack

    def _start(
        self,
        cleanup: ExitStack,
        *,
        api_port: int,
        moto_port: int,
        lambda_port: int,
        bedrock_port: int,
        handlers: Mapping[str, Handler] | None,
        real_bedrock: bool,
        guardrail_id: str | None,
        model_script: str | Path | None,
        poll_seconds: float,
    ) -> None:
        spec = self.spec
        self.functions = LambdaEndpoint(project_handlers(handlers))
        lambda_server = start_lambda_server(
            self.functions, Listen("Lambda endpoint", lambda_port, "--lambda-port", ENV_LOCAL_LAMBDA_PORT)
        )
        cleanup.callback(lambda_server.stop)
        self.lambda_url = lambda_server.url
        moto = start_moto_server(
            Listen("moto server", moto_port, "--moto-port", ENV_LOCAL_MOTO_PORT), self.lambda_url
        )
        cleanup.callback(moto.stop)
        self.moto_url = moto.url
        cleanup.enter_context(_moto_settings(self.moto_url))

        self.bedrock, self.bedrock_url = None, None
        if not real_bedrock:
            script = Path(model_script) if model_script else None
            script = script or Path(
                os.environ.get(ENV_LOCAL_MODEL_SCRIPT) or self.project_dir / MODEL_SCRIPT_PATH
            )
            self.bedrock = BedrockEndpoint(
                ScriptedModel(spec, script), LocalGuardrail(spec), LOCAL_GUARDRAIL_ID
            )
            self.bedrock.model.rules()  # a broken script fails the start, not the first request
            bedrock = start_bedrock_server(
                self.bedrock,
                Listen("bedrock-runtime endpoint", bedrock_port, "--bedrock-port", ENV_LOCAL_BEDROCK_PORT),
            )
            cleanup.callback(bedrock.stop)
            self.bedrock_url = bedrock.url
        elif not guardrail_id:
            raise LocalStackError(
                "real Bedrock needs a deployed guardrail, guardrail_id=None; pass --guardrail-id <id> "
                "(the stack output guardrail_id)"
            )

        api = self.api = LocalApi(
            verifier=None, jwks=lambda: {"keys": []}, functions=self.functions, poll_seconds=poll_seconds
        )
        api_server = start_api_server(api, Listen("API", api_port, "--port", ENV_LOCAL_API_PORT))
        cleanup.callback(api_server.stop)
        self.api_url = api_server.url
        self.issuer = DevIssuer.for_spec(spec, self.state_dir, issuer=api_issuer(api_server.port))
        api.jwks = self.issuer.jwks
        api.openapi = openapi_document(spec, local_url=self.api_url)
        api.verifier = self.issuer.verifier()
        self.console_key = secrets.token_urlsafe(24)
        api.console_key, api.demo_tokens = self.console_key, self._demo_token_list

        self.resources = create_resources(self.session(), spec)
        self.set_flags()
        SqliteEventStore(self.events_db)  # creates the schema, so `trace` works before any event
        self.environment = handler_environment(
            spec=spec,
            project_dir=self.project_dir,
            resources=self.resources,
            moto_url=self.moto_url,
            lambda_url=self.lambda_url,
            bedrock_url=self.bedrock_url,
            guardrail_id=guardrail_id or LOCAL_GUARDRAIL_ID,
            guardrail_version=LOCAL_GUARDRAIL_VERSION,
            flags_file=self.flags_file,
            events_db=self.events_db,
            console_url=f"{self.api_url}{ROUTE_CONSOLE.split(' ', 1)[1]}",
        )
        self.retrieval = start_local_retrieval(spec, cleanup)
        self.environment |= self.retrieval.environment
        cleanup.enter_context(patched_environ(self.environment))
        cleanup.enter_context(fresh_handler_environment())
        cleanup.enter_context(_project_on_path(self.project_dir))
        sqs = self.session().client("sqs")
        starter, self.started = job_starter(
            sqs,
            self.session().client("stepfunctions"),
            self.resources.job_queue_url,
            self.resources.state_machine_arn,
        )
        bridges = [starter]
        if self.resources.insight_queue_url is not None:
            invoke = partial(self.functions.invoke, INSIGHT_FUNCTION)
            bridges.append(function_target(sqs, self.resources.insight_queue_url, invoke))
        for bridge in bridges:
            cleanup.callback(bridge.start().stop)

    # ------------------------------------------------------------------ for the demo and tests

    def session(self) -> Any:
        """A boto3 session whose clients talk to this stack's moto (``session().client("dynamodb")``)."""
        import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

        return _EndpointSession(
            boto3.session.Session(region_name=self.spec.region, **_session_credentials()), self.moto_url
        )

    def token(self, tenant: str, user: str, roles: Sequence[str] = (), **options: Any) -> str:
        """A token of the dev issuer for ``user`` of ``tenant`` with ``roles``."""
        return self.issuer.token(tenant, user, roles, **options)

    def demo_tokens(self) -> list[tuple[DemoIdentity, str]]:
        return [(who, self.token(who.tenant, who.user, who.roles)) for who in demo_identities(self.spec)]

    @property
    def console_url(self) -> str:
        """The console, with this run's key in its fragment (never sent in a request line or a log)."""
        return f"{self.api_url}{ROUTE_CONSOLE.split(' ', 1)[1]}#key={self.console_key}"

    def _demo_token_list(self) -> DemoTokens:
        return DemoTokens(
            identities=tuple(
                DemoToken(label=who.label, tenant=who.tenant, user=who.user, roles=who.roles, token=token)
                for who, token in self.demo_tokens()
            )
        )

    def events(self, job_id: str) -> list[DecisionEvent]:
        """The job's decision events, in order, from the local store."""
        return SqliteEventStore(self.events_db).events_for_job(job_id)

    def trace(self, job_id: str) -> str:
        """The job's decision chain as the timeline ``make trace`` prints."""
        return format_timeline(self.events(job_id), job_id=job_id)

    def set_flags(
        self,
        *,
        shadow_tenants: Sequence[str] = (),
        live_tenants: Sequence[str] = (),
        canary_tenants: Sequence[str] = (),
        kill_switch: bool = False,
        rate_limits: Mapping[str, int] | None = None,
    ) -> Path:
        """Rewrite the flags file from the spec with these overrides; handlers see it on their next read."""
        document = build_flags_document(
            self.spec,
            shadow_tenants=shadow_tenants,
            live_tenants=live_tenants,
            canary_tenants=canary_tenants,
            rate_limits=rate_limits,
        )
        document[KILL_SWITCH] = {"default": kill_switch}
        return write_flags_file(self.flags_file, validate_flags_document(document))


class _EndpointSession:
    """A boto3 session whose clients default to one endpoint (moto's)."""

    def __init__(self, session: Any, endpoint_url: str) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self.region_name = session.region_name

    def client(self, service: str, **options: Any) -> Any:
        options.setdefault("endpoint_url", self._endpoint_url)
        return self._session.client(service, **options)


def _session_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


@contextmanager
def _moto_settings(moto_url: str) -> Iterator[None]:
    """A fresh moto with state machines executing; moto's previous config and state put back after."""
    from moto.core.config import default_user_config

    before = dict(default_user_config.get("stepfunctions", {}))
    moto_api(moto_url, "reset")
    moto_api(moto_url, "config", {"stepfunctions": {"execute_state_machine": True}})
    try:
        yield
    finally:
        moto_api(moto_url, "reset")
        default_user_config["stepfunctions"] = before  # type: ignore[typeddict-item]


@contextmanager
def _project_on_path(project_dir: Path) -> Iterator[None]:
    entry = str(project_dir)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)
