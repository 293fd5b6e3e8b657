"""Benchmark of event steps (issue 15): webhooks that finish a workflow.  Not a test.

    .venv/bin/python bench/events.py [--n 1000] [--runs 300] [--json PATH]

Measures, each in a fresh client process (so that its peak RSS is its own), against a
loopback "provider" in another process that answers ``POST /calls`` with a new call id
and then POSTs that call's signed ``call.completed`` webhook (HMAC-SHA256) to the
client's WebhookReceiver on 127.0.0.1:

1. Latency from the webhook POST (the provider's clock, just before it connects) to the
   wait returning in the client (CLOCK_MONOTONIC is one clock for both processes):
   median, p90 and p99 over ``--runs`` sequential runs, the webhook sent 20 ms after
   the create answer (the step is waiting by then), for
   - ``runtime``: the runtime alone (``_runtime.areceive`` / ``receive`` after an
     httpx POST), and
   - ``workflow``: a generated workflow function (create call, then a receive step
     correlated by the call id), compiled at bench time from a tiny Arazzo 1.1 +
     OpenAPI + AsyncAPI document set into a temporary directory.
2. ``--n`` concurrent async waiters (runtime, and generated workflows) on ONE receiver,
   each waiting for its own webhook: the provider holds the webhooks until the client
   sees all ``--n`` waiting, then sends them in a shuffled order from 8 threads.  Reported: how many
   got exactly their own message, the client's peak RSS (VmHWM) and its RSS growth
   during the runs, and client CPU per delivery (process CPU from the moment all
   ``--n`` wait until the last returns, over ``--n``: receiving, parsing, verifying, routing,
   matching against every waiter and waking the right one).  "Client CPU / run" is
   the whole run (create call, subscription, wait) over ``--n``; at n = 1,000 most of
   it is httpcore's connection pool assigning 1,000 concurrent create requests.

The workflow rows need a generator that compiles event steps (ev-steps merged); without
one they say so and only the runtime rows are measured.  Traffic goes to 127.0.0.1 only;
every child process has a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import http.client
import http.server
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-webhook-secret"
CHANNEL = "call.completed"
EVENT_HEADER = "X-Bench-Event"
SIGNATURE_HEADER = "X-Bench-Signature"
#: Seconds between the create answer and its webhook in the latency runs.
WEBHOOK_DELAY = 0.02
CHILD_TIMEOUT = 1800
#: The overall and step timeout of every run (seconds): a loaded machine is slow, not wrong.
WAIT = 600.0

# -- the documents compiled for the workflow rows ---------------------------------------

OPENAPI = """\
openapi: 3.1.0
info: {title: Bench calls, version: 1.0.0}
servers:
  - url: http://127.0.0.1:9
paths:
  /calls:
    post:
      operationId: createCall
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [to]
              properties:
                to: {type: string}
      responses:
        "201":
          description: The call was placed.
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties:
                  id: {type: string}
"""

ASYNCAPI = f"""\
asyncapi: 3.0.0
info: {{title: Bench call events, version: 1.0.0}}
x-arazzo-webhook:
  route:
    header: {EVENT_HEADER}
  signature:
    scheme: hmac-sha256
    header: {SIGNATURE_HEADER}
    encoding: hex
    prefix: "sha256="
channels:
  callCompleted:
    address: {CHANNEL}
    messages:
      completed:
        name: CallCompleted
        payload:
          type: object
          required: [call_id, status, sent_at]
          properties:
            call_id: {{type: string}}
            status: {{type: string}}
            sent_at: {{type: number}}
        correlationId:
          location: "$message.payload#/call_id"
operations:
  onCallCompleted:
    action: send
    channel:
      $ref: "#/channels/callCompleted"
"""

ARAZZO = """\
arazzo: 1.1.0
info: {title: Bench place a call and wait for its webhook, version: 1.0.0}
sourceDescriptions:
  - name: callsApi
    url: ./openapi.yaml
    type: openapi
  - name: callEvents
    url: ./asyncapi.yaml
    type: asyncapi
workflows:
  - workflowId: placeCallAndWait
    inputs:
      type: object
      required: [to]
      properties:
        to: {type: string}
    steps:
      - stepId: placeCall
        operationId: createCall
        requestBody:
          contentType: application/json
          payload:
            to: $inputs.to
        successCriteria:
          - condition: $statusCode == 201
        outputs:
          callId: $response.body#/id
      - stepId: awaitOutcome
        operationId: onCallCompleted
        action: receive
        correlationId: $steps.placeCall.outputs.callId
        timeout: 600000
        outputs:
          callId: $message.payload#/call_id
          status: $message.payload#/status
          sentAt: $message.payload#/sent_at
    outputs:
      callId: $steps.awaitOutcome.outputs.callId
      status: $steps.awaitOutcome.outputs.status
      sentAt: $steps.awaitOutcome.outputs.sentAt
