"""The runtime of the generated packages, as real modules: each ``<part>.py`` here is
copied byte for byte into a generated package as ``<package>/_runtime/<part>.py``
(only the parts its workflows use), beside an ``__init__.py`` that re-exports their
names (so generated code calls ``_runtime.send``, ``_runtime.StepFailed``, ...): a
part's ``__all__`` where it has one, else the names it defines not starting with ``_``.

Parts in every package: errors (the exceptions, Outputs), redact (credentials kept out of
messages and logs; the logger), core (servers, clients, the deadline, delays), transport
(sending a request), body (reading a response), wire (request values checked before
they are sent), values (what expressions call), observe (TLS context, events, spans),
aionet (the asyncio network backend).  Only where used: inputs, criteria (ordering,
truthiness, indexing), calls (a workflow calling another), auth (bearer, basic), oauth
(client credentials), payload (multipart bodies, JSON-pointer replacements),
idempotency, retry (retry actions), jsonpath, xpath, select, querystring, v11,
v11_jsonpath, v11_xpath, v11_timeout, events (with events_base, events_hub,
events_webhook, events_verify; events_send where a step sends), events_amqp,
events_mqtt, events_ws.  No part imports this ``__init__``.
"""
