"""CloudWatch metrics from the decision events, as Embedded Metric Format lines (Powertools).

Per event, one EMF line: ``StageLatency`` (ms) and, when the stage called a model,
``InputTokens``/``OutputTokens``, with the dimensions ``service`` and ``stage`` - the
dashboard's "latency by stage" widget reads exactly that set. The tenant, job and outcome
go into the line as properties: searchable in Logs Insights, at no metric cost.

Cardinality: every distinct dimension value is a custom metric, billed monthly, so a
``tenantId`` dimension costs two metrics per tenant. It is off by default - tokens per tenant
come from the decision events (the dashboard's Logs Insights widget) - and switched on with
``tenant_dimension=True`` or ``GOVERNED_METRICS_TENANT_DIMENSION=true``, which adds a second
line per model call: the token metrics with the dimensions ``service`` and ``tenantId``.
Latency is never split by tenant: stages times tenants would multiply the cost for little use.
A guardrail stage that blocked adds a line counting ``GuardrailBlocked`` by ``service`` alone,
the metric and dimension set the guardrail-blocks alarm watches. Outside the events, the model
client's circuit breaker opening writes a line counting ``CircuitBreakerOpen`` by ``service``
alone (``breaker_opened``), which the breaker-open alarm, and so AppConfig's rollback, watches.

The namespace resolves as Powertools' own does: the argument, else ``POWERTOOLS_METRICS_NAMESPACE``
(the stack sets it on every function that records events), else ``GOVERNED_METRICS_NAMESPACE``
(what functions deployed before 0.5.0 were given), else ``GovernedAssistant``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import TextIO

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from governed_assistant.contracts import DecisionEvent
from governed_assistant.runtime.telemetry.constants import DEFAULT_SERVICE_NAME
from governed_assistant.wire import (
    DEFAULT_METRICS_NAMESPACE,
    DIMENSION_STAGE,
    DIMENSION_TENANT,
    ENV_METRICS_NAMESPACE,
    ENV_METRICS_TENANT_DIMENSION,
    ENV_POWERTOOLS_METRICS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE_NAME,
    METRIC_BREAKER_OPEN,
    METRIC_GUARDRAIL_BLOCKED,
    METRIC_INPUT_TOKENS,
    METRIC_OUTPUT_TOKENS,
    METRIC_STAGE_LATENCY,
)

_TRUE = frozenset({"1", "true", "yes", "on"})
# The stages whose "blocked" outcome is a guardrail's refusal (GuardrailBlocked): the user's
# message, a retrieved passage (dropped from the prompt), the answer.
GUARDRAIL_STAGES = frozenset({"guardrail_input", "guardrail_context", "guardrail_output"})


class StageMetrics:
    """An observer for ``DecisionRecorder`` that writes each event's metrics as EMF to ``stream``."""

    def __init__(
        self,
        namespace: str | None = None,
        service: str | None = None,
        *,
        tenant_dimension: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.namespace = (
            namespace
            or os.environ.get(ENV_POWERTOOLS_METRICS_NAMESPACE)
            or os.environ.get(ENV_METRICS_NAMESPACE)  # what functions deployed before 0.5.0 were given
            or DEFAULT_METRICS_NAMESPACE
        )
        self.service = service or os.environ.get(ENV_POWERTOOLS_SERVICE_NAME) or DEFAULT_SERVICE_NAME
        if tenant_dimension is None:
            tenant_dimension = os.environ.get(ENV_METRICS_TENANT_DIMENSION, "").strip().lower() in _TRUE
        self.tenant_dimension = tenant_dimension
        self._stream = stream
        self._lock = threading.Lock()

    def observe(self, event: DecisionEvent) -> None:
        """Write the event's metrics (nothing when POWERTOOLS_METRICS_DISABLED or POWERTOOLS_DEV is set)."""
        if is_metrics_disabled():
            return
        lines = [self.stage_metrics(event)]
        if self.tenant_dimension and _has_tokens(event):
            lines.append(self.tenant_metrics(event))
        if event.stage in GUARDRAIL_STAGES and event.outcome == "blocked":
            lines.append(self.guardrail_blocked(event))
        self._write(lines)

    def breaker_opened(self, model_id: str) -> None:
        """Count one opening of the circuit breaker on ``model_id`` (nothing when metrics are disabled)."""
        if is_metrics_disabled():
            return
        self._write([self.breaker_open(model_id)])

    def breaker_open(self, model_id: str) -> dict[str, object]:
        """The EMF document counting one opening of the breaker, by ``service`` alone.

        The breaker-open alarm watches exactly this metric and dimension set (the model id is a
        property, not a dimension: a dimension would make one metric per model, unwatched).
        """
        provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=self.service)
        provider.add_metadata(key="modelId", value=model_id)
        provider.add_metric(name=METRIC_BREAKER_OPEN, unit=MetricUnit.Count, value=1)
        return dict(provider.serialize_metric_set())

    def stage_metrics(self, event: DecisionEvent) -> dict[str, object]:
        """The EMF document with the stage's latency and tokens, by ``service`` and ``stage``."""
        provider = self._provider(event)
        provider.add_dimension(name=DIMENSION_STAGE, value=event.stage)
        provider.add_metric(name=METRIC_STAGE_LATENCY, unit=MetricUnit.Milliseconds, value=event.latency_ms)
        _add_tokens(provider, event)
        return dict(provider.serialize_metric_set())

    def tenant_metrics(self, event: DecisionEvent) -> dict[str, object]:
        """The EMF document with the stage's tokens by ``service`` and ``tenantId`` (opt-in)."""
        provider = self._provider(event)
        provider.add_dimension(name=DIMENSION_TENANT, value=event.tenant_id)
        _add_tokens(provider, event)
        return dict(provider.serialize_metric_set())

    def guardrail_blocked(self, event: DecisionEvent) -> dict[str, object]:
        """The EMF document counting one blocked input or output, by ``service`` alone.

        The guardrail-blocks alarm watches exactly this metric and dimension set; a document
        with the ``stage`` dimension too would be another metric, one the alarm never sees.
        """
        provider = self._provider(event)
        provider.add_metadata(key="stage", value=event.stage)
        provider.add_metric(name=METRIC_GUARDRAIL_BLOCKED, unit=MetricUnit.Count, value=1)
        return dict(provider.serialize_metric_set())

    def _write(self, lines: list[dict[str, object]]) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            for line in lines:
                stream.write(json.dumps(line, separators=(",", ":")) + "\n")
            stream.flush()

    def _provider(self, event: DecisionEvent) -> AmazonCloudWatchEMFProvider:
        # A fresh provider per document: Powertools' ``Metrics`` shares one metric set per process,
        # which cannot hold one dimension value per event.
        provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=self.service)
        provider.add_metadata(key="tenantId", value=event.tenant_id)
        provider.add_metadata(key="jobId", value=event.job_id)
        provider.add_metadata(key="outcome", value=event.outcome)
        if event.model_id is not None:
            provider.add_metadata(key="modelId", value=event.model_id)
        return provider


def _has_tokens(event: DecisionEvent) -> bool:
    return event.input_tokens is not None or event.output_tokens is not None


def _add_tokens(provider: AmazonCloudWatchEMFProvider, event: DecisionEvent) -> None:
    if event.input_tokens is not None:
        provider.add_metric(name=METRIC_INPUT_TOKENS, unit=MetricUnit.Count, value=event.input_tokens)
    if event.output_tokens is not None:
        provider.add_metric(name=METRIC_OUTPUT_TOKENS, unit=MetricUnit.Count, value=event.output_tokens)
