"""The handlers' one Powertools Tracer: a subsegment per invocation, and one per AWS call.

``@TRACER.capture_lambda_handler(capture_response=False)`` on every entry point (see
``handlers.logs``) opens a ``## handler`` subsegment annotated with ``ColdStart`` and ``Service``
(``POWERTOOLS_SERVICE_NAME``) under the function's segment, and records an error as its metadata,
never the response: a response holds a tenant's data, and traces are read account-wide, by no
tenant's rules. botocore is patched, so each AWS call is a subsegment of its own. The functions
run with X-Ray tracing ``Active`` and may ``xray:PutTraceSegments`` and ``xray:PutTelemetryRecords``
(``governed_assistant.infra.functions.logs_and_tracing``).

In Lambda, the X-Ray SDK loads, and patches botocore, when the first invocation opens its
subsegment (``_XRayOnFirstUse``), not when the handler's module is imported: patching imports
botocore's client module, which the first AWS call loads anyway, and the handler's cold import
stays within its budget (``bench/handler_cold_import.py --in-lambda``).

Where Powertools would trace nothing (outside Lambda, under SAM or Chalice, or with
``POWERTOOLS_TRACE_DISABLED=true`` as the local stack sets), the Tracer is built disabled with a
provider that records nothing (``_NoTraces``): the X-Ray SDK is never imported, whose recorder
creates a botocore client outside Lambda (a second or so, for traces nobody receives).
"""

from __future__ import annotations

import numbers
import threading
import traceback
from collections.abc import Generator, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from typing import Any, Final

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

# botocore alone: every AWS call becomes a subsegment. Powertools' default patches every library
# the X-Ray SDK knows that is installed, each an import on the cold start.
PATCHED_MODULES: Final = ("botocore",)


class _NoSegment(BaseSegment):
    """A subsegment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(
        self, exception: BaseException, stack: list[traceback.StackSummary], remote: bool = False
    ) -> None:
        return None


class _NoTraces(BaseProvider):
    """The provider of a disabled Tracer: no X-Ray SDK, no segments, no patching."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield _NoSegment()

    def in_subsegment_async(
        self, name: str | None = None, **kwargs: Any
    ) -> AbstractAsyncContextManager[BaseSegment]:
        return nullcontext(_NoSegment())

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


class _XRayOnFirstUse(BaseProvider):
    """X-Ray's recorder, loaded on first use, configured and patched as Powertools' own provider is."""

    def __init__(self) -> None:
        self._sdk: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        """The X-Ray SDK's ``core`` module, its recorder configured and botocore patched."""
        with self._lock:
            if self._sdk is None:
                import aws_xray_sdk.core as sdk  # type: ignore[import-untyped]  # the SDK ships no type hints

                # Each subsegment is sent when it closes, as Powertools configures its own recorder.
                sdk.xray_recorder.configure(streaming_threshold=0)
                sdk.patch(PATCHED_MODULES)
                self._sdk = sdk
            return self._sdk

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        with self._loaded().xray_recorder.in_subsegment(name=name, **kwargs) as subsegment:
            yield subsegment

    def in_subsegment_async(
        self, name: str | None = None, **kwargs: Any
    ) -> AbstractAsyncContextManager[BaseSegment]:
        context: AbstractAsyncContextManager[BaseSegment] = self._loaded().xray_recorder.in_subsegment_async(
            name=name, **kwargs
        )
        return context

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        self._loaded().xray_recorder.put_annotation(key=key, value=value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self._loaded().xray_recorder.put_metadata(key=key, value=value, namespace=namespace)

    def patch(self, modules: Sequence[str]) -> None:
        self._loaded().patch(modules)

    def patch_all(self) -> None:
        self._loaded().patch_all()


def _tracer() -> Tracer:
    # Powertools' own rule for when tracing is off (POWERTOOLS_TRACE_DISABLED, not in Lambda...),
    # a static method it exposes only with a leading underscore.
    if Tracer._is_tracer_disabled():
        return Tracer(disabled=True, auto_patch=False, provider=_NoTraces())
    return Tracer(auto_patch=False, provider=_XRayOnFirstUse())


TRACER: Final = _tracer()
