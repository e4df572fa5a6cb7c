"""Structured logging for the server entry point: one JSON object a line (or plain text for people)."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed with ``extra=`` and belongs in the JSON object, except
# uvicorn's ``color_message``: the same message with ANSI colour escapes, for terminals.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # socket.io/engine.io log packets, and connect packets carry tokens: keep them quiet whatever the level.
    for noisy in ("socketio", "engineio", "socketio.server", "engineio.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Throttle:
    """At most one log line per ``interval_s`` for an event an attacker (or an outage) can repeat at will; the
    number of events passed over is reported with the next line."""

    def __init__(self, interval_s: float = 10.0) -> None:
        self.interval_s = interval_s
        self._last = -interval_s
        self._skipped = 0

    def due(self) -> int | None:
        """None when the line is to be skipped; else how many were skipped since the last one."""
        now = time.monotonic()
        if now - self._last < self.interval_s:
            self._skipped += 1
            return None
        self._last, skipped, self._skipped = now, self._skipped, 0
        return skipped
