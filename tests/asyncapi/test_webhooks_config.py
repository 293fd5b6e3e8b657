"""The ``webhooks`` option of a ``[[tool.arazzo-codegen.specs]]`` entry: how webhook
deliveries reach an AsyncAPI source's channels and how they are signed.  Checked
when the configuration is read (one line, exit 2, naming the key), part of the
stamp, and passed to resolve, where it replaces the document's x-arazzo-webhook."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_codegen.asyncapi_model import SignatureConfig, WebhookConfig
from arazzo_codegen.cli import main
from arazzo_codegen.config import Job, Overrides, jobs_for_specs, load_jobs, read_config
from arazzo_codegen.diagnostics import Report, UsageError
from arazzo_codegen.load import Loader
from arazzo_codegen.resolve import resolve
from arazzo_codegen.write import compute_stamp

EVENTS = """asyncapi: 3.0.0
info: {title: Calls, version: "1"}
channels:
  completed:
    address: call.completed
    messages:
      done:
        payload: {type: object, required: [call_id], properties: {call_id: {type: string}}}
        correlationId: {location: '$message.payload#/call_id'}
  failed:
    address: call.failed
    messages:
      failed:
        payload: {type: object, properties: {call_id: {type: string}}}
x-arazzo-webhook:
  route: {header: X-Event}
  signature: {scheme: stripe, header: X-Nixflex-Signature, tolerance: 60}
"""
DOC = """arazzo: 1.1.0
info: {title: Calls, version: 1.0.0}
sourceDescriptions:
  - {name: events, url: ./events.yaml, type: asyncapi}
