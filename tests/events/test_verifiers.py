"""Webhook signature verifiers, checked against signatures made independently: with
hmac here (HMAC-SHA256, Stripe-style) and with the Standard Webhooks reference library
(``standardwebhooks``) and the test vector of its specification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timezone
from types import ModuleType
from typing import Any

import httpx
import pytest
import standardwebhooks

SECRET = "hook-secret-7f3a9c"
BODY = b'{"event":"call.completed","call_id":"CA12"}'
NOW = 1_764_000_000


def _no_secret_in(reason: str | None, *secrets: str) -> None:
    assert reason is not None
    for secret in secrets:
        assert secret not in reason


# -- HMAC-SHA256 of the raw body -------------------------------------------------------------


def test_hmac_hex_with_a_prefix(rt: ModuleType) -> None:
    verifier = rt.HmacSha256Verifier(SECRET, header="X-Hub-Signature-256", prefix="sha256=")
    signature = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert verifier.verify({"x-hub-signature-256": "sha256=" + signature}, BODY) is None
    wrong = hmac.new(b"other", BODY, hashlib.sha256).hexdigest()
    for headers in (
        {},
        {"x-hub-signature-256": signature},
        {"x-hub-signature-256": "sha256=" + wrong},
        {"x-hub-signature-256": "sha256=zz"},
    ):
        reason = verifier.verify(headers, BODY)
        _no_secret_in(reason, SECRET, signature, wrong)
        assert not isinstance(reason, rt.Replayed)
    assert verifier.verify({"x-hub-signature-256": "sha256=" + signature}, BODY + b" ") is not None


def test_hmac_upper_case_hex_and_base64(rt: ModuleType) -> None:
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()
    hexed = rt.HmacSha256Verifier(SECRET, header="X-Sig", reject_replays=False)
    assert hexed.verify({"x-sig": digest.hex().upper()}, BODY) is None
    b64 = rt.HmacSha256Verifier(SECRET.encode(), header="X-Sig", encoding="base64", reject_replays=False)
    assert b64.verify({"x-sig": base64.b64encode(digest).decode()}, BODY) is None
    assert b64.verify({"x-sig": base64.b64encode(digest).decode().rstrip("=")}, BODY) is None
    assert b64.verify({"x-sig": digest.hex()}, BODY) is not None
    assert b64.verify({"x-sig": "!!!"}, BODY) is not None


def test_hmac_replays(rt: ModuleType) -> None:
    signature = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    strict = rt.HmacSha256Verifier(SECRET, header="X-Sig")
    assert strict.verify({"x-sig": signature}, BODY) is None
    again = strict.verify({"x-sig": signature}, BODY)
    assert isinstance(again, rt.Replayed)
    lenient = rt.HmacSha256Verifier(SECRET, header="X-Sig", reject_replays=False)
    assert lenient.verify({"x-sig": signature}, BODY) is None
    assert lenient.verify({"x-sig": signature}, BODY) is None


def test_verifiers_refuse_bad_configuration_without_showing_the_secret(rt: ModuleType) -> None:
    with pytest.raises(ValueError, match="empty"):
        rt.HmacSha256Verifier("", header="X-Sig")
    with pytest.raises(ValueError, match="encoding"):
        rt.HmacSha256Verifier(SECRET, header="X-Sig", encoding="hexx")
    with pytest.raises(ValueError) as caught:
        rt.StandardWebhooksVerifier("whsec_not*base64!")
    assert "not*base64" not in str(caught.value)
    for verifier in (
        rt.HmacSha256Verifier(SECRET, header="X-Sig"),
        rt.StripeVerifier(SECRET, header="X-Sig"),
        rt.StandardWebhooksVerifier("whsec_" + base64.b64encode(SECRET.encode()).decode()),
    ):
        assert SECRET not in repr(verifier) and base64.b64encode(SECRET.encode()).decode() not in repr(verifier)


# -- Stripe-style t=<ts>,v1=<hex> over "<ts>.<body>" -------------------------------------------


def stripe_header(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def test_stripe_signature_computed_independently(rt: ModuleType) -> None:
    verifier = rt.StripeVerifier(SECRET, header="X-Nixflex-Signature", tolerance=300, clock=lambda: NOW + 10)
    assert verifier.verify({"x-nixflex-signature": stripe_header(BODY, NOW)}, BODY) is None


def test_stripe_rolled_secret_several_v1_and_extra_schemes(rt: ModuleType) -> None:
    verifier = rt.StripeVerifier(SECRET, tolerance=300, clock=lambda: NOW)
    old = stripe_header(BODY, NOW, "old-secret").split(",")[1]
    good = stripe_header(BODY, NOW).split(",")[1]
    assert verifier.verify({"stripe-signature": f"t={NOW},{old},{good},v0=abc"}, BODY) is None
    assert verifier.verify({"stripe-signature": f"t={NOW},{old}"}, BODY) is not None


def test_stripe_rejections(rt: ModuleType) -> None:
    clock = [float(NOW)]
    verifier = rt.StripeVerifier(SECRET, header="X-Sig", tolerance=300, clock=lambda: clock[0])
    header = stripe_header(BODY, NOW)
    signature = header.split("v1=")[1]
    cases = {
        "missing": {},
        "no t": {"x-sig": f"v1={signature}"},
        "no v1": {"x-sig": f"t={NOW},v0={signature}"},
        "t not a number": {"x-sig": f"t=abc,v1={signature}"},
        "another body's": {"x-sig": stripe_header(BODY + b"x", NOW)},
        "another time's": {"x-sig": f"t={NOW + 1},v1={signature}"},
        "another secret's": {"x-sig": stripe_header(BODY, NOW, "nope")},
    }
    for name, headers in cases.items():
        reason = verifier.verify(headers, BODY)
        assert reason is not None and not isinstance(reason, rt.Replayed), name
        _no_secret_in(reason, SECRET, signature)
    clock[0] = NOW + 301
    too_old = verifier.verify({"x-sig": header}, BODY)
    assert too_old is not None and "300 s" in too_old
    clock[0] = NOW - 301
    assert verifier.verify({"x-sig": header}, BODY) is not None  # from the future
    clock[0] = NOW + 299
    assert verifier.verify({"x-sig": header}, BODY) is None
    assert isinstance(verifier.verify({"x-sig": header}, BODY), rt.Replayed)
    assert verifier.verify({"x-sig": stripe_header(BODY, NOW + 5)}, BODY) is None  # a new delivery of the same body


def test_stripe_replay_memory_is_forgotten_after_the_tolerance(rt: ModuleType) -> None:
    clock = [float(NOW)]
    verifier = rt.StripeVerifier(SECRET, tolerance=300, clock=lambda: clock[0])
    assert verifier.verify({"stripe-signature": stripe_header(BODY, NOW)}, BODY) is None
    clock[0] = NOW + 10_000
    assert verifier.verify({"stripe-signature": stripe_header(BODY, NOW + 10_000)}, BODY) is None
    assert len(verifier._seen._keys) == 1  # the first one, long expired, was dropped


# -- Standard Webhooks -------------------------------------------------------------------------

#: The example of the Standard Webhooks specification (and its reference libraries' tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_standard_webhooks_specification_vector(rt: ModuleType) -> None:
    verifier = rt.StandardWebhooksVerifier(SPEC_SECRET, clock=lambda: SPEC_TIMESTAMP + 1)
    headers = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": SPEC_SIGNATURE}
    assert verifier.verify(headers, SPEC_BODY) is None
    reference = standardwebhooks.Webhook(SPEC_SECRET)
    assert (
        reference.sign(SPEC_ID, datetime.fromtimestamp(SPEC_TIMESTAMP, tz=timezone.utc), SPEC_BODY.decode())
        == SPEC_SIGNATURE
    )


def reference_headers(secret: str, msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    signature = standardwebhooks.Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body.decode()
    )
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_standard_webhooks_signed_by_the_reference_library(rt: ModuleType) -> None:
    secret = "whsec_" + base64.b64encode(b"a 24-byte secret key....").decode()
    verifier = rt.StandardWebhooksVerifier(secret, clock=lambda: NOW)
    headers = reference_headers(secret, "msg_1", BODY, NOW)
    assert verifier.verify(headers, BODY) is None
    assert isinstance(verifier.verify(headers, BODY), rt.Replayed)  # the same webhook-id again
    headers = reference_headers(secret, "msg_2", BODY, NOW)
    other_key = "whsec_" + base64.b64encode(b"another secret key......").decode()
    bad = [
        {**headers, "webhook-signature": reference_headers(other_key, "msg_2", BODY, NOW)["webhook-signature"]},
        {**headers, "webhook-id": "msg_3"},
        {**headers, "webhook-timestamp": str(NOW + 1)},
        {**headers, "webhook-signature": headers["webhook-signature"].replace("v1,", "v2,")},
        {key: value for key, value in headers.items() if key != "webhook-id"},
        {key: value for key, value in headers.items() if key != "webhook-signature"},
        {**headers, "webhook-timestamp": "soon"},
    ]
    for case in bad:
        reason = verifier.verify(case, BODY)
        assert reason is not None and not isinstance(reason, rt.Replayed), case
        _no_secret_in(reason, secret, headers["webhook-signature"].split(",", 1)[1])
    assert verifier.verify(headers, BODY + b" ") is not None
    several = {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"] + " v1a,xyz"}
    assert verifier.verify(several, BODY) is None


def test_standard_webhooks_agrees_with_the_reference_on_tolerance(rt: ModuleType) -> None:
    secret = "whsec_" + base64.b64encode(b"tolerance key").decode().rstrip("=")  # unpadded, as the reference accepts it

    now = int(time.time())
    verifier = rt.StandardWebhooksVerifier(secret)
    reference = standardwebhooks.Webhook(secret)
    for offset, accepted in ((-299, True), (299, True), (-301, False), (301, False)):
        headers = reference_headers(secret, f"msg_{offset}", BODY, now + offset)
        ours = verifier.verify(headers, BODY) is None
        try:
            reference.verify(BODY, headers)
            theirs = True
        except standardwebhooks.WebhookVerificationError:
            theirs = False
        assert ours == theirs == accepted, offset


def test_standard_webhooks_through_the_receiver_over_http(rt: ModuleType) -> None:
    secret = "whsec_" + base64.b64encode(b"receiver secret key").decode()
    verifier = rt.StandardWebhooksVerifier(secret)

    with (
        rt.WebhookReceiver(verifier=verifier, route=rt.route_by_payload("/type")) as receiver,
        rt.open_subscriptions(receiver, {"wait": "call.completed"}) as subs,
    ):
        body = json.dumps({"type": "call.completed", "call_id": "CA1"}).encode()
        headers: dict[str, Any] = {
            **reference_headers(secret, "msg_http_1", body, int(time.time())),
            "content-type": "application/json",
        }
        old = {
            **reference_headers(secret, "msg_http_0", body, int(time.time()) - 3600),
            "content-type": "application/json",
        }
        assert httpx.post(receiver.url, headers=old, content=body).status_code == 401
        assert httpx.post(receiver.url, headers=headers, content=body).status_code == 200
        assert httpx.post(receiver.url, headers=headers, content=body).status_code == 409
        message = rt.receive(
            rt.Deadline(5.0), subs["wait"], "wait", "call.completed", matches=None, awaited=None, timeout_ms=1000
        )
        assert message.payload["call_id"] == "CA1" and message.headers["webhook-id"] == "msg_http_1"
        assert subs["wait"].pending() == 0  # the replay was not delivered


def test_stripe_through_the_receiver_over_http(rt: ModuleType) -> None:

    verifier = rt.StripeVerifier(SECRET, header="X-Nixflex-Signature")
    with (
        rt.WebhookReceiver(verifier=verifier, route=rt.route_by_payload("/type")) as receiver,
        rt.open_subscriptions(receiver, {"wait": "call.completed"}) as subs,
    ):
        body = json.dumps({"type": "call.completed", "call_id": "NX1"}).encode()
        now = int(time.time())
        headers = {"X-Nixflex-Signature": stripe_header(body, now), "Content-Type": "application/json"}
        assert (
            httpx.post(
                receiver.url,
                headers={**headers, "X-Nixflex-Signature": stripe_header(body, now, "wrong")},
                content=body,
            ).status_code
            == 401
        )
        assert httpx.post(receiver.url, headers=headers, content=body).status_code == 200
        assert httpx.post(receiver.url, headers=headers, content=body).status_code == 409
        assert subs["wait"].receive(1).payload["call_id"] == "NX1"


def test_no_tolerance_accepts_any_time_but_still_rejects_replays(rt: ModuleType) -> None:
    stripe = rt.StripeVerifier(SECRET, tolerance=None, clock=lambda: NOW + 10**6)
    assert stripe.verify({"stripe-signature": stripe_header(BODY, NOW)}, BODY) is None
    assert isinstance(stripe.verify({"stripe-signature": stripe_header(BODY, NOW)}, BODY), rt.Replayed)
    secret = "whsec_" + base64.b64encode(b"no tolerance key").decode()
    standard = rt.StandardWebhooksVerifier(secret, tolerance=None)
    headers = reference_headers(secret, "msg_old", BODY, 1_000_000_000)
    assert standard.verify(headers, BODY) is None
    assert isinstance(standard.verify(headers, BODY), rt.Replayed)
