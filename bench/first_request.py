"""Process start to first request (started by bench/run.py).

    python bench/first_request.py generated BASE_URL
    python bench/first_request.py arazzo-runner BASE_URL ARAZZO_DOC

Imports only what a user's script would (httpx and the generated package, or
arazzo_runner and its documents), notes the moment the workflow is called, runs
it once against the mock and checks its outputs; prints JSON.  The parent
subtracts the moment it started this process, so interpreter start-up counts.
"""

import sys
import time

kind, base = sys.argv[1], sys.argv[2]
if kind == "generated":
    sys.path.insert(0, __file__.rsplit("/", 2)[0])
    import httpx

    from generated import vapi

    at, cpu = time.monotonic(), time.process_time()
    with httpx.Client() as client:
        out = vapi.assistant_phone_outbound_call(
            api_token="bench-token-0123456789",
            name="Bench Assistant",
            first_message="Hello, this is a benchmark call.",
            system_prompt="You are a concise assistant.",
            customer_number="+14155550123",
            client=client,
            servers={"assistantsApi": base, "phoneNumbersApi": base, "callsApi": base},
            poll_interval=0,
            sleep=lambda seconds: None,
        )
    status, call_id = out.call_status, out.call_id
else:
    import logging

    logging.disable(logging.CRITICAL)
    from arazzo_runner import ArazzoRunner

    runner = ArazzoRunner.from_arazzo_path(sys.argv[3])
    for source in (runner.source_descriptions or {}).values():
        source["servers"] = [{"url": base}]
    at, cpu = time.monotonic(), time.process_time()
    result = runner.execute_workflow(
        "assistant-phone-outbound-call",
        {
            "apiToken": "bench-token-0123456789",
            "name": "Bench Assistant",
            "firstMessage": "Hello, this is a benchmark call.",
            "systemPrompt": "You are a concise assistant.",
            "customerNumber": "+14155550123",
            "areaCode": "415",
        },
    )
    status, call_id = result.outputs.get("callStatus"), result.outputs.get("callId")
if status != "ended" or not str(call_id).startswith("call-"):
    raise SystemExit(f"unexpected outputs: status {status!r}, call {call_id!r}")
print(f'{{"first_request_monotonic": {at!r}, "cpu_to_first_request": {cpu!r}}}')
