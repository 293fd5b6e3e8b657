"""Many runs in one process: the runs' own clients share one TLS context, nothing else.

Building an ``httpx.Client`` builds a TLS context (certifi's CA bundle parsed:
~0.8 MB and ~30 ms CPU each), for http URLs too.  The runtime builds one per
process; each run still gets its own client, so cookies and connections stay
per run.  Peak RSS is measured in a child process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import generated.agentphone as agentphone
import generated.vapi as vapi
from tests.hostile.server import Conn, HostileServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-token-0123456789"  # bench/mock_vapi.py's default token
RUNS = 500
PEAK_RSS_LIMIT_MB = 150


@pytest.fixture()
def mock_vapi() -> Iterator[str]:
    """bench/mock_vapi.py in its own process (asyncio: serves hundreds of connections at once)."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "mock_vapi.py"), "--polls", "2", "--max-seconds", "300"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


CHILD = textwrap.dedent(
    """
    import asyncio, json, resource, sys
    sys.path.insert(0, {root!r})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    import generated.vapi as vapi
    from tests.hostile.rss import peak_rss_bytes
    base = {base!r}
    servers = {{"assistantsApi": base, "phoneNumbersApi": base, "callsApi": base}}
    async def nosleep(seconds):
        pass
    async def one():
        # no client=: each run builds (and closes) its own httpx.AsyncClient
        out = await vapi.assistant_phone_outbound_call_async(api_token={token!r}, name="n", first_message="f", system_prompt="s",
                                                             customer_number="+14155550199", servers=servers, poll_interval=0,
                                                             sleep=nosleep, timeout=120)
        return out.call_id, out.call_status
    async def main():
        return await asyncio.gather(*(one() for _ in range({runs})), return_exceptions=True)
    results = asyncio.run(main())
    errors = [repr(r)[:200] for r in results if isinstance(r, BaseException)]
    ok = [r for r in results if not isinstance(r, BaseException)]
    print(json.dumps({{"errors": errors[:5], "ended": sum(1 for _, s in ok if s == "ended"), "calls": len({{c for c, _ in ok}}),
                      "maxrss_mb": peak_rss_bytes() / 1024 / 1024}}))
    """
)


def test_500_concurrent_runs_with_their_own_clients_stay_under_150_mb(mock_vapi: str) -> None:
    code = CHILD.format(root=str(ROOT), base=mock_vapi, token=TOKEN, runs=RUNS)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["errors"] == [] and out["ended"] == RUNS and out["calls"] == RUNS, out
    assert out["maxrss_mb"] < PEAK_RSS_LIMIT_MB, out


# -- cookies stay with their run -------------------------------------------------------


class CookieServer:
    """Vapi's four endpoints (or AgentPhone's three); every create sets a cookie naming the
    run's request number, and every request's Cookie header is recorded."""

    def __init__(self) -> None:
        self.creates = 0
        self.server = HostileServer(self.script)

    def script(self, conn: Conn) -> None:
        for _ in range(50):  # keep-alive: a few requests per connection, bounded
            request = conn.read_request()
            headers: dict[str, str] = {}
            if request.method == "POST" and request.path in ("/assistant", "/v1/calls"):
                with self.server.lock:
                    self.creates += 1
                    n = self.creates
                headers["Set-Cookie"] = f"run=run{n}; Path=/"
            body = RESPONSES[request.method, request.path.rsplit("/", 1)[0] if request.path.startswith("/v1/calls/") and request.method == "GET" and not request.path.endswith("/transcript") else request.path]
            conn.respond(200 if request.method == "GET" else (200 if request.path.startswith("/v1") else 201), json.dumps(body).encode(), reason="OK", headers={"Content-Type": "application/json", **headers})

    def cookies(self) -> list[str]:
        return [r.headers.get("cookie", "") for r in self.server.requests]


