"""What the rollout flags say for one tenant, as one frozen snapshot the gate and model client use.

Fail closed: when the flags cannot be read or fail validation, the snapshot has the kill switch
on and shadow mode on (and ``problem`` says why). The flags are the operator's brakes; a broken
document means we no longer know whether a brake was being pulled - an operator reaching for the
kill switch during an incident is exactly when a hurried edit goes wrong. Denying actions costs
availability, which the operator sees at once (every denial carries ``problem``); executing
actions the operator meant to stop can cost data that no retry brings back. Plain answers still
work: the kill switch denies actions, not conversation.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.feature_flags import (
    AppConfigStore,
    ConfigurationStoreError,
    FeatureFlags,
    StoreProvider,
)
from aws_lambda_powertools.utilities.feature_flags.exceptions import SchemaValidationError, StoreClientError

from governed_assistant.contracts import TenantContext
from governed_assistant.runtime.flags.constants import (
    CANARY,
    CIRCUIT_BREAKER,
    CONTEXT_ROLES,
    CONTEXT_TENANT_HASH,
    CONTEXT_TENANT_ID,
    CONTEXT_USER_ID,
    DEFAULT_FLAGS_MAX_AGE_SECONDS,
    DEFAULT_PROMPT_PATH,
    KILL_SWITCH,
    RATE_LIMIT,
    SHADOW_MODE,
    STABLE_VARIANT,
    VARIANTS,
)
from governed_assistant.runtime.flags.document import (
    breaker_settings,
    requests_per_minute,
    tenant_hash,
    validate_flags_document,
    variant_models,
)
from governed_assistant.runtime.flags.exceptions import FlagsConfigError, FlagsDocumentError, FlagsError
from governed_assistant.runtime.flags.stores import FileFlagsStore, FixedFlagsStore
from governed_assistant.runtime.model.breaker import CircuitBreakerSettings
from governed_assistant.spec.model import AssistantSpec
from governed_assistant.wire import (
    ENV_APPCONFIG_APPLICATION,
    ENV_APPCONFIG_ENVIRONMENT,
    ENV_APPCONFIG_PROFILE,
    ENV_FLAGS_FILE,
    ENV_FLAGS_MAX_AGE,
)

_LOGGER = logging.getLogger(__name__)
_UNREADABLE = (FlagsError, ConfigurationStoreError, SchemaValidationError, StoreClientError)


@dataclass(frozen=True)
class Variant:
    """Which model and system prompt a tenant's requests use."""

    name: str
    model_id: str
    prompt: str

    @classmethod
    def stable(cls, spec: AssistantSpec) -> Variant:
        """The spec's own model and the default prompt: what every tenant gets without a canary."""
        return cls(STABLE_VARIANT, spec.model_id, DEFAULT_PROMPT_PATH)


@dataclass(frozen=True)
class RolloutSnapshot:
    """The flags for one tenant at one moment; ``problem`` is set when they failed closed."""

    tenant_id: str
    shadow: bool
    kill_switch: bool
    variant: Variant
    breaker: CircuitBreakerSettings
    problem: str | None = None

    @property
    def failed_closed(self) -> bool:
        return self.problem is not None


