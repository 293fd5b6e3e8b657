"""End to end: an Arazzo 1.1 workflow with send and receive steps, bound to an AsyncAPI
source whose server speaks MQTT, compiled into a package in a temporary folder and run
(sync and async) over the real mosquitto on 127.0.0.1 with the generated MqttTransport.

A small "provider" (a plain paho-mqtt client, not the transport under test) answers
each call request on the broker: first a completion for another call, then the one
for the requested call, so the receive step's correlation has something to skip.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from arazzo_codegen.pipeline import Job, build
from arazzo_codegen.write import write_package

from tests.events.brokers import Mosquitto, mosquitto  # noqa: F401 - the fixture

ASYNCAPI = """\
asyncapi: 3.0.0
info:
  title: Voice events over MQTT
  version: 1.0.0
defaultContentType: application/json
servers:
  broker:
    host: 127.0.0.1:1883
    protocol: mqtt
channels:
  callRequests:
    address: "{prefix}/calls/requests"
    messages:
      placeCall:
        $ref: "#/components/messages/PlaceCall"
  callCompleted:
    address: "{prefix}/calls/completed"
    messages:
      callCompleted:
        $ref: "#/components/messages/CallCompleted"
operations:
  takeCallRequest:
    action: receive
    channel:
      $ref: "#/channels/callRequests"
  publishCallCompleted:
    action: send
    channel:
      $ref: "#/channels/callCompleted"
components:
  messages:
    PlaceCall:
      name: PlaceCall
      headers:
        type: object
        properties:
          X-Request-Id:
            type: string
      payload:
        type: object
        required: [call_id, to]
        properties:
          call_id:
            type: string
          to:
            type: string
    CallCompleted:
      name: CallCompleted
      headers:
        type: object
        properties:
          X-Event-Type:
            type: string
      payload:
        type: object
        required: [call_id, status]
        properties:
          call_id:
            type: string
          status:
            type: string
          duration:
            type: integer
      correlationId:
        location: "$message.payload#/call_id"
"""

ARAZZO = """\
arazzo: 1.1.0
info:
  title: Place a call and wait for its outcome over MQTT
  version: 1.0.0
sourceDescriptions:
  - name: voice
    url: ./asyncapi.yaml
    type: asyncapi
workflows:
  - workflowId: callAndWait
    summary: Ask the provider for a call, then wait for its completion event.
    inputs:
      type: object
      required: [callId, to]
      properties:
        callId: {type: string}
        to: {type: string}
    steps:
      - stepId: placeCall
        operationId: takeCallRequest
        action: send
        parameters:
          - name: X-Request-Id
            in: header
            value: $inputs.callId
        requestBody:
          payload:
            call_id: $inputs.callId
            to: $inputs.to
      - stepId: awaitOutcome
        operationId: publishCallCompleted
        action: receive
        correlationId: $inputs.callId
        timeout: 5000
        successCriteria:
          - condition: $message.payload#/status == 'completed'
        outputs:
          status: $message.payload#/status
          duration: $message.payload#/duration
          eventType: $message.header.X-Event-Type
    outputs:
      status: $steps.awaitOutcome.outputs.status
      duration: $steps.awaitOutcome.outputs.duration
      eventType: $steps.awaitOutcome.outputs.eventType
"""


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, prefix: str) -> ModuleType:
    folder = tmp_path_factory.mktemp("e2e-mqtt")
    (folder / "asyncapi.yaml").write_text(ASYNCAPI.replace("{prefix}", prefix), encoding="utf-8")
    (folder / "arazzo.yaml").write_text(ARAZZO, encoding="utf-8")
    out = folder / "out"
    job = Job(spec=folder / "arazzo.yaml", package="e2e_mqtt_voice", out=out)
    result = build(job)
    errors = [d.render() for d in result.report.items if d.severity.name == "ERROR"]
    assert not errors and result.files, errors
    write_package(job.package_dir, result.files)
    sys.path.insert(0, str(out))
    try:
        importlib.invalidate_caches()
        return importlib.import_module("e2e_mqtt_voice")
    finally:
        sys.path.remove(str(out))


class Provider:
    """A fake provider on the broker (paho-mqtt, MQTT 5): answers each call request
    with a completion for another call, then the one for the requested call."""

    def __init__(self, broker: Mosquitto, prefix: str) -> None:
        from paho.mqtt import client as mqtt

        self.prefix = prefix
        self.requests: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"provider-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(f"{prefix}/calls/requests", qos=1)
        self.client.loop_start()
        assert self.subscribed.wait(10), "the provider could not subscribe"

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        request = json.loads(msg.payload)
        headers = dict(getattr(msg.properties, "UserProperty", []) or [])
        self.requests.append((request, headers))
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = [("X-Event-Type", "call.completed")]
        topic = f"{self.prefix}/calls/completed"
        other = {"call_id": "someone-else", "status": "failed", "duration": 1}
        mine = {"call_id": request["call_id"], "status": "completed", "duration": 42}
        for payload in (other, mine):
            client.publish(topic, json.dumps(payload), qos=1, properties=properties)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def provider(mosquitto: Mosquitto, prefix: str) -> Iterator[Provider]:
    provider = Provider(mosquitto, prefix)
    try:
        yield provider
    finally:
        provider.close()


def test_the_mqtt_server_brings_in_the_mqtt_adapter(package: ModuleType) -> None:
    runtime = importlib.import_module("e2e_mqtt_voice._runtime")
    assert hasattr(runtime, "MqttTransport") and not hasattr(runtime, "WebSocketTransport")


def test_the_sync_workflow_runs_over_mosquitto(package: ModuleType, mosquitto: Mosquitto, provider: Provider) -> None:
    runtime = importlib.import_module("e2e_mqtt_voice._runtime")
    began = time.monotonic()
    with runtime.MqttTransport(mosquitto.host, mosquitto.port) as transport:
        outputs = package.call_and_wait(call_id="CA12", to="+15550100", transport=transport)
    took = time.monotonic() - began
    assert (outputs.status, outputs.duration, outputs.event_type) == ("completed", 42, "call.completed")
    assert provider.requests == [({"call_id": "CA12", "to": "+15550100"}, {"x-request-id": "CA12"})]
    assert took < 5, took


def test_the_async_workflow_runs_over_mosquitto(package: ModuleType, mosquitto: Mosquitto, provider: Provider) -> None:
    runtime = importlib.import_module("e2e_mqtt_voice._runtime")

    async def main() -> Any:
        async with runtime.MqttTransport(mosquitto.host, mosquitto.port) as transport:
            return await asyncio.gather(
                *(package.call_and_wait_async(call_id=f"CA{i}", to="+15550100", transport=transport) for i in range(5))
            )

    results = asyncio.run(asyncio.wait_for(main(), 30))
    assert [r.status for r in results] == ["completed"] * 5
    assert sorted(request["call_id"] for request, _ in provider.requests) == [f"CA{i}" for i in range(5)]


def test_no_answer_within_the_overall_timeout_is_workflow_timeout(package: ModuleType, mosquitto: Mosquitto) -> None:
    runtime = importlib.import_module("e2e_mqtt_voice._runtime")
    with runtime.MqttTransport(mosquitto.host, mosquitto.port) as transport:
        with pytest.raises(runtime.WorkflowTimeout) as caught:
            package.call_and_wait(call_id="CA404", to="+15550100", transport=transport, timeout=1.0)
    assert "awaitOutcome" in str(caught.value) and "call_id == 'CA404'" in str(caught.value)
