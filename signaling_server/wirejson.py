"""orjson behind the ``json`` interface python-socketio expects (it calls ``dumps``/``loads`` per packet)."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    # socket.io passes ``separators=``; orjson always writes the compact form.
    return orjson.dumps(obj).decode()


def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
    return orjson.loads(text)