"""


def compile_workflow(out: Path) -> tuple[str | None, str]:
    """Compile the bench documents into package ``bench_events`` under ``out``: (package
    directory or None, what happened)."""
    try:
        from arazzo_codegen.diagnostics import Severity
        from arazzo_codegen.pipeline import Job, build
        from arazzo_codegen.write import write_package
    except ImportError as exc:
        return None, f"no generator importable ({exc})"
    specs = out / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    for name, text in (("openapi.yaml", OPENAPI), ("asyncapi.yaml", ASYNCAPI), ("arazzo.yaml", ARAZZO)):
        (specs / name).write_text(text, encoding="utf-8")
    job = Job(spec=specs / "arazzo.yaml", package="bench_events", out=out / "pkgs")
    result = build(job)
    errors = [d.render() for d in result.report.items if d.severity is Severity.ERROR]
    if errors or not result.files:
        return None, "the generator cannot compile the receive step: " + "; ".join(errors)[:400]
    write_package(job.package_dir, result.files)
    return str(out / "pkgs"), "compiled"


# -- the provider (a child process) ----------------------------------------------------------


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(port: int, path: str, call_id: str) -> int:
    """POST one signed call.completed webhook; its payload carries the send time."""
    sent_at = time.monotonic()
    body = json.dumps({"call_id": call_id, "status": "completed", "sent_at": sent_at}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", EVENT_HEADER: CHANNEL, SIGNATURE_HEADER: sign(body)},
        )
        status = conn.getresponse().status
    finally:
        conn.close()
    return status


def provider(webhook_url: str, burst: int) -> None:
    """Serve POST /calls on 127.0.0.1 (prints the port), then send each call's webhook:
    WEBHOOK_DELAY after the answer, or (``burst``) all at once, shuffled, when the
    client POSTs /go.  Ends when stdin closes; prints the webhook statuses as JSON."""
    target = urlsplit(webhook_url)
    port, path = int(target.port or 80), target.path or "/"
    lock = threading.Lock()
    created: list[str] = []
    statuses: list[int] = []
    pool = ThreadPoolExecutor(max_workers=8)

    def send_later(call_id: str) -> None:
        time.sleep(WEBHOOK_DELAY)
        status = post_webhook(port, path, call_id)
        with lock:
            statuses.append(status)

    def send(call_id: str) -> None:
        status = post_webhook(port, path, call_id)
        with lock:
            statuses.append(status)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # the body is not held back until the headers are acknowledged

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            if self.path == "/go":  # burst: the client sees every run waiting; send all the webhooks now
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                order = list(created)
                random.Random(15).shuffle(order)
                for one in order:
                    pool.submit(send, one)
                return
            with lock:
                call_id = f"CA{len(created):05d}"
                created.append(call_id)
            body = json.dumps({"id": call_id}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if not burst:
                pool.submit(send_later, call_id)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 2048  # a burst of creates must not overflow the listen queue
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the client is done
    pool.shutdown(wait=True)
    server.shutdown()
    print(json.dumps({"statuses": statuses}), flush=True)


class Provider:
    """The provider child process, started for one measurement."""

    def __init__(self, webhook_url: str, burst: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--role", "provider", "--webhook", webhook_url, "--burst", str(burst)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def finish(self) -> list[int]:
        out, _ = self.proc.communicate(timeout=120)
        return list(json.loads(out.strip().splitlines()[-1])["statuses"])


# -- the client (a child process per measurement) -----------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def load_runtime(package_root: str | None) -> tuple[ModuleType, ModuleType | None]:
    """The runtime module (of the compiled package, else rendered from the templates) and the package."""
    if package_root is not None:
        sys.path.insert(0, package_root)
        package = importlib.import_module("bench_events")
        return importlib.import_module("bench_events._runtime"), package
    sys.path.insert(0, str(ROOT))
    from tests.events.runtime import load_runtime as render_and_load

    return render_and_load(Path(tempfile.mkdtemp(prefix="bench-events-rt-")), ("events",)), None


def make_receiver(rt: ModuleType, package: ModuleType | None) -> Any:
    if package is not None:
        return package.call_events_receiver(secret=SECRET)
    verifier = rt.HmacSha256Verifier(SECRET, header=SIGNATURE_HEADER, prefix="sha256=")
    return rt.WebhookReceiver(verifier=verifier, route=rt.route_by_header(EVENT_HEADER))


def _matches(call_id: str) -> Any:
    return lambda message: isinstance(message.payload, dict) and message.payload.get("call_id") == call_id


async def _runtime_once_async(rt: ModuleType, receiver: Any, client: Any, base: str) -> tuple[str, dict[str, Any]]:
    deadline = rt.Deadline(WAIT)
    async with rt.aopen_subscriptions(receiver, {"awaitOutcome": CHANNEL}) as subs:
        call_id = (await client.post(base + "/calls", json={"to": "+15550100"})).json()["id"]
        message = await rt.areceive(
            deadline,
            subs["awaitOutcome"],
            "awaitOutcome",
            CHANNEL,
            matches=_matches(call_id),
            awaited=f"call_id == {call_id!r}",
            timeout_ms=int(WAIT * 1000),
        )
    return call_id, message.payload


def _runtime_once_sync(rt: ModuleType, receiver: Any, client: Any, base: str) -> tuple[str, dict[str, Any]]:
    deadline = rt.Deadline(WAIT)
    with rt.open_subscriptions(receiver, {"awaitOutcome": CHANNEL}) as subs:
        call_id = client.post(base + "/calls", json={"to": "+15550100"}).json()["id"]
        message = rt.receive(
            deadline,
            subs["awaitOutcome"],
            "awaitOutcome",
            CHANNEL,
            matches=_matches(call_id),
            awaited=f"call_id == {call_id!r}",
            timeout_ms=int(WAIT * 1000),
        )
    return call_id, message.payload


async def _workflow_once_async(
    package: ModuleType, receiver: Any, client: Any, base: str
) -> tuple[str, dict[str, Any]]:
    out = await package.place_call_and_wait_async(
        to="+15550100", transport=receiver, servers={"callsApi": base}, client=client, timeout=WAIT
    )
    return out.call_id, {"call_id": out.call_id, "status": out.status, "sent_at": out.sent_at}


def _workflow_once_sync(package: ModuleType, receiver: Any, client: Any, base: str) -> tuple[str, dict[str, Any]]:
    out = package.place_call_and_wait(
        to="+15550100", transport=receiver, servers={"callsApi": base}, client=client, timeout=WAIT
    )
    return out.call_id, {"call_id": out.call_id, "status": out.status, "sent_at": out.sent_at}


def measure_latency(layer: str, mode: str, runs: int, package_root: str | None) -> dict[str, Any]:
    import httpx

    rt, package = load_runtime(package_root)
    latencies: list[float] = []
    wrong = 0
    with make_receiver(rt, package) as receiver:
        prov = Provider(receiver.url)
        try:
            if mode == "async":

                async def main() -> None:
                    nonlocal wrong
                    async with httpx.AsyncClient() as client:
                        for _ in range(runs):
                            if layer == "runtime":
                                call_id, payload = await _runtime_once_async(rt, receiver, client, prov.base)
                            else:
                                assert package is not None
                                call_id, payload = await _workflow_once_async(package, receiver, client, prov.base)
                            latencies.append(time.monotonic() - payload["sent_at"])
                            wrong += payload["call_id"] != call_id

                asyncio.run(main())
            else:
                with httpx.Client() as client:
                    for _ in range(runs):
                        if layer == "runtime":
                            call_id, payload = _runtime_once_sync(rt, receiver, client, prov.base)
                        else:
                            assert package is not None
                            call_id, payload = _workflow_once_sync(package, receiver, client, prov.base)
                        latencies.append(time.monotonic() - payload["sent_at"])
                        wrong += payload["call_id"] != call_id
        finally:
            statuses = prov.finish()
    latencies.sort()
    return {
        "runs": runs,
        "wrong": wrong,
        "median_ms": statistics.median(latencies) * 1000,
        "p90_ms": latencies[int(0.9 * (len(latencies) - 1))] * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
    }


def measure_concurrency(layer: str, n: int, package_root: str | None) -> dict[str, Any]:
    import httpx

    rt, package = load_runtime(package_root)
    rss_before = _status_kb("VmRSS")
    with make_receiver(rt, package) as receiver:
        prov = Provider(receiver.url, burst=n)
        marks: dict[str, float] = {}
        try:

            async def main() -> list[tuple[str, dict[str, Any]]]:
                # As bench/run.py's concurrency section: a connection for each run, on the
                # runtime's asyncio transport.  Even so, httpcore's pool assignment (each
                # request scans every connection) is most of "client CPU / run" at this n.
                limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
                async with httpx.AsyncClient(
                    transport=rt.asyncio_transport(limits=limits), timeout=httpx.Timeout(WAIT)
                ) as client:

                    async def watch() -> None:
                        # every run waits (nothing is delivered before /go): the deliveries start
                        while receiver.waiting(CHANNEL) < n:  # bounded by the wait_for below
                            await asyncio.sleep(0.02)
                        marks["cpu_waiting"], marks["wall_waiting"] = time.process_time(), time.perf_counter()
                        await client.post(prov.base + "/go")

                    watcher = asyncio.create_task(asyncio.wait_for(watch(), 300))
                    marks["cpu0"], marks["wall0"] = time.process_time(), time.perf_counter()
                    if layer == "runtime":
                        runs = [_runtime_once_async(rt, receiver, client, prov.base) for _ in range(n)]
                    else:
                        assert package is not None
                        runs = [_workflow_once_async(package, receiver, client, prov.base) for _ in range(n)]
                    results = list(await asyncio.gather(*runs))
                    marks["cpu1"], marks["wall1"] = time.process_time(), time.perf_counter()
                    await watcher
                    return results

            results = asyncio.run(main())
        finally:
            statuses = prov.finish()
    right = sum(1 for call_id, payload in results if payload["call_id"] == call_id and payload["status"] == "completed")
    return {
        "n": n,
        "matched": right,
        "distinct": len({call_id for call_id, _ in results}),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "wall_s": marks["wall1"] - marks["wall0"],
        "delivery_wall_s": marks["wall1"] - marks["wall_waiting"],
        "cpu_per_run_ms": (marks["cpu1"] - marks["cpu0"]) / n * 1000,
        "cpu_per_delivery_ms": (marks["cpu1"] - marks["cpu_waiting"]) / n * 1000,
        "peak_rss_mb": _status_kb("VmHWM") / 1024,
        "rss_growth_mb": (_status_kb("VmHWM") - rss_before) / 1024,
    }


# -- the orchestration ---------------------------------------------------------------------------


def child(args: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--role", "client", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench child {args} failed:\n{completed.stderr[-4000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", choices=["main", "client", "provider"], default="main")
    parser.add_argument("--n", type=int, default=1000, help="concurrent waiters on one receiver")
    parser.add_argument("--runs", type=int, default=300, help="sequential runs for the latency")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument("--webhook", help=argparse.SUPPRESS)
    parser.add_argument("--burst", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--layer", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--package-root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "provider":
        provider(args.webhook, args.burst)
        return
    if args.role == "client":
        root = args.package_root or None
        if args.measure == "latency":
            result = measure_latency(args.layer, args.mode, args.runs, root)
        else:
            result = measure_concurrency(args.layer, args.n, root)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        package_root, compiled = compile_workflow(Path(tmp))
        layers = [("runtime", "")] + ([("workflow", package_root)] if package_root else [])
        rows: list[tuple[str, str, dict[str, Any]]] = []
        for layer, root in layers:
            for mode in ("async", "sync"):
                rows.append(
                    (
                        "latency",
                        f"{layer} {mode}",
                        child(
                            [
                                "--measure",
                                "latency",
                                "--layer",
                                layer,
                                "--mode",
                                mode,
                                "--runs",
                                str(args.runs),
                                "--package-root",
                                root,
                            ]
                        ),
                    )
                )
            rows.append(
                (
                    "concurrency",
                    f"{layer} async",
                    child(["--measure", "concurrency", "--layer", layer, "--n", str(args.n), "--package-root", root]),
                )
            )

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"# Event steps benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} at the end; workflow rows: {compiled})\n"
    )
    print(
        f"## Latency: webhook POST (provider process) -> wait returns (client process), {args.runs} sequential runs\n"
    )
    print("| layer | median | p90 | p99 | wrong matches | webhook answers |")
    print("|---|---:|---:|---:|---:|---|")
    for kind, name, r in rows:
        if kind == "latency":
            print(
                f"| {name} | {r['median_ms']:.2f} ms | {r['p90_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['wrong']} | {r['statuses']} |"
            )
    print(f"\n## {args.n:,} concurrent async waiters on one receiver, each for its own webhook\n")
    print(
        "| layer | matched | wall (all) | wall (deliveries) | client CPU / run | client CPU / delivery | peak RSS | RSS growth | webhook answers |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for kind, name, r in rows:
        if kind == "concurrency":
            print(
                f"| {name} | {r['matched']:,} / {r['n']:,} | {r['wall_s']:.2f} s | {r['delivery_wall_s']:.2f} s | {r['cpu_per_run_ms']:.2f} ms | {r['cpu_per_delivery_ms']:.2f} ms | {r['peak_rss_mb']:.0f} MB | {r['rss_growth_mb']:.0f} MB | {r['statuses']} |"
            )
    if args.json is not None:
        args.json.write_text(
            json.dumps([{"kind": k, "name": n, **r} for k, n, r in rows], indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
