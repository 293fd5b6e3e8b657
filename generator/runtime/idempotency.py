"""The Idempotency-Key of each step of a run (operations that declare the header)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from .errors import InvalidInput


class IdempotencyKeys:
    """The Idempotency-Key of each step of one run: ``{base}:{workflow}:{step}`` (then
    ``:2``, ``:3``... when the step runs again after a goto), the same on every transport
    retry and every ``retry`` action of that execution, so the server acts at most once.
    ``base`` is the caller's ``idempotency_key`` (deterministic keys, e.g. for replays),
    else a fresh uuid4 per run."""

    def __init__(self, base: str | None, workflow_id: str) -> None:
        if base is not None and (
            not isinstance(base, str)
            or not base
            or not all(" " <= c <= "~" for c in base)
        ):
            raise InvalidInput(
                [
                    (
                        "idempotency_key",
                        "idempotency_key",
                        "must be a non-empty string of printable ASCII",
                    )
                ]
            )
        self.base = f"{uuid.uuid4().hex if base is None else base}:{quote(workflow_id, safe='')}"
        self._runs: dict[str, int] = {}
        self._retrying: set[str] = set()
        self._children = 0

    def key(self, step_id: str) -> str:
        """The key of this execution of ``step_id``: a new one unless a retry action re-runs it."""
        if step_id in self._retrying:
            self._retrying.discard(step_id)
        else:
            self._runs[step_id] = self._runs.get(step_id, 0) + 1
        count = self._runs.setdefault(step_id, 1)
        return f"{self.base}:{quote(step_id, safe='')}" + (
            f":{count}" if count > 1 else ""
        )

    def retrying(self, step_id: str) -> None:
        """A retry action runs ``step_id`` again: its next request keeps the same key."""
        self._retrying.add(step_id)

    def child(self) -> str:
        """The base for a workflow this run calls: distinct for each call, deterministic."""
        self._children += 1
        return f"{self.base}:{self._children}"