workflows:
  - workflowId: wait
    steps:
      - stepId: done
        channelPath: '{$sourceDescriptions.events.url}#/channels/completed'
        action: receive
        correlationId: abc
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "events.yaml").write_text(EVENTS, encoding="utf-8")
    (tmp_path / "calls.arazzo.yaml").write_text(DOC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def configure(project: Path, webhooks: str) -> Path:
    path = project / "pyproject.toml"
    path.write_text(f'[tool.arazzo-codegen]\n[[tool.arazzo-codegen.specs]]\nspec = "calls.arazzo.yaml"\npackage = "calls"\nwebhooks = {webhooks}\n', encoding="utf-8")
    return path


def test_the_option_is_read_into_the_job_and_its_stamp(project: Path) -> None:
    pyproject = configure(project, '{ events = { route-payload = "/type", signature = "hmac-sha256", signature-header = "X-Sig", encoding = "base64", prefix = "sha256=" } }')
    (job,) = load_jobs(pyproject, Overrides())
    assert job.webhooks == (("events", (("encoding", "base64"), ("prefix", "sha256="), ("route-payload", "/type"), ("signature", "hmac-sha256"), ("signature-header", "X-Sig"))),)
    assert job.webhook_tables() == {"events": {"encoding": "base64", "prefix": "sha256=", "route-payload": "/type", "signature": "hmac-sha256", "signature-header": "X-Sig"}}
    assert job.options()["webhooks"] == job.webhooks
    # Without the option the stamp's options are what they always were.
    plain = Job(spec=job.spec, package="calls", out=job.out)
    assert "webhooks" not in plain.options()
    inputs = [project / "calls.arazzo.yaml", project / "events.yaml"]
    assert compute_stamp(inputs, job.package_dir, job.options()) != compute_stamp(inputs, job.package_dir, plain.options())
    # A spec named on the command line that the configuration lists keeps its webhooks.
    config = read_config(pyproject, Overrides())
    (named,) = jobs_for_specs(["calls.arazzo.yaml"], config, Overrides(), None)
    assert named.webhooks == job.webhooks


def resolved_webhook(project: Path, tables: dict[str, dict[str, str | int]] | None) -> tuple[WebhookConfig | None, list[str]]:
    report = Report()
    loader = Loader(report)
    arazzo = loader.load(project / "calls.arazzo.yaml")
    assert arazzo is not None
    doc = resolve(arazzo, loader, report, tables)
    return doc.async_sources["events"].webhook, [d.render().splitlines()[0] for d in report.items if "not compiled yet" not in d.message]


def test_the_configuration_replaces_the_extension(project: Path) -> None:
    webhook, found = resolved_webhook(project, None)
    assert found == []
    assert webhook == WebhookConfig(("header", "X-Event"), SignatureConfig("stripe", "X-Nixflex-Signature", tolerance=60), ("x-arazzo-webhook",))
    webhook, found = resolved_webhook(project, {"events": {"route-payload": "/event", "signature": "standard-webhooks", "tolerance": 30}})
    assert found == []
    assert webhook == WebhookConfig(("payload", "/event"), SignatureConfig("standard-webhooks", "webhook-signature", tolerance=30), ())
    # A table without a route, for a source with two channels: told, in the AsyncAPI file.
    webhook, found = resolved_webhook(project, {"events": {"signature": "hmac-sha256", "signature-header": "X-Sig"}})
    assert found == ["events.yaml:1:1: error: $: the configuration's webhooks entry for this source has no route, but the document has 2 channels: which one a delivery is on is unknown"]


def test_a_source_the_document_does_not_have_is_told(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure(project, '{ event = { route-header = "X-Event" } }')
    code = main(["validate"])
    err = capsys.readouterr().err
    assert code == 1
    assert "calls.arazzo.yaml:3:1: error: $.sourceDescriptions: the configuration's webhooks names source 'event', which is not a source description of this document\n    hint: did you mean 'events'?" in err, err


@pytest.mark.parametrize(
    ("webhooks", "message"),
    [
        ('"hmac"', "'webhooks' must be a table of source name = { route-header, signature, ... }, not a string"),
        ('{ events = "hmac-sha256" }', "webhooks.events must be a table of route-header, route-payload, signature, signature-header, encoding, prefix, tolerance, not a string"),
        ('{ events = { route = "X-Event" } }', "webhooks.events: unknown key 'route'"),
        ('{ events = { signature-headr = "X" } }', "webhooks.events: unknown key 'signature-headr'; did you mean 'signature-header'?"),
        ('{ events = { route-header = "X-Event", route-payload = "/e" } }', "webhooks.events: give one of 'route-header' and 'route-payload', not both"),
        ('{ events = { route-header = "X Event" } }', "webhooks.events: 'route-header' must be an HTTP header name"),
        ('{ events = { route-payload = "event" } }', "webhooks.events: 'route-payload' must be a JSON pointer such as '/event', not 'event'"),
        ('{ events = { signature = "hmac-sha1", signature-header = "X" } }', "webhooks.events: unknown signature 'hmac-sha1'; use one of hmac-sha256, stripe, standard-webhooks"),
        ('{ events = { signature = "hmac-sha256" } }', "webhooks.events: an hmac-sha256 signature needs 'signature-header' (the header that carries it)"),
        ('{ events = { signature-header = "X" } }', "webhooks.events: 'signature-header' needs 'signature' (one of hmac-sha256, stripe, standard-webhooks)"),
        ('{ events = { signature = "stripe", signature-header = "X", encoding = "hex" } }', "webhooks.events: 'encoding' applies to hmac-sha256 signatures, not stripe"),
        ('{ events = { signature = "hmac-sha256", signature-header = "X", tolerance = 5 } }', "webhooks.events: 'tolerance' applies to stripe and standard-webhooks signatures, not hmac-sha256"),
        ('{ events = { signature = "hmac-sha256", signature-header = "X", encoding = "base32" } }', "webhooks.events: 'encoding' must be hex or base64, not 'base32'"),
        ('{ events = { signature = "stripe", signature-header = "X", tolerance = -1 } }', "webhooks.events: 'tolerance' must be a whole number of seconds >= 0, not -1"),
        ('{ events = { signature = "stripe", signature-header = "X", tolerance = "300" } }', "webhooks.events: 'tolerance' must be a whole number of seconds >= 0, not '300'"),
        ('{ events = { signature = "standard-webhooks", signature-header = "X-Sig" } }', "webhooks.events: standard-webhooks signatures are in the webhook-id, webhook-timestamp and webhook-signature headers; remove 'signature-header'"),
        ('{ events = { prefix = 1 } }', "webhooks.events: 'prefix' must be a string, not an integer"),
    ],
)
def test_each_bad_value_is_a_usage_error_naming_it(project: Path, capsys: pytest.CaptureFixture[str], webhooks: str, message: str) -> None:
    pyproject = configure(project, webhooks)
    with pytest.raises(UsageError) as caught:
        load_jobs(pyproject, Overrides())
    assert message in str(caught.value)
    assert str(caught.value).startswith("pyproject.toml: [[tool.arazzo-codegen.specs]] #1")
    code = main(["validate"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and message in err


def test_top_level_webhooks_are_not_an_option(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.arazzo-codegen]\nwebhooks = { events = { route-header = "X" } }\n[[tool.arazzo-codegen.specs]]\nspec = "calls.arazzo.yaml"\npackage = "calls"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"\[tool.arazzo-codegen\]: unknown key 'webhooks'"):
        load_jobs(project / "pyproject.toml", Overrides())
