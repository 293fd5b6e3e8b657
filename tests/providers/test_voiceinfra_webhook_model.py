"""The VoiceInfra ``call.completed`` webhook payload model (``models.CallCompletedEvent``).

VoiceInfra has no endpoint to read a call: the outbound workflow (tests/providers/
test_providers.py) ends at ``queued`` and the outcome arrives later as this webhook.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from pydantic import ValidationError

from generated.voiceinfra import models

CALL_ID = "vcall_8f3e2d1c"

EVENT: dict[str, Any] = {
    "call_id": CALL_ID,
    "event": "call.completed",
    "from_number": "+18005551234",
    "to_number": "+14155550100",
    "agent_id": "agent_42",
    "duration_seconds": 143,
    "start_time": "2026-11-05T12:30:07Z",
    "end_time": "2026-11-05T12:32:30+00:00",
    "call_outcome": "answered",
    "recording_url": "https://storage.voiceinfra.ai/recordings/vcall_8f3e2d1c.mp3",
    "transcript": "Agent: Hi Sarah, it's Max from Acme about your renewal.\nCaller: Oh, yes, go ahead.",
    "summary": "Sarah agreed to renew the annual plan.",
    "extracted_data": {"renewal_confirmed": True, "preferred_contact": "email"},
}


def test_webhook_payload_parses_into_typed_fields() -> None:
    event = models.CallCompletedEvent.model_validate_json(json.dumps(EVENT))
    assert event.call_id == CALL_ID
    assert event.event == "call.completed"
    assert event.call_outcome == "answered"
    assert event.duration_seconds == 143 and type(event.duration_seconds) is int
    assert event.start_time == dt.datetime(2026, 11, 5, 12, 30, 7, tzinfo=dt.UTC)
    assert event.end_time - event.start_time == dt.timedelta(seconds=143)
    assert str(event.recording_url) == EVENT["recording_url"]
    assert event.transcript is not None and event.transcript.startswith("Agent:")
    assert event.summary == "Sarah agreed to renew the annual plan."
    assert event.extracted_data == {
        "renewal_confirmed": True,
        "preferred_contact": "email",
    }


@pytest.mark.parametrize("outcome", ["answered", "voicemail", "failed"])
def test_webhook_accepts_every_documented_outcome(outcome: str) -> None:
    event = models.CallCompletedEvent.model_validate_json(json.dumps({**EVENT, "call_outcome": outcome}))
    assert event.call_outcome == outcome


def test_webhook_optional_fields_may_be_absent_and_unknown_fields_are_kept() -> None:
    required = {
        k: EVENT[k]
        for k in (
            "call_id",
            "event",
            "from_number",
            "to_number",
            "agent_id",
            "duration_seconds",
            "start_time",
            "end_time",
            "call_outcome",
        )
    }
    event = models.CallCompletedEvent.model_validate_json(json.dumps({**required, "sentiment": "positive"}))
    assert event.recording_url is None and event.transcript is None and event.summary is None
    assert event.extracted_data is None
    assert event.model_extra == {"sentiment": "positive"}  # vendors add fields; they are not dropped


@pytest.mark.parametrize(
    "change",
    [
        {"call_outcome": "hung_up"},  # not a documented outcome
        {"duration_seconds": "two minutes"},  # not an integer
        {"duration_seconds": 12.5},  # not a whole number
        {"duration_seconds": -1},  # minimum 0
        {"event": "call.started"},  # this model is the call.completed event
        {"start_time": "yesterday"},  # not a date-time
        {"start_time": "2026-11-05T12:30:07"},  # date-time without a time zone
        {"recording_url": "not a url"},
    ],
    ids=[
        "outcome",
        "duration-text",
        "duration-fraction",
        "duration-negative",
        "event",
        "start-time",
        "naive-start-time",
        "recording-url",
    ],
)
def test_webhook_rejects_invalid_payloads(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        models.CallCompletedEvent.model_validate_json(json.dumps({**EVENT, **change}))


@pytest.mark.parametrize("missing", ["call_id", "event", "duration_seconds", "call_outcome", "end_time"])
def test_webhook_rejects_a_payload_without_a_required_field(missing: str) -> None:
    payload = {k: v for k, v in EVENT.items() if k != missing}
    with pytest.raises(ValidationError) as caught:
        models.CallCompletedEvent.model_validate_json(json.dumps(payload))
    assert any(err["loc"] == (missing,) and err["type"] == "missing" for err in caught.value.errors())
