"""One client process of the run-time benchmark (started by bench/run.py).

    python bench/runtime_client.py VARIANT[,VARIANT...] --base URL [--n 100] [--warmup 10] [--runner-doc PATH]

VARIANTs: handwritten-sync, handwritten-sync-own (a client and a connection per
execution, on one TLS context), generated-sync, handwritten-async, generated-async
(on a plain ``httpx.AsyncClient``), generated-async-own (no ``client=``: a client
per run, as the runtime builds it), generated-async-own-anyio (the same on httpx's
default backend, as before the runtime's asyncio backend), generated-async-transport
(a shared client on the runtime's documented ``asyncio_transport()``), arazzo-runner.
Each runs the Vapi outbound-call workflow ``--warmup`` times untimed, then ``--n``
times timed, one execution at a time, the variants taking turns (the order rotates
each time), so that whatever else the machine is doing falls on all of them alike and their ratios are paired.  Each execution is
timed on its own: client CPU (``time.process_time``: this process only; the mock
server is another process) and wall time.  Async executions run on one event
loop (``run_until_complete`` per execution).  Sleep is a no-op and
poll_interval 0; every execution's outputs are checked.  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789"
INPUTS: dict[str, Any] = {
    "name": "Bench Assistant",
    "first_message": "Hello, this is a benchmark call.",
    "system_prompt": "You are a concise assistant.",
    "customer_number": "+14155550123",
    "area_code": "415",
}
WORKFLOW_ID = "assistant-phone-outbound-call"
EXPECTED = {"callStatus": "ended", "endedReason": "customer-ended-call", "cost": 0.1234}
VARIANTS = (
    "handwritten-sync",
    "handwritten-sync-own",
    "generated-sync",
    "handwritten-async",
    "generated-async",
    "generated-async-own",
    "generated-async-own-anyio",
    "generated-async-transport",
    "arazzo-runner",
)


def check(outputs: dict[str, Any]) -> None:
    for key, value in EXPECTED.items():
        if outputs.get(key) != value:
            raise AssertionError(f"output {key} is {outputs.get(key)!r}, expected {value!r}: {outputs}")
    for key, prefix in (("assistantId", "asst-"), ("phoneNumberId", "pn-"), ("callId", "call-")):
        if not str(outputs.get(key, "")).startswith(prefix):
            raise AssertionError(f"output {key} is {outputs.get(key)!r}: {outputs}")


def _nosleep(seconds: float) -> None:
    return None


async def _anosleep(seconds: float) -> None:
    return None


def _generated() -> Any:
    sys.path.insert(0, str(ROOT))
    from generated import vapi

    return vapi


def _handwritten() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import handwritten

    return handwritten


def _servers(base: str) -> dict[str, str]:
    return {"assistantsApi": base, "phoneNumbersApi": base, "callsApi": base}


def _runner_inputs() -> dict[str, Any]:
    return {
        "apiToken": TOKEN,
        "name": INPUTS["name"],
        "firstMessage": INPUTS["first_message"],
        "systemPrompt": INPUTS["system_prompt"],
        "customerNumber": INPUTS["customer_number"],
        "areaCode": INPUTS["area_code"],
    }


class Variants:
    """One callable per variant: run the workflow once, return its outputs as a dict."""

    def __init__(self, names: list[str], base: str, runner_doc: str | None) -> None:
        self.info: dict[str, Any] = {}
        self.calls: dict[str, Callable[[], dict[str, Any]]] = {}
        self._closers: list[Callable[[], None]] = []
        loop: asyncio.AbstractEventLoop | None = None
        servers = _servers(base)
        for name in names:
            if name == "arazzo-runner":
                if runner_doc is None:
                    raise SystemExit("arazzo-runner needs --runner-doc")
                self.calls[name] = self._arazzo_runner(runner_doc, base)
                continue
            import httpx

            if name == "handwritten-sync":
                self.calls[name] = self._handwritten_sync(base, httpx.Client())
            elif name == "handwritten-sync-own":
                self.calls[name] = self._handwritten_sync_own(base)
            elif name == "generated-sync":
                self.calls[name] = self._generated_sync(servers, httpx.Client())
            elif name in (
                "handwritten-async",
                "generated-async",
                "generated-async-own",
                "generated-async-own-anyio",
                "generated-async-transport",
            ):
                if loop is None:
                    loop = asyncio.new_event_loop()
                    self._closers.append(loop.close)
                if name in ("generated-async-own", "generated-async-own-anyio"):
                    client = None  # no client=: each run builds its own, as a caller gets by default
                elif name == "generated-async-transport":
                    client = httpx.AsyncClient(
                        transport=_generated()._runtime.asyncio_transport()
                    )  # the documented fast transport
                else:
                    client = httpx.AsyncClient()
                self.calls[name] = self._async(name, loop, base, servers, client)
            else:
                raise SystemExit(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")

    def _handwritten_sync(self, base: str, client: Any) -> Callable[[], dict[str, Any]]:
        hw = _handwritten()
        self._closers.append(client.close)

        def run() -> dict[str, Any]:
            return dict(hw.outbound_call(client, base, api_token=TOKEN, **INPUTS, poll_interval=0, sleep=_nosleep))

        return run

    def _handwritten_sync_own(self, base: str) -> Callable[[], dict[str, Any]]:
        import httpx

        hw = _handwritten()
        context = httpx.create_ssl_context()  # built once, as the generated runtime shares its one

        def run() -> dict[str, Any]:
            with httpx.Client(verify=context) as client:
                return dict(hw.outbound_call(client, base, api_token=TOKEN, **INPUTS, poll_interval=0, sleep=_nosleep))

        return run

    def _generated_sync(self, servers: dict[str, str], client: Any) -> Callable[[], dict[str, Any]]:
        vapi = _generated()
        self._closers.append(client.close)

        def run() -> dict[str, Any]:
            out = vapi.assistant_phone_outbound_call(
                api_token=TOKEN, **INPUTS, client=client, servers=servers, poll_interval=0, sleep=_nosleep
            )
            return dict(out.model_dump(by_alias=True))

        return run

    def _async(
        self, name: str, loop: asyncio.AbstractEventLoop, base: str, servers: dict[str, str], client: Any
    ) -> Callable[[], dict[str, Any]]:
        import httpx

        if client is not None:
            self._closers.append(lambda: loop.run_until_complete(client.aclose()))
        if name == "handwritten-async":
            hw = _handwritten()

            async def once() -> dict[str, Any]:
                return dict(
                    await hw.outbound_call_async(
                        client, base, api_token=TOKEN, **INPUTS, poll_interval=0, sleep=_anosleep
                    )
                )

        elif name == "generated-async-own-anyio":
            vapi = _generated()
            runtime = vapi._runtime

            def anyio_client() -> Any:  # the runtime's own client as before its asyncio backend
                return httpx.AsyncClient(verify=runtime._ssl_context())

            async def once() -> dict[str, Any]:
                owned, runtime.core._owned_async_client = (
                    runtime.core._owned_async_client,
                    anyio_client,
                )  # what async_client calls
                try:
                    out = await vapi.assistant_phone_outbound_call_async(
                        api_token=TOKEN, **INPUTS, client=None, servers=servers, poll_interval=0, sleep=_anosleep
                    )
                finally:
                    runtime.core._owned_async_client = owned
                return dict(out.model_dump(by_alias=True))

        else:
            vapi = _generated()

            async def once() -> dict[str, Any]:
                out = await vapi.assistant_phone_outbound_call_async(
                    api_token=TOKEN, **INPUTS, client=client, servers=servers, poll_interval=0, sleep=_anosleep
                )
                return dict(out.model_dump(by_alias=True))

        def run() -> dict[str, Any]:
            return loop.run_until_complete(once())

        return run

    def _arazzo_runner(self, doc: str, base: str) -> Callable[[], dict[str, Any]]:
        logging.disable(logging.CRITICAL)  # "logging quiet": no record is even created
        c0, w0 = time.process_time(), time.perf_counter()
        from arazzo_runner import ArazzoRunner

        runner = ArazzoRunner.from_arazzo_path(doc)
        self.info["setup_cpu"], self.info["setup_wall"] = time.process_time() - c0, time.perf_counter() - w0
        # Point every source at the mock (the documents say https://api.vapi.ai).
        for source in (runner.source_descriptions or {}).values():
            source["servers"] = [{"url": base}]
        inputs = _runner_inputs()

        def run() -> dict[str, Any]:
            # execute_workflow registers four more callbacks and keeps every execution's
            # state on each call; clear them so each run costs what one run costs.
            for callbacks in runner.event_callbacks.values():
                callbacks.clear()
            runner.execution_states.clear()
            result = runner.execute_workflow(WORKFLOW_ID, inputs)
            if result.error:
                raise AssertionError(f"arazzo-runner failed: {result.error}")
            return dict(result.outputs)

        return run

    def close(self) -> None:
        for close in reversed(self._closers):
            close()


def timed(variants: Variants, n: int, warmup: int) -> dict[str, dict[str, list[float]]]:
    names = list(variants.calls)
    for _ in range(warmup):
        for name in names:
            check(variants.calls[name]())
    out: dict[str, dict[str, list[float]]] = {name: {"cpu": [], "wall": []} for name in names}
    for i in range(n):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            call = variants.calls[name]
            c0, w0 = time.process_time(), time.perf_counter()
            outputs = call()
            c1, w1 = time.process_time(), time.perf_counter()
            check(outputs)
            out[name]["cpu"].append(c1 - c0)
            out[name]["wall"].append(w1 - w0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", help="comma-separated variants")
    parser.add_argument("--base", required=True)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--runner-doc")
    args = parser.parse_args()
    variants = Variants(args.variants.split(","), args.base, args.runner_doc)
    result: dict[str, Any] = {}
    try:
        result["samples"] = timed(variants, args.n, args.warmup)
    finally:
        variants.close()
    result.update(variants.info)
    result["pid"] = os.getpid()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