RESPONSES: dict[tuple[str, str], Any] = {
    ("POST", "/assistant"): {"id": "asst_1"},
    ("POST", "/phone-number"): {"id": "pn_1"},
    ("POST", "/call"): {"id": "call_1"},
    ("GET", "/call/call_1"): {"id": "call_1", "status": "ended", "endedReason": "customer-ended-call", "cost": 0.1},
    ("POST", "/v1/calls"): {"id": "call_9", "status": "ringing"},
    ("GET", "/v1/calls"): {"id": "call_9", "agentId": "agt_7f3c2a", "status": "completed", "direction": "outbound"},
    ("GET", "/v1/calls/call_9/transcript"): {"callId": "call_9", "transcript": [], "turns": []},
}


def vapi_run(is_async: bool, url: str) -> Any:
    kwargs: dict[str, Any] = dict(api_token="vapi-secret-token-123", name="n", first_message="f", system_prompt="s", customer_number="+14155550199",
                                  servers={"assistantsApi": url, "phoneNumbersApi": url, "callsApi": url}, poll_interval=0, timeout=20)
    if is_async:

        async def nosleep(seconds: float) -> None:
            pass

        return asyncio.run(vapi.assistant_phone_outbound_call_async(**kwargs, sleep=nosleep))
    return vapi.assistant_phone_outbound_call(**kwargs, sleep=lambda s: None)


def agentphone_run(is_async: bool, url: str) -> Any:
    kwargs: dict[str, Any] = dict(api_key="ap_live_3c9f1e7d5b2a4d6f", agent_id="agt_7f3c2a", to_number="+14155550199", servers={"agentphoneCallsApi": url}, timeout=20)
    if is_async:

        async def nosleep(seconds: float) -> None:
            pass

        return asyncio.run(agentphone.agentphone_outbound_call_async(**kwargs, sleep=nosleep))
    return agentphone.agentphone_outbound_call(**kwargs, sleep=lambda s: None)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("run", [vapi_run, agentphone_run], ids=["vapi", "agentphone"])
def test_cookies_set_in_one_run_are_not_sent_by_the_next(run: Any, is_async: bool) -> None:
    cookies = CookieServer()
    with cookies.server:
        run(is_async, cookies.server.url)
        first = len(cookies.server.requests)
        run(is_async, cookies.server.url)
    assert cookies.server.errors == []
    seen = cookies.cookies()
    assert cookies.creates == 2 and len(seen) == 2 * first
    # Within a run the client keeps its cookie (so the test can see one leak) ...
    assert seen[0] == "" and set(seen[1:first]) == {"run=run1"}, seen
    # ... and the next run's client starts empty: never run1's cookie.
    assert seen[first] == "" and set(seen[first + 1 :]) == {"run=run2"}, seen


SNIFFIO_CHILD = textwrap.dedent(
    """
    import asyncio, importlib.util, json, sys
    sys.path.insert(0, {root!r})
    import generated.vapi as vapi
    base = {base!r}
    async def nosleep(seconds):
        pass
    before = "sniffio" in sys.modules
    findable = importlib.util.find_spec("sniffio") is not None
    asyncio.run(vapi.assistant_phone_outbound_call_async(api_token={token!r}, name="n", first_message="f", system_prompt="s",
        customer_number="+14155550199", servers={{"assistantsApi": base, "phoneNumbersApi": base, "callsApi": base}},
        poll_interval=0, sleep=nosleep, timeout=60))
    try:
        import sniffio
        still = "importable"
    except ImportError:
        still = "ImportError"
    print(json.dumps({{"before": before, "findable": findable, "entry": repr(sys.modules.get("sniffio", "absent")), "import": still}}))
    """
)


def test_async_run_records_once_that_sniffio_is_not_importable(mock_vapi: str) -> None:
    # httpcore tries 'import sniffio' whenever it sets up an async lock; without sniffio
    # each try scans sys.path.  After one async run the import fails at once, the same way.
    code = SNIFFIO_CHILD.format(root=str(ROOT), base=mock_vapi, token=TOKEN)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["before"] is False and out["findable"] is False, out  # this environment has no sniffio
    assert out["entry"] == "None" and out["import"] == "ImportError", out
