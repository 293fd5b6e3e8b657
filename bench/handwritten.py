"""The Vapi outbound-call workflow written by hand with httpx: the floor that the
generated functions are measured against.

It is what a careful engineer would write without a generator: one shared
client, the same four requests with the same JSON bodies as the Arazzo
document, a status check per step, the poll loop on ``status == 'ended'``, and
a dict of the six workflow outputs.  No retries, no deadline, no redaction and
no output validation: the generated code does those, so the difference between
the two is the price of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx

MAX_POLLS = 10_000


class StepError(Exception):
    pass


def _check(step: str, response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise StepError(f"{step}: HTTP {response.status_code}: {response.text[:200]}")
    return response.json()


def outbound_call(
    client: httpx.Client,
    base_url: str,
    *,
    api_token: str,
    name: str,
    first_message: str,
    system_prompt: str,
    customer_number: str,
    area_code: str = "415",
    poll_interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_token}"}
    assistant = _check(
        "createAssistant",
        client.post(
            f"{base_url}/assistant",
            headers=headers,
            json={
                "name": name,
                "firstMessage": first_message,
                "model": {
                    "provider": "openai",
                    "model": "gpt-5.4",
                    "messages": [{"role": "system", "content": system_prompt}],
                },
                "voice": {"provider": "azure", "voiceId": "andrew"},
            },
        ),
        201,
    )
    number = _check(
        "provisionNumber",
        client.post(
            f"{base_url}/phone-number",
            headers=headers,
            json={
                "provider": "vapi",
                "numberDesiredAreaCode": area_code,
                "assistantId": assistant["id"],
                "name": name,
            },
        ),
        201,
    )
    call = _check(
        "createCall",
        client.post(
            f"{base_url}/call",
            headers=headers,
            json={
                "name": name,
                "assistantId": assistant["id"],
                "phoneNumberId": number["id"],
                "customer": {"number": customer_number},
            },
        ),
        201,
    )
    url = f"{base_url}/call/{quote(call['id'], safe='')}"
    for _ in range(MAX_POLLS):
        status = _check("pollCall", client.get(url, headers=headers), 200)
        if status.get("status") == "ended":
            break
        sleep(poll_interval)
    else:
        raise StepError("pollCall: the call did not end")
    return {
        "assistantId": assistant["id"],
        "phoneNumberId": number["id"],
        "callId": call["id"],
        "callStatus": status.get("status"),
        "endedReason": status.get("endedReason"),
        "cost": status.get("cost"),
    }


async def outbound_call_async(
    client: httpx.AsyncClient,
    base_url: str,
    *,
    api_token: str,
    name: str,
    first_message: str,
    system_prompt: str,
    customer_number: str,
    area_code: str = "415",
    poll_interval: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_token}"}
    assistant = _check(
        "createAssistant",
        await client.post(
            f"{base_url}/assistant",
            headers=headers,
            json={
                "name": name,
                "firstMessage": first_message,
                "model": {
                    "provider": "openai",
                    "model": "gpt-5.4",
                    "messages": [{"role": "system", "content": system_prompt}],
                },
                "voice": {"provider": "azure", "voiceId": "andrew"},
            },
        ),
        201,
    )
    number = _check(
        "provisionNumber",
        await client.post(
            f"{base_url}/phone-number",
            headers=headers,
            json={
                "provider": "vapi",
                "numberDesiredAreaCode": area_code,
                "assistantId": assistant["id"],
                "name": name,
            },
        ),
        201,
    )
    call = _check(
        "createCall",
        await client.post(
            f"{base_url}/call",
            headers=headers,
            json={
                "name": name,
                "assistantId": assistant["id"],
                "phoneNumberId": number["id"],
                "customer": {"number": customer_number},
            },
        ),
        201,
    )
    url = f"{base_url}/call/{quote(call['id'], safe='')}"
    for _ in range(MAX_POLLS):
        status = _check("pollCall", await client.get(url, headers=headers), 200)
        if status.get("status") == "ended":
            break
        await sleep(poll_interval)
    else:
        raise StepError("pollCall: the call did not end")
    return {
        "assistantId": assistant["id"],
        "phoneNumberId": number["id"],
        "callId": call["id"],
        "callStatus": status.get("status"),
        "endedReason": status.get("endedReason"),
        "cost": status.get("cost"),
    }
