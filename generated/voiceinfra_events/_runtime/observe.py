"""One shared TLS context, events and spans."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import ssl
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .core import Deadline
    from .transport import _Exchange

__all__ = ["Event", "_ssl_context"]


_ssl_lock = threading.Lock()
_ssl_shared: list[ssl.SSLContext] = []


def _ssl_context() -> ssl.SSLContext:
    """The process's one TLS context (certifi's CA bundle, as httpx's default), built
    on first use.  Each run still gets its own httpx client (its own cookies and
    connections); only this read-only context, the costly part, is shared."""
    if not _ssl_shared:
        with _ssl_lock:
            if not _ssl_shared:
                _ssl_shared.append(httpx.create_ssl_context())
    return _ssl_shared[0]


def _no_sniffio() -> None:
    """Remember, once, that ``sniffio`` is not importable (httpx 0.28 no longer needs it).

    httpcore tries ``import sniffio`` each time it sets up an async lock, several
    times per request; a failed import is not cached, so each try scans sys.path
    (a sixth of the async client's CPU per request in a profile).  Where sniffio cannot be found,
    a ``None`` entry in sys.modules makes those imports fail at once, with the same
    ImportError.  Where sniffio is importable, nothing changes.
    """
    if not _sniffio_checked:
        _sniffio_checked.append(True)
        if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
            sys.modules["sniffio"] = None  # type: ignore[assignment]


_sniffio_checked: list[bool] = []


@dataclasses.dataclass(frozen=True)
class Event:
    """What a run reports to its ``on_event`` hook, as it happens.

    ``kind`` is one of ``workflow.start``, ``workflow.end``, ``step.start``,
    ``step.end``, ``request.start``, ``request.end``, ``retry`` (a request is sent
    again, after ``arazzo.delay_s``) and ``sleep`` (a wait between steps); the
    attributes are those of the OpenTelemetry spans (HTTP semantic conventions:
    ``http.request.method``, ``url.full`` with credentials redacted, ``server.address``,
    ``http.response.status_code``, ``error.type``, ...).  No attribute holds a secret.
    """

    kind: str
    workflow_id: str
    step_id: str | None
    attributes: Mapping[str, str | int | float]


_otel: list[Any] = []  # [opentelemetry.trace or None, its tracer], looked up once


def _tracing() -> tuple[Any, Any] | None:
    """opentelemetry.trace and the runtime's tracer, or None when opentelemetry is not importable."""
    if not _otel:
        try:
            trace = importlib.import_module("opentelemetry.trace")
        except ImportError:
            _otel.extend((None, None))
        else:
            _otel.extend((trace, trace.get_tracer(__name__.rsplit(".", 2)[0])))
    return None if _otel[0] is None else (_otel[0], _otel[1])


class _Observer:
    """The spans and events of one run: a run span, a span per step (a step that
    loops is one span), and a client span per request, with retries and sleeps as
    span events.  Built only when there is someone to tell (on_event, or a recording
    OpenTelemetry tracer), so an unobserved run pays nothing."""

    def __init__(
        self,
        workflow_id: str,
        on_event: Callable[[Event], None] | None,
        tracing: tuple[Any, Any] | None,
    ) -> None:
        self.workflow_id = workflow_id
        self.on_event = on_event
        self.step_id: str | None = None
        self.request: _Exchange | None = None
        self.trace: Any = None  # opentelemetry.trace while the run span is open
        self.tracer: Any = None
        self.context: Any = None
        self.run_span: Any = None
        self.step_span: Any = None
        self.request_span: Any = None
        #: The contexts attached: the run span's, the step span's.
        self.tokens: list[Any] = []
        if tracing is not None:
            trace, tracer = tracing
            run = tracer.start_span(
                f"workflow {workflow_id}",
                attributes={"arazzo.workflow.id": workflow_id},
            )
            if run.is_recording():
                self.trace, self.tracer, self.run_span = trace, tracer, run
                self.context = importlib.import_module("opentelemetry.context")
                self.tokens.append(self.context.attach(trace.set_span_in_context(run)))

    def emit(
        self,
        kind: str,
        step_id: str | None,
        attributes: Mapping[str, str | int | float],
    ) -> None:
        if self.on_event is not None:
            self.on_event(Event(kind, self.workflow_id, step_id, dict(attributes)))

    def start(self) -> None:
        self.emit("workflow.start", None, {"arazzo.workflow.id": self.workflow_id})

    def step(self, step_id: str) -> None:
        if step_id == self.step_id:
            return
        self._end_step(None)
        self.step_id = step_id
        attributes = {"arazzo.workflow.id": self.workflow_id, "arazzo.step.id": step_id}
        if self.trace is not None:
            self.step_span = self.tracer.start_span(
                f"step {step_id}", attributes=attributes
            )
            self.tokens.append(
                self.context.attach(self.trace.set_span_in_context(self.step_span))
            )
        self.emit("step.start", step_id, attributes)

    def request_started(self, step_id: str, exchange: _Exchange) -> None:
        self.step(step_id)
        self._end_request("error", {"error.type": "no response"})
        self.request = exchange
        url = httpx.URL(exchange.url)
        attributes: dict[str, str | int | float] = {
            "http.request.method": exchange.method,
            "url.full": exchange.url,
            "server.address": url.host,
        }
        if url.port is not None:
            attributes["server.port"] = url.port
        attributes["arazzo.step.id"] = step_id
        if self.trace is not None:
            self.request_span = self.tracer.start_span(
                exchange.method, kind=self.trace.SpanKind.CLIENT, attributes=attributes
            )
        self.emit("request.start", step_id, attributes)

    def request_ended(self, response: httpx.Response) -> None:
        attributes: dict[str, str | int | float] = {
            "http.response.status_code": response.status_code
        }
        if self.request is not None and self.request.retries:
            attributes["http.request.resend_count"] = self.request.retries
        if response.status_code >= 400:
            attributes["error.type"] = str(response.status_code)
        self._end_request("error" if response.status_code >= 400 else "ok", attributes)

    def slept(self, step_id: str, seconds: float) -> None:
        """A wait: a retry of the request in flight, or a wait between steps."""
        if self.request is not None:
            attributes: dict[str, str | int | float] = {
                "http.request.resend_count": self.request.retries,
                "arazzo.delay_s": seconds,
            }
            kind, span = "retry", self.request_span
        else:
            attributes = {"arazzo.step.id": step_id, "arazzo.delay_s": seconds}
            kind, span = "sleep", self.step_span
        if span is not None:
            span.add_event(kind, attributes)
        self.emit(kind, step_id, attributes)

    def end(self, error: BaseException | None) -> None:
        failure = {"error.type": type(error).__name__} if error is not None else {}
        self._end_request("error" if error is not None else "ok", failure)
        self._end_step(error)
        if self.trace is not None:
            self._close(self.run_span, error)
            self.trace = None
        self.emit(
            "workflow.end",
            None,
            {
                "arazzo.workflow.id": self.workflow_id,
                "arazzo.outcome": "error" if error is not None else "ok",
                **failure,
            },
        )

    def _end_request(
        self, outcome: str, attributes: Mapping[str, str | int | float]
    ) -> None:
        if self.request is None:
            return
        if self.request_span is not None:
            self.request_span.set_attributes(dict(attributes))
            if outcome == "error":
                self.request_span.set_status(
                    self.trace.Status(self.trace.StatusCode.ERROR)
                )
            self.request_span.end()
        self.emit(
            "request.end",
            self.step_id,
            {
                "http.request.method": self.request.method,
                "url.full": self.request.url,
                "arazzo.outcome": outcome,
                **attributes,
            },
        )
        self.request = self.request_span = None

    def _end_step(self, error: BaseException | None) -> None:
        if self.step_id is None:
            return
        if self.step_span is not None:
            self._close(self.step_span, error)
            self.step_span = None
        failure = {"error.type": type(error).__name__} if error is not None else {}
        self.emit(
            "step.end",
            self.step_id,
            {
                "arazzo.step.id": self.step_id,
                "arazzo.outcome": "error" if error is not None else "ok",
                **failure,
            },
        )
        self.step_id = None

    def _close(self, span: Any, error: BaseException | None) -> None:
        """End ``span`` and detach its context (the last one attached)."""
        if error is not None:
            # Only the exception's type: its message may quote a response body.
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(self.trace.Status(self.trace.StatusCode.ERROR))
        span.end()
        if self.tokens:
            self.context.detach(self.tokens.pop())


def _observer(
    workflow_id: str, on_event: Callable[[Event], None] | None
) -> _Observer | None:
    tracing = _tracing()
    if tracing is not None and _no_provider(tracing[0]):
        tracing = None  # every span would be a non-recording one: none is started
    if on_event is None and tracing is None:
        return None
    observer = _Observer(workflow_id, on_event, tracing)
    return observer if on_event is not None or observer.trace is not None else None


def _no_provider(trace: Any) -> bool:
    """No tracer provider is set (by code or OTEL_PYTHON_TRACER_PROVIDER): OpenTelemetry's
    placeholder provider hands out tracers whose spans record nothing."""
    return isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _observe_request(deadline: Deadline, step_id: str, exchange: _Exchange) -> None:
    if deadline.observer is not None:
        deadline.observer.request_started(step_id, exchange)


def _observed(deadline: Deadline, response: httpx.Response) -> httpx.Response:
    if deadline.observer is not None:
        deadline.observer.request_ended(response)
    return response
