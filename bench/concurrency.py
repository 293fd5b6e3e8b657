"""One client process of the concurrency benchmark (started by bench/run.py).

    python bench/concurrency.py generated-async|generated-async-own-clients|handwritten-async --base URL [--n 1000]

Runs ``--n`` Vapi outbound-call workflows at once (``asyncio.gather``) on one
shared ``httpx.AsyncClient`` with a connection for each (``generated-async-own-clients``: no ``client=``, so
each run builds and closes its own, as a caller that passes none), against the loopback
mock, sleep a no-op and poll_interval 0.  Prints one JSON object: total wall
and CPU time, peak RSS (``VmHWM``: ``ru_maxrss`` would include the RSS of the process that forked it) and the RSS just before the gather (so
the difference is what the runs themselves took), and how many runs finished
with exactly the right outputs (each its own assistant, number and call).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from runtime_client import INPUTS, TOKEN, _anosleep, check


def _peak_rss_kb() -> int:
    """This process's own peak RSS (VmHWM); after fork+exec, ``ru_maxrss`` keeps the
    forking parent's resident size."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def main_async(mode: str, base: str, n: int) -> dict[str, Any]:
    import httpx

    if mode in ("generated-async", "generated-async-own-clients"):
        from generated import vapi

        servers = {"assistantsApi": base, "phoneNumbersApi": base, "callsApi": base}

        async def one(client: httpx.AsyncClient) -> dict[str, Any]:
            own = mode == "generated-async-own-clients"
            out = await vapi.assistant_phone_outbound_call_async(
                api_token=TOKEN,
                **INPUTS,
                client=None if own else client,
                servers=servers,
                poll_interval=0,
                sleep=_anosleep,
                timeout=None if not own else 600,
            )
            return dict(out.model_dump(by_alias=True))

    else:
        import handwritten

        async def one(client: httpx.AsyncClient) -> dict[str, Any]:
            return await handwritten.outbound_call_async(
                client, base, api_token=TOKEN, **INPUTS, poll_interval=0, sleep=_anosleep
            )

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0)) as client:
        # One untimed run so that imports, first-use costs and the pool's first
        # connection are not part of the measurement.
        check(await one(client))
        rss_before = _rss_kb()
        c0, w0 = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(one(client) for _ in range(n)), return_exceptions=True)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    ok = 0
    errors: dict[str, int] = {}
    calls: set[str] = set()
    for result in results:
        try:
            if isinstance(result, BaseException):
                raise result
            check(result)
            if result["callId"] in calls:
                raise AssertionError(f"call id {result['callId']} returned twice")
            calls.add(result["callId"])
            ok += 1
        except Exception as exc:  # noqa: BLE001 - counted and reported
            key = f"{exc.__class__.__name__}: {str(exc)[:120]}"
            errors[key] = errors.get(key, 0) + 1
    return {
        "mode": mode,
        "n": n,
        "ok": ok,
        "errors": errors,
        "wall": wall,
        "cpu": cpu,
        "rss_before_kb": rss_before,
        "maxrss_kb": _peak_rss_kb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("generated-async", "generated-async-own-clients", "handwritten-async"))
    parser.add_argument("--base", required=True)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    json.dump(asyncio.run(main_async(args.mode, args.base, args.n)), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
