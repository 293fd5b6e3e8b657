"""What the compiler knows of an AsyncAPI 3.x source description once it is read.

``asyncapi.read_asyncapi`` builds these from a loaded document (positions kept in
``SourceFile``); resolve binds send/receive steps to them; analysis and the model
stage read them.  Every object carries its JSON path in the AsyncAPI file, so a
diagnostic about it points into that file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .diagnostics import JsonPath
from .load import SourceFile
from .resolve_model import SchemaLoc


@dataclass(frozen=True)
class Correlation:
    """An AsyncAPI Correlation ID Object: where a message carries the value that ties it to a workflow run."""

    location: str  # as written, e.g. "$message.payload#/call_id"
    part: Literal["payload", "header"]
    #: payload: the JSON pointer's tokens (unescaped); header: one token, the header name (case kept)
    pointer: tuple[str, ...]
    json_path: JsonPath
    #: the file the Correlation ID Object is in (a $ref may lead to another one); None: the source's file
    file: SourceFile | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AsyncMessage:
    """One message a channel carries."""

    key: str  # its key in the channel's (or components') messages map
    name: str  # Message Object ``name`` or the key
    json_path: JsonPath  # of the resolved Message Object
    payload: SchemaLoc | None  # None: the message has no payload schema
    headers: SchemaLoc | None
    content_type: str  # the message's contentType, else the document's defaultContentType, else application/json
    correlation: Correlation | None
    summary: str = ""
    #: the file the Message Object is in (a $ref may lead to another one); None: the source's file
    file: SourceFile | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AsyncChannel:
    """A Channel Object."""

    key: str  # its key in ``channels``
    address: str | None  # may hold {parameter} placeholders; None: unknown until run time (AsyncAPI: the key is used)
    parameters: tuple[str, ...]  # names of the address's {parameters}
    messages: tuple[AsyncMessage, ...]
    json_path: JsonPath

    @property
    def effective_address(self) -> str:
        """The address a transport subscribes to or sends on: the address, else the channel's key."""
        return self.address if self.address is not None else self.key


@dataclass(frozen=True)
class AsyncOperation:
    """An Operation Object, written from the described application's side (its own ``action``)."""

    operation_id: str  # its key in ``operations``
    action: Literal["send", "receive"]
    channel: AsyncChannel
    messages: tuple[AsyncMessage, ...]  # the operation's messages, else all of its channel's
    json_path: JsonPath
    summary: str = ""


@dataclass(frozen=True)
class SignatureConfig:
    """How deliveries to a webhook receiver are signed (``x-arazzo-webhook.signature`` or the configuration)."""

    scheme: Literal["hmac-sha256", "stripe", "standard-webhooks"]
    header: str  # the header carrying the signature (standard-webhooks: "webhook-signature")
    encoding: Literal["hex", "base64"] = "hex"  # hmac-sha256 only
    prefix: str = ""  # hmac-sha256 only: e.g. "sha256=" before the digest
    tolerance: int = 300  # seconds a timestamp may be off (stripe, standard-webhooks)


@dataclass(frozen=True)
class WebhookConfig:
    """How an HTTP webhook POST becomes a message on a channel of this source."""

    #: where the channel address is read: ("header", name) or ("payload", JSON pointer text);
    #: None: the source has one channel, and every delivery is on it
    route: tuple[Literal["header", "payload"], str] | None
    signature: SignatureConfig | None
    json_path: JsonPath  # of the x-arazzo-webhook object (or () when it came from the configuration)


@dataclass
class AsyncSource:
    """A source description of type asyncapi, read and indexed."""

    name: str
    url: str
    file: SourceFile
    version: str  # the document's ``asyncapi`` field, e.g. "3.0.0"
    channels: dict[str, AsyncChannel] = field(default_factory=dict)  # by channel key
    operations: dict[str, AsyncOperation] = field(default_factory=dict)  # by operationId
    protocols: tuple[str, ...] = ()  # the servers' protocols, lower case, sorted, distinct (mqtt, ws, http, ...)
    webhook: WebhookConfig | None = None
    key: str = ""  # qualified name in a linked document (as Source.key)

    def __post_init__(self) -> None:
        self.key = self.key or self.name


@dataclass(frozen=True)
class EventTarget:
    """What a send/receive step is bound to."""

    source: AsyncSource
    channel: AsyncChannel
    operation: AsyncOperation | None  # None when the step names the channel with channelPath
    action: Literal["send", "receive"]  # the step's own ``action`` (the workflow's side)

    @property
    def messages(self) -> tuple[AsyncMessage, ...]:
        return self.operation.messages if self.operation is not None else self.channel.messages