class RolloutFlags:
    """Evaluates the flags document from ``store`` (AppConfig, or a local file) with Powertools."""

    def __init__(
        self, store: StoreProvider, *, fallback_variant: Variant, logger: logging.Logger | None = None
    ) -> None:
        self.store = store
        self.fallback_variant = fallback_variant
        self._logger = logger or _LOGGER
        self._flags = FeatureFlags(store=store, logger=self._logger)

    @classmethod
    def from_environment(
        cls,
        spec: AssistantSpec,
        *,
        flags_file: str | None = None,
        application: str | None = None,
        environment: str | None = None,
        profile: str | None = None,
        max_age: int | None = None,
        appconfig_client: Any = None,
    ) -> RolloutFlags:
        """A local flags file if one is named ($GOVERNED_FLAGS_FILE), else the AppConfig profile
        ($GOVERNED_APPCONFIG_APPLICATION / _ENVIRONMENT / _PROFILE) the rollout layer deployed."""
        fallback = Variant.stable(spec)
        path = flags_file or os.environ.get(ENV_FLAGS_FILE)
        if path:
            return cls(FileFlagsStore(path), fallback_variant=fallback)
        application = application or os.environ.get(ENV_APPCONFIG_APPLICATION)
        environment = environment or os.environ.get(ENV_APPCONFIG_ENVIRONMENT)
        profile = profile or os.environ.get(ENV_APPCONFIG_PROFILE)
        if not (application and environment and profile):
            raise FlagsConfigError(
                f"No flags store configured, flags_file=None, application={application}, "
                f"environment={environment}, profile={profile}; set {ENV_FLAGS_FILE} (local) or "
                f"{ENV_APPCONFIG_APPLICATION}, {ENV_APPCONFIG_ENVIRONMENT} and {ENV_APPCONFIG_PROFILE}"
            )
        if max_age is None:
            max_age = int(os.environ.get(ENV_FLAGS_MAX_AGE) or DEFAULT_FLAGS_MAX_AGE_SECONDS)
        store = AppConfigStore(
            environment=environment,
            application=application,
            name=profile,
            max_age=max_age,
            boto3_client=appconfig_client,
        )
        return cls(store, fallback_variant=fallback)

    def document(self) -> dict[str, Any]:
        """The current flags document, validated; raises ``FlagsDocumentError`` if it is unusable."""
        try:
            return validate_flags_document(self._flags.get_configuration())
        except FlagsError:
            raise
        except (ConfigurationStoreError, SchemaValidationError, StoreClientError) as error:
            raise FlagsDocumentError(
                f"Flags cannot be read, store={type(self.store).__name__}, error={error}"
            ) from error

    def for_tenant(self, context: TenantContext) -> RolloutSnapshot:
        """The flags for ``context``'s tenant; never raises - an unreadable document fails closed."""
        try:
            document = self.document()
        except _UNREADABLE as error:
            self._logger.error("Rollout flags failed closed: %s", error)
            return self.fail_closed(context.tenant_id, str(error))
        # Evaluate every flag against the one document just validated: a consistent snapshot, even
        # if the store changes meanwhile.
        flags = FeatureFlags(store=FixedFlagsStore(document), logger=self._logger)
        values = self._context(context)
        try:
            variants = variant_models(flags.evaluate(name=VARIANTS, context=values, default=None))
            name = str(flags.evaluate(name=CANARY, context=values, default=STABLE_VARIANT))
            chosen = variants.get(name, variants[STABLE_VARIANT])
            return RolloutSnapshot(
                tenant_id=context.tenant_id,
                shadow=bool(flags.evaluate(name=SHADOW_MODE, context=values, default=True)),
                kill_switch=bool(flags.evaluate(name=KILL_SWITCH, context=values, default=True)),
                variant=Variant(
                    name if name in variants else STABLE_VARIANT, chosen["model_id"], chosen["prompt"]
                ),
                breaker=breaker_settings(flags.evaluate(name=CIRCUIT_BREAKER, context=values, default=None)),
            )
        except _UNREADABLE as error:
            self._logger.error("Rollout flags failed closed: %s", error)
            return self.fail_closed(context.tenant_id, str(error))

    def requests_per_minute(self, context: TenantContext, default: int) -> int:
        """The tenant's rate limit: its ``rate_limit`` flag, else ``default`` (the spec's).

        Unlike the brakes above, an unreadable document does not fail closed to zero: that would
        refuse every request of every tenant over a typo. The spec's limit still bounds each tenant.
        """
        try:
            document = self.document()
            if RATE_LIMIT not in document:
                return default
            flags = FeatureFlags(store=FixedFlagsStore(document), logger=self._logger)
            value = flags.evaluate(name=RATE_LIMIT, context=self._context(context), default=default)
            return requests_per_minute(value)
        except _UNREADABLE as error:
            self._logger.error("Rate limit flag unreadable, using the spec's: %s", error)
            return default

    @staticmethod
    def _context(context: TenantContext) -> dict[str, Any]:
        """The evaluation context the rules may test (``constants.CONTEXT_*``)."""
        return {
            CONTEXT_TENANT_ID: context.tenant_id,
            CONTEXT_TENANT_HASH: tenant_hash(context.tenant_id),
            CONTEXT_USER_ID: context.user_id,
            CONTEXT_ROLES: list(context.roles),
        }

    def fail_closed(self, tenant_id: str, problem: str) -> RolloutSnapshot:
        """Kill switch on, shadow on, the stable variant, default breaker settings."""
        return RolloutSnapshot(
            tenant_id=tenant_id,
            shadow=True,
            kill_switch=True,
            variant=self.fallback_variant,
            breaker=CircuitBreakerSettings(),
            problem=problem,
        )
