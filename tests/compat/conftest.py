"""Canaries for the private hooks into aiortc, aioice and python-engineio (``nimeet_desktop/call/aiortc_compat.py``,
``signaling_server/signaling/engineio_compat.py``). Each fails with the library's and the attribute's name when an
upgrade moves what we rely on; run them before raising a pin in pyproject.toml: ``pytest tests/compat``.

The call fixtures (real server on loopback, real aiortc peers with synthetic media) are the call tests' own.
"""

from tests.call.conftest import call_server, loopback_ice, room_of, sessions

__all__ = ["call_server", "loopback_ice", "room_of", "sessions"]
