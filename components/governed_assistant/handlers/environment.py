"""Everything the handlers use, built from the environment lazily and once per process.

    env = current()                      # the process's Environment, built on first use
    env.jobs.create(context)             # each part is built on first access, then kept

A function builds only what it touches: the API function never loads Cedar, the gate never
builds a model client. Tests and the local stack ``configure(Environment(...))`` with their own
parts (a fake retriever, moto clients, in-memory stores) and ``reset()`` afterwards. Heavy
libraries (boto3, cedarpy, Powertools idempotency) are imported where a part is built, so a
handler module imports quickly (``bench/handler_cold_import.py``).

boto3 clients are created plainly (``boto3.client(service)``), so ``AWS_ENDPOINT_URL_<SERVICE>``
sends them to moto or the local stack's endpoints without a code change.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from governed_assistant.handlers.constants import (
    DEFAULT_ACTIONS_PACKAGE,
    DEFAULT_POLICIES_DIR,
    DEFAULT_SPEC_PATH,
    MODEL_READ_TIMEOUT_SECONDS,
)
from governed_assistant.handlers.exceptions import HandlerConfigError
from governed_assistant.wire import (
    ENV_ACTIONS_PACKAGE,
    ENV_AUDIT_BUCKET,
    ENV_EVENT_BUS,
    ENV_MODEL_ID,
    ENV_POLICIES_DIR,
    ENV_PROJECT_ROOT,
    ENV_ROLES_CLAIM,
    ENV_SPEC_PATH,
    ENV_SYSTEM_PROMPT_PATH,
    ENV_TENANT_CLAIM,
    ENV_TENANT_DATA_ROLE_ARN,
    ENV_USER_CLAIM,
)

if TYPE_CHECKING:
    from governed_assistant.runtime.approvals import ApprovalStore
    from governed_assistant.runtime.audit import ApprovalArchive
    from governed_assistant.runtime.flags import RolloutFlags, RolloutSnapshot
    from governed_assistant.runtime.gate import Authorizer, OwnerLookup, RiskHook
    from governed_assistant.runtime.guardrails import Guardrail
    from governed_assistant.runtime.jobs import JobStore
    from governed_assistant.runtime.model import CircuitBreaker, ModelClient, TokenUsageStore
    from governed_assistant.runtime.ratelimit import RequestLimiter
    from governed_assistant.runtime.retrieval import Retriever
    from governed_assistant.runtime.telemetry import DecisionRecorder
    from governed_assistant.runtime.tenancy import TenantSessions
    from governed_assistant.spec.model import AssistantSpec, Claims

T = TypeVar("T")

# Converse is retried by ModelClient itself (and its breaker must see every failure): botocore's
# own retries stay off. The read timeout covers a strict tool's grammar compile (botocore's
# default of 60 s does not): a new tool config's first call waits for it.
MODEL_CLIENT_CONFIG: Mapping[str, Any] = {
    "retries": {"total_max_attempts": 1},
    "read_timeout": MODEL_READ_TIMEOUT_SECONDS,
}
_UNSET: Any = object()


class Environment:
    """The handlers' parts. Pass any part to use it as is; the rest is built from env vars on first use."""

    def __init__(
        self,
        *,
        spec: AssistantSpec | None = None,
        clients: Mapping[str, Any] | None = None,
        jobs: JobStore | None = None,
        approvals: ApprovalStore | None = None,
        recorder: DecisionRecorder | None = None,
        flags: RolloutFlags | None = None,
        guardrail: Guardrail | None = None,
        authorizer: Authorizer | None = None,
        owners: OwnerLookup | None = None,
        risk_hooks: Mapping[str, RiskHook] | None = None,
        usage_store: TokenUsageStore | None = None,
        limiter: RequestLimiter | None = None,
        persistence: Any = None,
        retriever: Retriever | Any | None = _UNSET,
        system_prompt: str | None = None,
        audit_archive: ApprovalArchive | None = None,
    ) -> None:
        self._parts: dict[str, Any] = {
            name: value
            for name, value in {
                "spec": spec,
                "jobs": jobs,
                "approvals": approvals,
                "recorder": recorder,
                "flags": flags,
                "guardrail": guardrail,
                "authorizer": authorizer,
                "owners": owners,
                "risk_hooks": risk_hooks,
                "usage_store": usage_store,
                "limiter": limiter,
                "persistence": persistence,
                "system_prompt": system_prompt,
                "audit_archive": audit_archive,
            }.items()
            if value is not None
        }
        if retriever is not _UNSET:
            self._parts["retriever"] = retriever
        self._clients: dict[str, Any] = dict(clients or {})
        self._breakers: dict[str, CircuitBreaker] = {}
        self._models: dict[tuple[str, str], ModelClient] = {}
        self._lock = threading.RLock()

    def _part(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
            value: T = self._parts[name]
            return value

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` (one per process); endpoints follow AWS_ENDPOINT_URL_<SERVICE>."""
        with self._lock:
            if service not in self._clients:
                import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints

                if service == "bedrock-runtime":
                    from botocore.config import Config  # type: ignore[import-untyped]

                    self._clients[service] = boto3.client(service, config=Config(**MODEL_CLIENT_CONFIG))
                else:
                    self._clients[service] = boto3.client(service)
            return self._clients[service]

    @property
    def spec(self) -> AssistantSpec:
        return self._part("spec", _load_spec)

    @property
    def claims(self) -> Claims:
        """The claim names: the conversation layer's env vars, else the spec's ``identity.claims``."""
        configured = self.spec.identity.claims
        return configured.model_copy(
            update={
                "tenant": os.environ.get(ENV_TENANT_CLAIM) or configured.tenant,
                "user": os.environ.get(ENV_USER_CLAIM) or configured.user,
                "roles": os.environ.get(ENV_ROLES_CLAIM) or configured.roles,
            }
        )

    @property
    def actions_package(self) -> str:
        return os.environ.get(ENV_ACTIONS_PACKAGE) or DEFAULT_ACTIONS_PACKAGE

    @property
    def event_bus(self) -> str:
        return required_env(ENV_EVENT_BUS, "the execution layer's event bus name or ARN")

    @property
    def tenant_sessions(self) -> TenantSessions | None:
        """Sessions on the tenant data role when this function is given one (the API function), else None."""

        def build() -> TenantSessions | None:
            role_arn = os.environ.get(ENV_TENANT_DATA_ROLE_ARN)
            if not role_arn:
                return None
            from governed_assistant.runtime.tenancy import TenantSessions

            return TenantSessions(self.client("sts"), role_arn)

        return self._part("tenant_sessions", build)

    @property
    def jobs(self) -> JobStore:
        def build() -> JobStore:
            from governed_assistant.runtime.jobs import DynamoDBJobStore

            sessions = self.tenant_sessions
            if sessions is not None:
                from governed_assistant.runtime.tenancy import TenantScopedJobStore

                return TenantScopedJobStore(sessions)
            return DynamoDBJobStore(self.client("dynamodb"))

        return self._part("jobs", build)

    @property
    def approvals(self) -> ApprovalStore:
        def build() -> ApprovalStore:
            from governed_assistant.runtime.approvals import DynamoDBApprovalStore

            sessions = self.tenant_sessions
            if sessions is not None:
                from governed_assistant.runtime.tenancy import TenantScopedApprovalStore

                return TenantScopedApprovalStore(sessions)
            return DynamoDBApprovalStore(self.client("dynamodb"))

        return self._part("approvals", build)

    @property
    def audit_archive(self) -> ApprovalArchive | None:
        """Where decided approvals are archived: the bucket $GOVERNED_AUDIT_BUCKET names, else None."""

        def build() -> ApprovalArchive | None:
            if not os.environ.get(ENV_AUDIT_BUCKET):
                return None
            from governed_assistant.runtime.audit import ApprovalArchive

            return ApprovalArchive(self.client("s3"))

        return self._part("audit_archive", build)

    @property
    def recorder(self) -> DecisionRecorder:
        def build() -> DecisionRecorder:
            from governed_assistant.runtime.telemetry import recorder_from_env

            return recorder_from_env()

        return self._part("recorder", build)

    @property
    def flags(self) -> RolloutFlags:
        def build() -> RolloutFlags:
            from governed_assistant.runtime.flags import RolloutFlags

            return RolloutFlags.from_environment(self.spec)

        return self._part("flags", build)

    @property
    def guardrail(self) -> Guardrail:
        """The spec's guardrail; GuardrailConfigError names GOVERNED_GUARDRAIL_ID when it is unset."""

        def build() -> Guardrail:
            from governed_assistant.runtime.guardrails import Guardrail

            return Guardrail(self.client("bedrock-runtime"))

        return self._part("guardrail", build)

    @property
    def authorizer(self) -> Authorizer:
        def build() -> Authorizer:
            from governed_assistant.runtime.gate import CedarAuthorizer

            directory = project_root() / (os.environ.get(ENV_POLICIES_DIR) or DEFAULT_POLICIES_DIR)
            if not directory.is_dir():
                raise HandlerConfigError(
                    ENV_POLICIES_DIR,
                    f"No Cedar policies directory, path={directory}",
                    "ship policies/ with the function or point the variable at it",
                )
            return CedarAuthorizer.from_directory(self.spec, directory)

        return self._part("authorizer", build)

    @property
    def owners(self) -> OwnerLookup:
        def build() -> OwnerLookup:
            from governed_assistant.runtime.gate import ActionModuleOwners

            return ActionModuleOwners(self.actions_package)

        return self._part("owners", build)

    @property
    def risk_hooks(self) -> Mapping[str, RiskHook]:
        def build() -> Mapping[str, RiskHook]:
            from governed_assistant.runtime.gate import action_module_risk_hooks

            return action_module_risk_hooks(self.spec, self.actions_package)

        return self._part("risk_hooks", build)

    @property
    def persistence(self) -> Any:
        """Powertools' idempotency persistence on the idempotency table."""

        def build() -> Any:
            from governed_assistant.runtime.idempotency import persistence_layer

            return persistence_layer(boto3_client=self.client("dynamodb"))

        return self._part("persistence", build)

    @property
    def retriever(self) -> Retriever | None:
        """The tenant-scoped retriever, or None when the spec's ``retrieval.backend`` is ``none``."""

        def build() -> Retriever | None:
            if self.spec.retrieval.backend == "none":
                return None
            from governed_assistant.runtime.retrieval import retriever_from_env

            return retriever_from_env(self.spec)

        return self._part("retriever", build)

    @property
    def usage_store(self) -> TokenUsageStore:
        def build() -> TokenUsageStore:
            from governed_assistant.runtime.model import DynamoDBTokenUsageStore

            return DynamoDBTokenUsageStore(self.client("dynamodb"))

        return self._part("usage_store", build)

    @property
    def limiter(self) -> RequestLimiter:
        """Per-tenant request counters, in the token usage table."""

        def build() -> RequestLimiter:
            from governed_assistant.runtime.ratelimit import RequestLimiter

            return RequestLimiter(self.client("dynamodb"))

        return self._part("limiter", build)

    def close(self) -> None:
        """Close the connections the parts hold (the pgvector retriever's); a stopping local stack's call."""
        with self._lock:
            retriever = self._parts.get("retriever")
        close = getattr(retriever, "close", None)
        if callable(close):
            close()

    def model_client(self, snapshot: RolloutSnapshot) -> ModelClient:
        """The model client for the tenant's variant, its breaker set from the flags snapshot.

        One breaker per model id per process, so its failure count survives invocations; each time
        it opens, the opening is counted (``_breaker_opened``). Every call carries the spec's
        guardrail (Converse's ``guardrailConfig``); GuardrailConfigError when none is configured.
        """
        from governed_assistant.runtime.flags import STABLE_VARIANT
        from governed_assistant.runtime.model import CircuitBreaker, ModelClient

        variant = snapshot.variant
        stable = variant.name == STABLE_VARIANT
        model_id = (os.environ.get(ENV_MODEL_ID) or variant.model_id) if stable else variant.model_id
        prompt_key = "" if stable else variant.prompt
        with self._lock:
            breaker = self._breakers.get(model_id)
            if breaker is None:
                breaker = self._breakers[model_id] = CircuitBreaker(
                    model_id, snapshot.breaker, on_open=self._breaker_opened
                )
            breaker.configure(snapshot.breaker)
            client = self._models.get((model_id, prompt_key))
            if client is None:
                client = self._models[(model_id, prompt_key)] = ModelClient(
                    self.client("bedrock-runtime"),
                    model_id=model_id,
                    system_prompt=self._system_prompt(None if stable else variant.prompt),
                    usage_store=self.usage_store,
                    breaker=breaker,
                    guardrail_config=self.guardrail.converse_config(),
                )
            return client

    def _breaker_opened(self, breaker: CircuitBreaker) -> None:
        """Count a breaker opening where the stage metrics go (the recorder's EMF writer): in AWS,
        as ``CircuitBreakerOpen``, which the breaker-open alarm watches; locally, nowhere."""
        from governed_assistant.runtime.telemetry import StageMetrics

        for observer in self.recorder.observers:
            if isinstance(observer, StageMetrics):
                observer.breaker_opened(breaker.name)

    def _system_prompt(self, path: str | None) -> str:
        from governed_assistant.runtime.model import load_system_prompt
        from governed_assistant.runtime.model.constants import DEFAULT_SYSTEM_PROMPT_PATH

        if path is None and "system_prompt" in self._parts:
            return str(self._parts["system_prompt"])
        if path is None and not os.environ.get(ENV_SYSTEM_PROMPT_PATH):
            path = str(project_root() / DEFAULT_SYSTEM_PROMPT_PATH)
        return load_system_prompt(path)


def project_root() -> Path:
    """Where the owner's files are: the governance package itself lives elsewhere (the layer, a venv)."""
    return Path(os.environ.get(ENV_PROJECT_ROOT) or os.environ.get("LAMBDA_TASK_ROOT") or Path.cwd())


def required_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise HandlerConfigError(name, f"{name} is not set", f"set it to {what} (the stack sets it)")
    return value


def _load_spec() -> AssistantSpec:
    from governed_assistant.spec import SpecError, load_spec

    path = project_root() / (os.environ.get(ENV_SPEC_PATH) or DEFAULT_SPEC_PATH)
    try:
        return load_spec(path)
    except SpecError as error:
        raise HandlerConfigError(
            ENV_SPEC_PATH, f"The spec cannot be loaded, path={path}: {error}", "ship a valid assistant.yaml"
        ) from error


_CURRENT: Environment | None = None
_CURRENT_LOCK = threading.Lock()


def current() -> Environment:
    """The process's Environment: the configured one, else one built from env vars (once)."""
    global _CURRENT
    with _CURRENT_LOCK:
        if _CURRENT is None:
            _CURRENT = Environment()
        return _CURRENT


def configure(environment: Environment) -> Environment:
    """Use ``environment`` from now on (tests, the local stack); returns it."""
    global _CURRENT
    with _CURRENT_LOCK:
        _CURRENT = environment
    return environment


def reset() -> None:
    """Forget the current Environment, closing what it holds open (``Environment.close``); the next
    ``current()`` builds a fresh one from env vars."""
    global _CURRENT
    with _CURRENT_LOCK:
        forgotten, _CURRENT = _CURRENT, None
    if forgotten is not None:
        forgotten.close()
